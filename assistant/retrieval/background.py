"""Everyday workplace sentences in each supported language: a prior for the per-language means.

Ranking centres every vector on the mean of its language, which removes the part of an embedding
that says "this is French" rather than what the text is about. With a small corpus (a program's
first weeks: two colleagues who accept interviews, no French text yet) that mean is missing or is
the mean of two posts, and a French topic is then compared with English posts through a mean that
holds none of its language; the cosines fall under the experts' relevance floor. These neutral
sentences are added to every mean: a few pseudo-documents that weigh nothing in a real corpus of
hundreds and give a tiny one a sensible centre. They are not company content and are never shown.
"""

SENTENCES = {
    "fr": [
        "Je suis heureuse de partager cette nouvelle avec vous.",
        "Notre équipe a présenté ses résultats cette semaine.",
        "Merci à toutes les personnes qui ont participé.",
        "Nous avons ouvert un nouveau bureau en centre-ville.",
        "Voici ce que j'ai appris pendant ce projet.",
        "La réunion de lundi a rassemblé toute l'entreprise.",
        "Nous recrutons pour plusieurs postes cette année.",
        "Un grand merci à nos clients pour leur confiance.",
        "J'ai passé la journée avec des collègues d'une autre équipe.",
        "Le rapport annuel est disponible depuis ce matin.",
    ],
    "en": [
        "I am happy to share this news with you.",
        "Our team presented its results this week.",
        "Thanks to everyone who took part.",
        "We opened a new office downtown.",
        "Here is what I learned during this project.",
        "Monday's meeting brought the whole company together.",
        "We are hiring for several roles this year.",
        "A big thank you to our customers for their trust.",
        "I spent the day with colleagues from another team.",
        "The annual report has been available since this morning.",
    ],
}

TEXTS = [text for lang in SENTENCES for text in SENTENCES[lang]]
LANGS = [lang for lang in SENTENCES for _ in SENTENCES[lang]]
