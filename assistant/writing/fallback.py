"""The grounded fallback: a short, readable post built from the item itself, in the employee's voice.

Used for an angle when no generated candidate passes the checks, and marked ``fallback``
so the employee knows it is a starting point. It is written, not generated: the item's
own sentences holding its facts (so no fact is lost or invented), quoted as such, framed
in the first person, with the angle honoured — my experience, what it changes in my job
as <role>, or a real question to my network — and never a bare list of numbers. Each
angle has several frames, picked per employee and item, and the experience line names
the employee's own subjects from their profile: fifty colleagues sharing one item do not
publish the same words.

>>> from assistant.writing.voice import VoiceProfile
>>> item = {"title": "Parc solaire", "language": "fr", "kind": "news",
...         "text": "Le parc de Crest produit 12 MWc depuis le 3 novembre 2026. Il alimente 4 000 foyers."}
>>> from assistant.writing.facts import key_facts
>>> text = fallback(VoiceProfile(lang="fr", languages=["fr"], role="Technicienne"), item,
...                 key_facts(item["text"], item["title"]), "question", "fr", Policy(configured=False))
>>> "12 MWc" in text and "?" in text
True
"""

from __future__ import annotations

import hashlib
import re

from .. import language
from ..text import fold
from .facts import Fact, has_fact
from .policy import Policy
from .prompting import _elide, _role
from .reading import Grounds, misspelled, spelling_available
from .tidying import finish
from .voice import VoiceProfile

_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_KIND = {"fr": {"article": "cet article", "job_offer": "cette offre d'emploi", "news": "cette actualité",
                "event": "cet événement"},
         "en": {"article": "this article", "job_offer": "this job offer", "news": "this news", "event": "this event"}}
# Several frames per angle (opening, closing), chosen per employee and item (``_pick``), so colleagues
# sharing the same item do not publish the same words. "{focus}" lines speak of the employee's own
# subjects (their profile's expertise); they are used only when the profile has some in this language.
_FRAMES = {
    "fr": {
        "experience": [("{Ravi} de partager {kind}{of_company}.", "Dans mon travail de {role}, c'est un sujet que je "
                                                                    "suis de près et qui me parle directement."),
                       ("Je reviens sur {kind}{of_company}.", "Dans mon métier de {role}, je le vois de près : "
                                                                          "c'est le genre de nouvelle qui compte pour mon équipe."),
                       ("Un mot sur {kind}{of_company}, qui me tient à cœur.", "Dans mon travail de {role}, je mesure ce que "
                                                                               "cela représente pour nous au quotidien.")],
        "job": [("Pourquoi {kind} compte dans mon métier de {role} :", "Concrètement, cela change ma façon de travailler "
                                                                        "au quotidien, et celle de mon équipe."),
                ("Ce que {kind} change pour moi, en tant que {role} :", "C'est exactement le type de sujet sur lequel "
                                                                        "mon équipe et moi travaillons chaque semaine."),
                ("Une nouvelle qui touche directement mon métier de {role} :", "Dans mon quotidien, ce sont ces détails "
                                                                               "qui font la différence.")],
        "question": [("Je partage {kind}{of_company}, qui touche de près mon travail de {role}.",
                      {"vous": "Avez-vous déjà vécu un projet de ce type dans votre équipe ? Qu'est-ce qui a le mieux "
                               "marché chez vous ?",
                       "tu": "As-tu déjà vécu un projet de ce type dans ton équipe ? Qu'est-ce qui a le mieux marché "
                             "chez toi ?"}),
                     ("Une question à mon réseau, à propos de {kind}{of_company}.",
                      {"vous": "Comment abordez-vous ce sujet dans votre métier ? Je suis curieux de lire vos retours.",
                       "tu": "Comment abordes-tu ce sujet dans ton métier ? Je suis curieux de lire tes retours."}),
                     ("Dans mon métier de {role}, je me pose une question en lisant {kind}{of_company}.",
                      {"vous": "Et dans votre équipe, quelle a été la plus grande difficulté sur ce type de projet ?",
                       "tu": "Et dans ton équipe, quelle a été la plus grande difficulté sur ce type de projet ?"})],
    },
    "en": {
        "experience": [("Glad to share {kind}{of_company}.", "In my work as {role}, this is a topic I follow closely."),
                       ("I wanted to tell you about {kind}{of_company}.", "In my work as {role}, I see it up close: this is "
                                                                          "the kind of news that matters to my team."),
                       ("A few words on {kind}{of_company}, close to my heart.", "In my job as {role}, I know what this "
                                                                                 "means for us day to day.")],
        "job": [("Why {kind} matters in my job as {role}:", "In practice, it changes how my team and I work day to day."),
                ("What {kind} changes for me as {role}:", "This is exactly the kind of topic my team and I work on "
                                                          "every week."),
                ("News that touches my job as {role} directly:", "In my day-to-day work, details like these make the "
                                                                 "difference.")],
        "question": [("Sharing {kind}{of_company}, close to my own work as {role}.",
                      "Have you worked on a project like this in your team? What worked best for you?"),
                     ("A question for my network about {kind}{of_company}.",
                      "How do you approach this topic in your own job? I would love to read your experience."),
                     ("One question came to mind reading {kind}{of_company}, in my work as {role}.",
                      "In your team, what was the hardest part of a project like this?")],
    },
}
_FOCUS = {"fr": {True: "Dans mon travail, ce sont mes sujets au quotidien : {focus}. Je suis cette actualité de près.",
                 False: "Dans mon travail, mes sujets au quotidien sont ailleurs ({focus}), mais je lis cette "
                        "actualité avec ce regard-là."},
          "en": {True: "Day to day I work on {focus}, so I follow this closely.",
                 False: "In my work I focus on {focus}, and I read this news with that in mind."}}
