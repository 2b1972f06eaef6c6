"""The grounded fallback: a short, readable post built from the item itself, in the employee's voice.

Used for an angle when no generated candidate passes the checks, and marked ``fallback``
so the employee knows it is a starting point. It is written, not generated: the item's
own key clauses (the ones holding its facts, so no fact is lost or invented) framed in
the first person, with the angle honoured — my experience, what it changes in my job
as <role>, or a real question to my network — and never a bare list of numbers.

>>> from assistant.voice import VoiceProfile
>>> item = {"title": "Parc solaire", "language": "fr", "kind": "news",
...         "text": "Le parc de Crest produit 12 MWc depuis le 3 novembre 2026. Il alimente 4 000 foyers."}
>>> from assistant.facts import key_facts
>>> text = fallback(VoiceProfile(lang="fr", languages=["fr"], role="Technicienne"), item,
...                 key_facts(item["text"], item["title"]), "question", "fr", Policy(configured=False))
>>> "12 MWc" in text and "?" in text
True
"""

from __future__ import annotations

import re

from .facts import Fact
from .policy import Policy
from .prompting import _elide, _role
from .tidying import finish
from .voice import VoiceProfile

_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_KIND = {"fr": {"article": "cet article", "job_offer": "cette offre d'emploi", "news": "cette actualité",
                "event": "cet événement"},
         "en": {"article": "this article", "job_offer": "this job offer", "news": "this news", "event": "this event"}}
_FRAMES = {
    "fr": {
        "experience": ("{Ravi} de partager {kind}{of_company}.", "Dans mon travail de {role}, c'est un sujet que je suis "
                                                                  "de près et qui me parle directement."),
        "job": ("Pourquoi {kind} compte dans mon métier de {role} :", "Concrètement, cela change ma façon de travailler "
                                                                       "au quotidien, et celle de mon équipe."),
        "question": ("Je partage {kind}{of_company}, qui touche de près mon travail de {role}.",
                     "Avez-vous déjà vécu un projet de ce type dans votre équipe ? Qu'est-ce qui a le mieux marché "
                     "chez vous ?"),
    },
    "en": {
        "experience": ("Glad to share {kind}{of_company}.", "In my work as {role}, this is a topic I follow closely."),
        "job": ("Why {kind} matters in my job as {role}:", "In practice, it changes how my team and I work day to day."),
        "question": ("Sharing {kind}{of_company}, close to my own work as {role}.",
                     "Have you worked on a project like this in your team? What worked best for you?"),
    },
}
_QUESTION = {"fr": {"vous": "Et vous, qu'en pensez-vous ?", "tu": "Et toi, qu'en penses-tu ?"},
             "en": {"vous": "What do you think?", "tu": "What do you think?"}}


