r"""The one prompt a drafting model gets: polish a draft composed around the employee's own words.

Scope: everything a model reads. The model's only job (where a measured gate allows it:
``drafting.polish_allowed``) is to smooth the composed story into a post, keeping the employee's
sentence word for word, marked, and every fact; its input is exactly what the composed draft holds.
The item's text is data: sentences that instruct a model or make a claim about a person are removed
before anything is composed (``injection.as_data``), so they never reach a model either.

    >>> polish_messages("Mon avis.", "Mon avis.\n\nLe parc ouvre.", "fr")[1]["content"]
    '<moi>Mon avis.</moi>\n\nLe parc ouvre.'
"""

from __future__ import annotations


POLISH = {
    "fr": ("Tu relis le post LinkedIn d'un salarié, en français. Tu le rends fluide en une ou deux phrases de "
           "transition au plus. Tu gardes mot pour mot la phrase du salarié, entre les balises <moi> et </moi> "
           "(sans les balises), et tous les chiffres, dates et noms tels quels. Tu n'ajoutes aucun fait, aucune "
           "expérience, aucun sentiment, aucun lien. Tu écris seulement le post."),
    "en": ("You proofread an employee's LinkedIn post, in English. Make it flow with one or two linking phrases at "
           "most. Keep the employee's sentence, between <me> and </me>, word for word (without the tags), and every "
           "number, date and name as it is. Add no fact, experience, feeling or link. Write only the post."),
}


def polish_messages(words: str, draft: str, lang: str) -> list[dict]:
    """Chat messages asking a model to smooth a composed ``draft`` while keeping the employee's ``words``
    verbatim: the only input is what the composed draft holds (their words, the key point, the closing)."""
    tag = ("<moi>", "</moi>") if lang == "fr" else ("<me>", "</me>")
    marked = draft.replace(words, f"{tag[0]}{words}{tag[1]}", 1)
    return [{"role": "system", "content": POLISH[lang]}, {"role": "user", "content": marked}]