_QUESTION = {"fr": {"vous": "Et vous, qu'en pensez-vous ?", "tu": "Et toi, qu'en penses-tu ?"},
             "en": {"vous": "What do you think?", "tu": "What do you think?"}}


def _pick(options: list, *keys: str):
    """One of ``options``, the same every time for the same ``keys`` (employee, item, angle)."""
    digest = hashlib.sha256("\x1f".join(keys).encode("utf-8")).digest()
    return options[digest[0] % len(options)]


def _in_language(text: str, lang: str) -> bool:
    """Whether every word of a short profile phrase is a ``lang`` word (its dictionary; langdetect without one)."""
    if spelling_available(lang):
        return not misspelled(text, lang, Grounds())
    return language.detect(text) == lang


def focus(voice: VoiceProfile, item: dict, lang: str) -> tuple[str, bool] | None:
    """The employee's own subjects closest to the item (pieces of their profile's expertise), and
    whether the item speaks of them, when their profile speaks ``lang`` (every word a ``lang``
    word): a fallback line that is theirs, not their colleagues'.

    >>> focus(VoiceProfile(expertise="Contrôle qualité, fermentation, analyses sensorielles"),
    ...       {"title": "Fermentation", "text": "La fermentation dure dix jours."}, "fr")
    ('fermentation et contrôle qualité', True)
    """
    pieces = [p.strip() for p in re.split(r"[,;/]| et | and ", voice.expertise or "") if len(p.strip()) > 2]
    if not pieces or not _in_language(" ".join(pieces), lang):
        return None
    item_words = {fold(w) for w in re.findall(r"\w{4,}", f"{item.get('title', '')} {item.get('text', '')}")}
    overlap = [sum(fold(w) in item_words for w in re.findall(r"\w{4,}", p)) for p in pieces]
    ranked = [p for _, p in sorted(zip(overlap, pieces), key=lambda pair: -pair[0])]
    chosen = [p[:1].lower() + p[1:] if not p[1:2].isupper() else p for p in ranked[:2]]
    return _listed(chosen, lang), max(overlap) > 0


def quotation(text: str, facts: list[Fact], budget: int = 32) -> str:
    """What the fallback quotes of the item: the whole sentences holding its facts while they fit in
    ``budget`` words (a sentence reads better than pieces of one), then the words around each fact
    left (:func:`key_clauses`); only those pieces when that is still over ``budget``. Short, so that
    the post stays mostly the employee's own words.

    >>> quotation("Le parc de Crest produit 12 MWc. Il a fallu deux ans de travaux, de concertation et de "
    ...           "chantiers pour le raccorder au réseau, soit la consommation de 4 000 foyers.",
    ...           [Fact("number", "12 MWc", "num:12"), Fact("number", "4 000 foyers", "num:4000")], budget=14)
    'Le parc de Crest produit 12 MWc. …la consommation de 4 000 foyers.'
    """
    sentences = [x.strip() for x in _SENTENCES.split(text) if x.strip()]
    pieces, left, used = [], list(facts), 0
    for sentence in sentences:
        held = [f for f in left if has_fact(sentence, f)]
        if held and used + len(sentence.split()) <= budget:
            pieces.append(sentence)
            used += len(sentence.split())
            left = [f for f in left if f not in held]
    if left or not pieces:
        pieces.append(key_clauses(text, left))
    quoted = " ".join(p for p in pieces if p)
    return quoted if len(quoted.split()) <= budget else key_clauses(text, facts)  # too long: pieces only


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
        at = _locate(tokens, fact.text)
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