def key_clauses(text: str, facts: list[Fact], around: int = 3, limit: int = 40) -> str:
    """The item's own words around each fact (``around`` words either side), overlapping pieces
    merged and joined with "…": a short quotation that keeps every fact and little else.

    >>> key_clauses("Au printemps, après deux ans de travaux, le parc de Crest produit enfin 12 MWc, soit "
    ...             "la consommation de 4 000 foyers de la vallée.", [Fact("number", "12 MWc", "num:12")], around=3)
    '…Crest produit enfin 12 MWc, soit la consommation…'
    """
    tokens = text.split()
    if not facts:
        return " ".join(tokens[:limit // 2]) + ("…" if len(tokens) > limit // 2 else "")
    spans = []
    for fact in facts:
        first = fact.text.split()[0]
        at = next((i for i, t in enumerate(tokens) if first in t and fact.text.split()[-1] in " ".join(tokens[i:i + 6])), None)
        if at is not None:
            start, end = max(0, at - around), min(len(tokens), at + len(fact.text.split()) + around)
            # a piece stays inside its sentence: it starts after and ends at the nearest full stops
            start = max([start] + [i + 1 for i in range(start, at) if tokens[i].endswith((".", "!", "?"))])
            end = min([end] + [i + 1 for i in range(at + len(fact.text.split()) - 1, end) if tokens[i].endswith((".", "!", "?"))])
            spans.append((start, end))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 2:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces = []
    for start, end in merged:
        piece = " ".join(tokens[start:end]).strip(" ,;:")
        lead = "…" if start > 0 and not tokens[start - 1].endswith((".", "!", "?")) and not (pieces and pieces[-1].endswith("…")) else ""
        tail = "…" if end < len(tokens) and not piece.endswith((".", "!", "?")) else ""
        pieces.append(lead + piece + tail)
    return " ".join(pieces) if pieces else " ".join(tokens[:limit // 2])


_MONTH_NAMES = {"fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                       "novembre", "décembre"],
                "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                       "November", "December"]}


def _listed(things: list[str], lang: str) -> str:
    joined = " et " if lang == "fr" else " and "
    return things[0] if len(things) == 1 else ", ".join(things[:-1]) + joined + things[-1]


def _figure(fact: Fact, lang: str, source: str = "") -> str:
    """A number or date fact written the ``lang`` way ("4 000 foyers" -> "4,000 foyers", "3 novembre 2026" ->
    "3 November 2026"), so an item in the other language keeps its facts.

    >>> _figure(Fact("number", "4 000 foyers", "num:4000"), "en"), _figure(Fact("number", "1.5 MW", "num:1.5"), "fr")
    ('4,000 foyers', '1,5 MW')
    """
    if fact.kind == "date":
        day, month, year = (fact.key[5:].split("-") + ["", "", ""])[:3]
        return f"{int(day)} {_MONTH_NAMES[lang][int(month) - 1]}{' ' + year if year else ''}"
    value = fact.key[4:]
    unit = re.sub(r"^[\d\s\u202f\u00a0.,]+", "", fact.text).strip()
    if not unit and source:  # "15 data scientists": the words the item puts after a bare number
        after = re.search(re.escape(fact.text) + r"\s+([^\W\d_]+)(?:\s+([^\W\d_]+))?", source)
        if after:
            unit = after.group(1) + (" " + after.group(2) if after.group(2) and after.group(2).islower() and
                                     after.group(1).islower() and len(after.group(2)) > 3 else "")
    if "." in value:
        number = value.replace(".", ",") if lang == "fr" else value
    else:
        number = f"{int(value):,}".replace(",", "\u202f" if lang == "fr" else ",") if value.isdigit() else value
    return f"{number} {unit}".strip()


def fallback(voice: VoiceProfile, item: dict, facts: list[Fact], angle: str, lang: str, policy: Policy) -> str:
    """A grounded post for ``angle`` in ``lang``: first-person frame, the item's key clauses, a real question."""
    role = _role(voice.role or ("collaborateur" if lang == "fr" else "an employee"), lang)
    company = policy.company
    of_company = ((f" de {company}" if lang == "fr" else f" from {company}") if company else
                  (" de mon entreprise" if lang == "fr" else " from my company"))
    opening, closing = _FRAMES[lang][angle]
    values = {"Ravi": voice.agree("ravi").capitalize(), "kind": _KIND[lang].get(item["kind"], _KIND[lang]["news"]),
              "of_company": of_company, "role": role}
    if item["language"] == lang:  # the item's own words, quoted as such: the frame around them is the employee's
        clauses = key_clauses(item["text"], facts) or item["title"]
        body = f"« {clauses} »" if lang == "fr" else f"\u201c{clauses}\u201d"
    else:  # the item is in another language: quote its title and give its figures in this language's format
        body = (f"(en anglais) : « {item['title']} »." if lang == "fr" else f"(in French): \"{item['title']}\".")
        figures = [_figure(f, lang, item["text"]) for f in facts if f.kind in ("number", "date")]
        if figures:
            body += (f" Les chiffres que je retiens : {_listed(figures, lang)}." if lang == "fr"
                     else f" The figures that stand out to me: {_listed(figures, lang)}.")
        names = [f.text for f in facts if f.kind == "name"]
        if names:
            body += f" On y retrouve {_listed(names, lang)}." if lang == "fr" else f" It mentions {_listed(names, lang)}."
    lines = [_elide(opening.format(**values), lang), body, _elide(closing.format(**values), lang)]
    if angle != "question":
        lines.append(_QUESTION[lang][voice.address if lang == "fr" else "vous"])
    text = " ".join(lines)
    if voice.uses_emoji and voice.emoji:
        text += f" {voice.emoji[0]}"
    room = max(0, min(len(voice.hashtags), round(voice.hashtags_per_post), (policy.max_hashtags or 5) - 1))
    if room:
        text += "\n" + " ".join(voice.hashtags[:room])
    return finish(text, item, voice, policy, lang)
