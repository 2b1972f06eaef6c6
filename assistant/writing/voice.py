"""An employee's voice profile, read from their past posts and profile.

Drafts should sound like the person: their language, how they address their
network (tutoiement or vouvoiement in French), whether they use emoji and
hashtags, how long they write, and the grammatical gender French agreements
need ("ravi" / "ravie"). Everything is measured from what they wrote; with no
posts, neutral defaults apply (vouvoiement, no emoji, two hashtags, ~80 words).
A post speaks in the first person, so the profile also holds the ``names`` the
employee goes by, which their drafts never use about them.

    >>> profile = build({"languages": ["fr"], "gender_fr": "f", "role": "Data engineer"}, ["Ravie ! Et toi, tu en penses quoi ? 🚀 #data"])
    >>> profile.address, profile.uses_emoji, profile.agree("ravi")
    ('tu', True, 'ravie')
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from .. import language
from ..text import EMOJI, HASHTAG

_TU = re.compile(r"\b(tu|toi|ton|ta|tes|t'|t’)\b|\bt['’]", re.I)
_VOUS = re.compile(r"\b(vous|votre|vos)\b", re.I)
# Feminine forms of the adjectives and participles our templates and prompts use.
_FEMININE = {"ravi": "ravie", "fier": "fière", "heureux": "heureuse", "content": "contente", "convaincu": "convaincue",
             "impatient": "impatiente", "curieux": "curieuse", "impressionné": "impressionnée", "engagé": "engagée"}

_MASCULINE = {f: m for m, f in _FEMININE.items()}
_ADJECTIVES = "|".join(sorted([*_FEMININE, *_FEMININE.values()], key=len, reverse=True))
_FIRST_PERSON_ADJ = re.compile(
    r"(?P<lead>(?:\b(?:je suis|je me sens|je reste|je serai|j['’]en suis|j['’]étais)\s+"
    r"(?:(?:très|vraiment|si|tellement|particulièrement|super|plus que)\s+)?"
    r"|(?:^|(?<=[.!?…]\s)|(?<=\n))))(?P<adj>" + _ADJECTIVES + r")\b",
    re.I | re.M)


@dataclass
class VoiceProfile:
    lang: str = "en"
    languages: list[str] = field(default_factory=lambda: ["en"])
    name: str = ""
    names: tuple[str, ...] = ()     # how they are named (``names_of``): never in the third person in their posts
    role: str | None = None
    team: str | None = None
    expertise: str | None = None
    gender_fr: str | None = None
    address: str = "vous"           # French: how they address their network
    uses_emoji: bool = False
    emoji: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    hashtags_per_post: float = 2.0
    typical_words: int = 80
    examples: list[str] = field(default_factory=list)  # their own posts, shortest first, in the target language

    def agree(self, word: str) -> str:
        """French agreement of ``word`` with the employee's grammatical gender (masculine when unknown)."""
        return _FEMININE.get(word, word + "e") if self.gender_fr == "f" else word

    def agree_text(self, text: str) -> str:
        """``text`` with first-person adjectives agreed with the employee's gender (French only).

        Only where the writer speaks of themself: after "je suis", "je me sens", "j'en suis"…
        (an adverb may sit between) or opening a sentence ("Ravi de partager…"). A small model
        writes "je suis ravi" for everyone; the gender comes from the profile, never a guess.

        >>> VoiceProfile(lang="fr", gender_fr="f").agree_text("Ravi de partager ! Je suis très fier de l'équipe.")
        "Ravie de partager ! Je suis très fière de l'équipe."
        """
        if self.lang != "fr" or self.gender_fr not in ("f", "m"):
            return text

        def fix(match):
            word = match.group("adj")
            base = _MASCULINE.get(word.lower(), word.lower())
            wanted = self.agree(base)
            return match.group("lead") + (wanted.capitalize() if word[:1].isupper() else wanted)

        return _FIRST_PERSON_ADJ.sub(fix, text)

    def describe(self) -> str:
        """A short description of the voice, in English, for prompts."""
        parts = [f"{self.typical_words} words or fewer"]
        parts.append("uses a few emoji" if self.uses_emoji else "no emoji")
        parts.append(f"about {round(self.hashtags_per_post)} hashtags" if self.hashtags_per_post >= 0.5 else "no hashtags")
        if self.lang == "fr":
            parts.append("tutoiement (tu)" if self.address == "tu" else "vouvoiement (vous)")
            if self.gender_fr:
                parts.append("feminine agreements (ravie, fière)" if self.gender_fr == "f" else "masculine agreements (ravi, fier)")
        return ", ".join(parts)


def build(person: dict, posts: list[str], lang: str | None = None) -> VoiceProfile:
    """The voice of ``person`` (an employees row) from their past ``posts``, for drafting in ``lang``."""
    languages = [x for x in (person.get("languages") or []) if language.is_supported(x)] or ["en"]
    lang = lang or languages[0]
    posts = [p for p in posts if p and p.strip()]
    profile = VoiceProfile(lang=lang, languages=languages, name=person.get("name") or "", names=names_of(person),
                           role=person.get("role"),
                           team=person.get("team"), expertise=person.get("expertise"), gender_fr=person.get("gender_fr"))
    if not posts:
        return profile
    french = [p for p in posts if language.detect(p) == "fr"]
    tu = sum(len(_TU.findall(p)) for p in french)
    vous = sum(len(_VOUS.findall(p)) for p in french)
    profile.address = "tu" if tu > vous else "vous"
    with_emoji = [p for p in posts if EMOJI.search(p)]
    profile.uses_emoji = len(with_emoji) * 2 >= len(posts)
    profile.emoji = [e for e, _ in Counter(e for p in with_emoji for e in EMOJI.findall(p)).most_common(3)]
    tags = [t for p in posts for t in HASHTAG.findall(p)]
    profile.hashtags = [t for t, _ in Counter(tags).most_common(4)]
    profile.hashtags_per_post = len(tags) / len(posts)
    profile.typical_words = int(statistics.median(len(p.split()) for p in posts))
    same_language = [p for p in posts if language.detect(p) == lang]
    profile.examples = sorted(same_language, key=len)[:2]
    return profile


def names_of(person: dict) -> tuple[str, ...]:
    """The ways an employee is named: full name and last name (a first name alone is too common).

    >>> names_of({"name": "Gaëlle Le Bihan"})
    ('Gaëlle Le Bihan', 'Le Bihan')
    """
    full = " ".join((person.get("name") or "").split())
    parts = full.split()
    return tuple(dict.fromkeys([full, " ".join(parts[1:])])) if len(parts) > 1 else ((full,) if full else ())