def _locate(tokens: list[str], fact: str) -> int | None:
    """The index of the token where ``fact`` starts (punctuation around it aside), or None.

    >>> _locate("Depuis avril 2026, ses 1 200 postes. Salon le 2 décembre 2026.".split(), "2 décembre 2026")
    9
    """
    size, target = len(fact.split()), fact.casefold()
    for i in range(len(tokens)):
        if " ".join(tokens[i:i + size]).casefold().lstrip("«“(\"'").startswith(target):
            return i
    return None


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


def question(voice: VoiceProfile, item: dict, lang: str) -> str:
    """The question to the network that this employee's fallback for ``item`` would end with (tu or vous),
    also what a model draft for the question angle gets when it asks nothing (``guardrails.repair``).

    >>> from assistant.writing.voice import VoiceProfile
    >>> question(VoiceProfile(name="Ana"), {"id": "n1", "title": "T"}, "en").endswith("?")
    True
    """
    closing = _pick(_FRAMES[lang]["question"], voice.name, str(item.get("id", item["title"])), "question")[1]
    return closing if isinstance(closing, str) else _addressed(closing, voice)


def _addressed(closings: dict, voice: VoiceProfile) -> str:
    return closings[voice.address if voice.address in closings else "vous"]


def fallback(voice: VoiceProfile, item: dict, facts: list[Fact], angle: str, lang: str, policy: Policy) -> str:
    """A grounded post for ``angle`` in ``lang``: first-person frame, the item's key clauses, a real question."""
    role = _role(voice.role or ("collaborateur" if lang == "fr" else "an employee"), lang)
    company = policy.company
    of_company = ((f" de {company}" if lang == "fr" else f" from {company}") if company else
                  (" de mon entreprise" if lang == "fr" else " from my company"))
    opening, closing = _pick(_FRAMES[lang][angle], voice.name, str(item.get("id", item["title"])), angle)
    if isinstance(closing, dict):  # French questions follow how the employee addresses their network
        closing = _addressed(closing, voice)
    values = {"Ravi": voice.agree("ravi").capitalize(), "kind": _KIND[lang].get(item["kind"], _KIND[lang]["news"]),
              "of_company": of_company, "role": role}
    framed = [_elide(opening.format(**values), lang), _elide(closing.format(**values), lang)]
    own = focus(voice, item, lang) if angle == "experience" else None
    if own:  # the employee's own subjects replace the generic line (inserted as a value: braces stay text)
        framed[1] = _elide(_FOCUS[lang][own[1]].format(focus=own[0]), lang)
    if angle != "question":
        framed.append(_QUESTION[lang][voice.address if lang == "fr" else "vous"])
    if item["language"] == lang:  # the item's own words, quoted as such: the frame around them is the employee's
        headline = any(not has_fact(item["text"], f) and has_fact(item["title"], f) for f in facts)
        # the quotation stays under half of the post (guardrails.MAX_QUOTED): most words are the employee's
        budget = len(" ".join(framed).split()) - 2 - (len(item["title"].split()) if headline else 0)
        clauses = quotation(item["text"], facts, budget=max(budget, 8)) or item["title"]
        if headline:
            clauses = f"{item['title'].rstrip('.')}. {clauses}"  # a fact only the title holds: its headline, quoted
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
    text = " ".join([framed[0], body, *framed[1:]])
    if voice.uses_emoji and voice.emoji:
        text += f" {voice.emoji[0]}"
    room = max(0, min(len(voice.hashtags), round(voice.hashtags_per_post), (policy.max_hashtags or 5) - 1))
    if room:
        text += "\n" + " ".join(voice.hashtags[:room])
    return finish(text, item, voice, policy, lang)
