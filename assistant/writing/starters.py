"""Three ways to start one's own line, drawn from the employee's profile and the item.

Before drafting, the editor asks one short question ("What does this mean to
you, in one sentence?"). A blank line is hard to fill between two meetings, so
three starters are offered, each the beginning of a sentence only the employee
can finish: a memory of their field, what the item changes for their team, the
question they ask themselves. A starter sent unfinished is not their words
(:func:`unfinished`): the editor asks them to complete it.

>>> from assistant.writing.voice import VoiceProfile
>>> [s["text"] for s in starters(VoiceProfile(lang="fr", role="Responsable qualité", team="Production",
...                                          expertise="fermentation, contrôle qualité"),
...                             {"title": "La fermentation", "text": "La fermentation dure dix jours."}, "fr")]
['La première fois que j’ai travaillé sur la fermentation, ', 'Pour notre équipe Production, cela change ', 'En tant que responsable qualité, je me demande ']
"""

from __future__ import annotations

import re

from ..text import WORD, fold
from ..words.catalogue import entry, translate
from .voice import VoiceProfile

# The starters' texts are the catalogue's ``starters.*`` (``assistant/words``): specific, then generic.
_STARTERS = {"memory": ("memory", "memory_generic"), "team": ("team", "team_generic"),
             "question": ("question_starter", "question_starter_generic")}
KINDS = ("memory", "team", "question")
_SUBJECT = re.compile(r"(?i)(?:je|j['’]|nous|on|i|we|my|mon|ma|mes)\b")  # a sentence about oneself, not a subject


def starters(voice: VoiceProfile, item: dict, lang: str) -> list[dict]:
    """``[{"kind", "text"}]``: the three starters in ``lang``, each to be completed by the employee."""
    role = _role(voice.role, lang)
    focus = _focus(voice.expertise, item)
    if focus and _french(focus) != (lang == "fr"):
        focus = ""  # their expertise is written in the other language: a generic starter reads better
    out = []
    for kind in KINDS:
        specific, generic = (entry(lang, f"starters.{key}") for key in _STARTERS[kind])
        needs = {"memory": focus, "team": voice.team, "question": role}[kind]
        text = specific.format(focus=focus, team=voice.team, role=role) if needs else generic.format(role=role)
        if kind == "memory" and not focus and not role:
            text = entry(lang, "starters.memory_bare")
        out.append({"kind": kind, "text": _elide(text, lang)})
    return out


def unfinished(words: str, offered: list[dict]) -> bool:
    """Whether ``words`` is a starter sent as it was offered (or with a word or two): not yet their line.

    >>> unfinished("Pour mon équipe, cela change", [{"kind": "team", "text": "Pour mon équipe, cela change "}])
    True
    """
    mine = WORD.findall(fold(words or ""))
    for s in offered:
        start = WORD.findall(fold(s["text"]))
        if mine[:len(start)] == start and len(mine) - len(start) < 3:
            return True
    return False


def _focus(expertise: str | None, item: dict) -> str:
    """The piece of the employee's expertise closest to the item, with its article ("la fermentation")."""
    pieces = [p.strip() for p in re.split(r"[,;/()]| et | and ", expertise or "")
              if len(p.strip()) > 2 and len(p.split()) <= 5 and not _SUBJECT.match(p.strip())]  # subjects, not sentences
    if not pieces:
        return ""
    words = {fold(w) for w in WORD.findall(f"{item.get('title', '')} {item.get('text', '')}") if len(w) > 3}
    best = max(pieces, key=lambda p: sum(fold(w) in words for w in WORD.findall(p)))
    best = best[:1].lower() + best[1:] if not best[1:2].isupper() else best
    if re.match(r"^(?:la|le|les|l'|l’|un|une|des|mon|ma|mes|the|a|an|my)\b", best, re.I):
        return best
    return best if not _french(best) else ("la " + best if best.endswith(("tion", "ité", "ure", "ise", "ie", "ée")) else "le " + best)


def _french(phrase: str) -> bool:
    return bool(re.search(r"[éèàùâêîôûç]|tion\b|ité\b|\b(?:de|des|du|et)\b", phrase))


def _role(role: str | None, lang: str) -> str:
    if not role:
        return ""
    if lang == "fr":
        return role[:1].lower() + role[1:]
    article = "an" if role[:1].lower() in "aeiou" else "a"
    return f"{article} {role[:1].lower() + role[1:]}" if not role[1:2].isupper() else f"{article} {role}"


def _elide(text: str, lang: str) -> str:
    return re.sub(r"\b(d|qu)e ([aeiouhéèêAEIOUHÉ])", r"\1’\2", text) if lang == "fr" else text


def question(lang: str) -> str:
    """The question the employee's own words answer ("what does this mean to you?")."""
    return translate(lang, "starters.question")
