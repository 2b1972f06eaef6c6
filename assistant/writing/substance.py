"""Whether a post says something of the employee's own, from its text alone: word shingles, sentences of
their own, repetition and decoration.

The authenticity score (``authenticity``) turns these into penalties and the share rules
(``sharing.share_rules``) into refusals, so both judge "is this a post at all" the same way:
"Top !!! #Nordlys !!!!!!" has no sentence of its own and is mostly decoration; one sentence pasted
sixty times is repetition.

    >>> own_sentences("Top !!! #Nordlys #Solaire !!!!!!"), round(decoration("Top !!! #Nordlys !!!!!!"), 2)
    ([], 0.89)
"""

from __future__ import annotations

import re

from ..text import EMOJI, HASHTAG, URL, WORD, fold, strip_urls

OWN_WORDS = 4        # different words a sentence needs to count as one of the employee's own
OWN_COPIED = 0.5     # share of a sentence's word 3-grams found in the source or draft from which it is not theirs


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """The word ``n``-grams of ``text``, links left out: a link is a reference every post of an
    item shares (tracked or not), not copied prose."""
    words = WORD.findall(fold(strip_urls(text)))
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


_SENTENCE_END = re.compile(r"[!?…]+|(?<!\d)\.(?!\d)|\n")  # a decimal point ("1.2") ends nothing
_REPEATED_MARKS = re.compile(r"[!?¡¿]{2,}")


def own_sentences(text: str, *references: str | None) -> list[str]:
    """The sentences of ``text`` that are the employee's own: at least ``OWN_WORDS`` different words once
    links, hashtags and emoji are left out, under ``OWN_COPIED`` of their word 3-grams found in any of
    ``references`` (the source, the draft), and not said earlier in the post.

    >>> own_sentences("Top !!! #Nordlys #Solaire !!!!!!"), own_sentences("Bravo ! Bravo ! Bravo !")
    ([], [])
    >>> own_sentences("Le parc produit 12 MWc. J'y étais hier avec mon équipe !", "Le parc produit 12 MWc.")
    ["J'y étais hier avec mon équipe"]
    """
    taken = set().union(*(shingles(r) for r in references if r))
    seen, out = set(), []
    for sentence in _SENTENCE_END.split(EMOJI.sub(" ", HASHTAG.sub(" ", strip_urls(text)))):
        words = tuple(WORD.findall(fold(sentence)))
        if len(set(words)) < OWN_WORDS or words in seen:
            continue
        seen.add(words)
        grams = shingles(sentence)
        if len(grams & taken) < OWN_COPIED * len(grams):
            out.append(" ".join(sentence.split()))
    return out


def decoration(text: str) -> float:
    """Share of the post's tokens that decorate instead of saying something: hashtags, emoji and the extra
    marks of a repeated ``!``/``?`` ("!!!" counts two); words are the other tokens, links left out.

    >>> round(decoration("Un post normal, avec un seul #hashtag et quelques mots."), 2), decoration("Top !!! #Nordlys !!!!!!")
    (0.1, 0.8888888888888888)
    """
    body = URL.sub(" ", text)
    noise = (len(HASHTAG.findall(body)) + len(EMOJI.findall(body))
             + sum(len(run) - 1 for run in _REPEATED_MARKS.findall(body)))
    words = len(WORD.findall(HASHTAG.sub(" ", body)))
    return noise / (noise + words) if noise else 0.0


def repetition(text: str) -> float:
    """Share of the post's word 3-grams that repeat one met earlier in it (0 = none, → 1 = one phrase
    pasted over and over); links left out.

    >>> repetition("Un post normal, avec des idées qui ne se répètent pas."), round(repetition("Bravo ! " * 30), 2)
    (0.0, 0.96)
    """
    words = WORD.findall(fold(strip_urls(text)))
    grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0
