"""What may be shared at all: a post, not an empty box, an untouched draft or one phrase pasted over and over.

The authenticity score measures how personal a post is; these rules decide
whether it is a post. A refused text cannot be shared, so it never reaches the
marketing figures and earns no points. Each refusal is a code the app turns
into a sentence in the employee's language:

| code | when |
|---|---|
| ``empty`` | fewer than ``MIN_WORDS`` words once links are left out |
| ``unchanged`` | started from an AI draft and under ``MIN_OWN`` of its word 3-grams are new |
| ``repetitive`` | ``REPETITIVE`` or more of its word 3-grams repeat one met earlier in it |

    >>> refusals("")
    ['empty']
    >>> draft = "Je suis fière de notre nouveau parc solaire dans la Drôme, il alimente 4 000 foyers."
    >>> refusals(draft, draft_text=draft)
    ['unchanged']
    >>> refusals(draft + " J'y étais hier avec mon équipe : le chantier a duré deux ans, et quel résultat !",
    ...          draft_text=draft)
    []
    >>> refusals("Bravo à toute l'équipe ! " * 20)
    ['repetitive']
"""

from __future__ import annotations

import re

from ..text import fold, strip_urls
from ..writing.authenticity import copied_share, repetition

MIN_WORDS = 5
MIN_OWN = 0.15       # share of the post's word 3-grams not in the draft it started from
REPETITIVE = 0.4     # share of repeated word 3-grams
_WORD = re.compile(r"\w+", re.UNICODE)


def refusals(text: str, draft_text: str | None = None) -> list[str]:
    """Why ``text`` cannot be shared (empty list: it can)."""
    words = _WORD.findall(fold(strip_urls(text or "")))
    if len(words) < MIN_WORDS:
        return ["empty"]
    out = []
    if draft_text and draft_text.strip() and 1 - copied_share(text, draft_text) < MIN_OWN:
        out.append("unchanged")
    if repetition(text) >= REPETITIVE:
        out.append("repetitive")
    return out


class ShareRefused(ValueError):
    """The text is not a post that can be shared (see ``refusals``); ``codes`` says why."""

    def __init__(self, codes: list[str]):
        super().__init__(", ".join(codes))
        self.codes = codes
