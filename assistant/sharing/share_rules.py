"""What may be shared at all: a post, not an empty box, an untouched draft, one phrase pasted over and over,
a row of hashtags and exclamation marks, or words with no sentence of the employee's own.

The authenticity score measures how personal a post is; these rules decide
whether it is a post. A refused text cannot be shared, so it never reaches the
marketing figures and earns no points. Each refusal is a code the app turns
into a sentence in the employee's language (``no_own_sentence`` only when no other applies):

| code | when |
|---|---|
| ``empty`` | fewer than ``MIN_WORDS`` words once links are left out |
| ``outline`` | a line of the drafting outline (marked ✍️) is still there: the employee's part is not written |
| ``unchanged`` | started from an AI draft and under ``MIN_OWN`` of its word 3-grams are new |
| ``repetitive`` | ``REPETITIVE`` or more of its word 3-grams repeat one met earlier in it |
| ``stuffed`` | hashtags, emoji and repeated ``!``/``?`` are ``STUFFED`` or more of its tokens (``substance.decoration``) |
| ``no_own_sentence`` | none of the above, but not one sentence is the employee's own (``substance.own_sentences``: four different words or more, not mostly from the draft or the source) |

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
    >>> refusals("Top !!! #Nordlys #Solaire #Drôme #Energie !!!!!!", draft_text=draft)
    ['stuffed']
    >>> refusals("Top ! Génial ! Bravo ! Super ! Merci ! Vive Nordlys !", draft_text=draft)
    ['no_own_sentence']
"""

from __future__ import annotations

from ..text import WORD, fold, strip_urls
from ..writing.authenticity import copied_share
from ..writing.composing import scaffold_left
from ..writing.substance import decoration, own_sentences, repetition

MIN_WORDS = 5
MIN_OWN = 0.15       # share of the post's word 3-grams not in the draft it started from
REPETITIVE = 0.4     # share of repeated word 3-grams
STUFFED = 0.5        # share of decoration among the post's tokens: as many hashtags, emoji and "!!" as words


def refusals(text: str, draft_text: str | None = None, source: str | None = None) -> list[str]:
    """Why ``text`` cannot be shared (empty list: it can); ``source`` (the item's text), when given, is
    one more text a sentence of the employee's own must not be taken from."""
    text = text or ""
    if len(WORD.findall(fold(strip_urls(text)))) < MIN_WORDS:
        return ["empty"]
    out = ["outline"] if scaffold_left(text) else []  # a line of the outline is still there to replace
    if draft_text and draft_text.strip() and 1 - copied_share(text, draft_text) < MIN_OWN:
        out.append("unchanged")
    if repetition(text) >= REPETITIVE:
        out.append("repetitive")
    if decoration(text) >= STUFFED:
        out.append("stuffed")
    if not out and not own_sentences(text, draft_text, source):
        out.append("no_own_sentence")
    return out


class ShareRefused(ValueError):
    """The text is not a post that can be shared (see ``refusals``); ``codes`` says why."""

    def __init__(self, codes: list[str]):
        super().__init__(", ".join(codes))
        self.codes = codes
