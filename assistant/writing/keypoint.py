"""An item's key point, condensed in the draft's language: a headline and a few short fact phrases.

A draft is the employee's words plus what the item says. What it says is
written here without a model: the item's headline (its title, when short) with
its date, and the phrases of its text that carry its other key facts, each at
most ``MAX_RUN`` words taken from the item, so a draft never pastes a
paragraph of the company's text or a stitched quotation. Numbers, dates and
names are the item's own, written exactly.

Three rules keep the key point from speaking for the employee:

- a clause in the first person of someone quoted ("je", "I") is never used: in
  the employee's post it would read as their own experience;
- a clause or title naming the employee is left out: nobody speaks of
  themself in the third person in their own post;
- sentences flagged as instructions or claims (``injection``) are not there to
  begin with (``injection.as_data``, once per request), and a flagged title is no headline.

Across languages, the item's version in the draft's language is used when the
library has one (``versions``); without one, the key point gives the
title as a quoted title in its language, marked as such, and the figures and
dates written the draft language's way (``4 000`` / ``4,000``, ``3 mars`` / ``3 March``).

>>> kp = key_point({"title": "Kerlann ouvre sa malterie", "language": "fr", "kind": "news", "text":
...     "La brasserie a inauguré le 14 octobre 2026 sa malterie. L'atelier transforme 380 tonnes d'orge par an, "
...     "cultivée par 22 exploitations situées à moins de 40 km."}, "fr")
>>> kp.headline
'Kerlann ouvre sa malterie (14 octobre 2026).'
>>> kp.details
["L'atelier transforme 380 tonnes d'orge par an", '22 exploitations situées à moins de 40 km']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text import WORD, fold
from .facts import Fact, facts_in, has_fact, key_facts
from .injection import as_data
from .units import figure

MAX_RUN = 12          # the longest run of the item's words a draft may hold
PHRASE_WORDS = 9      # a fact phrase: the fact and the words that say what it counts
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_CLAUSE = re.compile(r"\s*(?:[,;:](?=\s|$)|[()\[\]]|\s[—–-]\s)\s*")  # "10,4 %" is one number
_FIRST_PERSON = re.compile(r"\b(?:je|j['’]|me|moi|mon|ma|mes|i|i['’]m|i['’]ve|my|me)\b", re.I)
_DATE_LEAD = {"le", "du", "au", "depuis", "dès", "jusqu'au", "jusqu’au", "avant", "on", "since", "from", "until",
              "by", "before", "the"}
_QUOTES = "«»“”\"'‘’"


@dataclass(frozen=True)
class KeyPoint:
    """What a draft says of its item, in ``lang``: ``headline`` (a sentence or ""), ``details`` (short
    phrases, each with a fact) and the ``facts`` they state. ``via`` says where it came from: the item
    itself, its version in ``lang``, or its figures only (another language, no version)."""

    lang: str
    headline: str
    details: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    via: str = "item"
    source: str = ""      # the text (and title) the key point was taken from, for the copy check
    title: str = ""

    def words(self) -> int:
        return len(WORD.findall(" ".join([self.headline, *self.details])))


def key_point(item: dict, lang: str, *, avoid_names: tuple[str, ...] = (), version: dict | None = None,
              source: str | None = None, title: str | None = None) -> KeyPoint:
    """The key point of ``item`` in ``lang``.

    ``version`` is the item's version in ``lang`` when the library has one; ``title`` and ``source`` the
    title and text used (the version's, else the item's) as ``injection.as_data`` gives them, for a caller
    that sanitised them already (worked out here otherwise); ``avoid_names`` the employee's names (full
    name, first and last name), never written about them in the third person.
    """
    base = version if item["language"] != lang and version is not None else item
    if source is None or title is None:
        clean_title, clean_text = as_data(base)
        title = clean_title if title is None else title
        source = clean_text if source is None else source
    if base is version:
        return _same_language(title, lang, source, avoid_names, via="version")
    if item["language"] == lang:
        return _same_language(title, lang, source, avoid_names, via="item")
    return _figures_only(title, lang, source, avoid_names)


def _same_language(title: str, lang: str, text: str, avoid: tuple[str, ...], via: str) -> KeyPoint:
    facts = [f for f in key_facts(text, title) if f.kind != "link" and not names_person(f.text, avoid)]
    usable_title = title and len(WORD.findall(title)) <= MAX_RUN and not names_person(title, avoid) \
        and not _FIRST_PERSON.search(title)
    headline, covered = "", []
    if usable_title:
        covered = facts_in(title, facts)
        opening = _SENTENCE.split(text.strip(), maxsplit=1)[0]
        date = next((f for f in facts_in(opening, facts) if f.kind == "date" and f not in covered), None)
        headline = _capital(title) + (f" ({date.text})" if date else "") + "."
        covered += [date] if date else []
    details, stated = [], list(covered)
    for fact in facts:
        if fact in stated:
            continue
        phrase = fact_phrase(text, fact, avoid, lead=False)
        if not phrase or longest_shared_run(" ".join([headline, *details, phrase]), f"{title}\n{text}") > MAX_RUN:
            continue  # nothing to say it with, or it would join a neighbour into a pasted passage
        if not headline and _starts_sentence(text, phrase) and len(WORD.findall(phrase)) >= 4:
            headline = _capital(phrase) + "."  # no usable title: the clause that opens a sentence leads
        elif fact.kind == "date" and headline:  # a later date says what it dates, beside the headline
            headline = headline[:-1] + f" ({phrase[:1].lower() + phrase[1:]})."
        else:
            details.append(phrase)
        stated += [f for f in facts_in(phrase, facts) if f not in stated]
    if not headline and not details:  # no fact at all: the opening clause of the text
        opening = next((c for c in clauses(text) if 4 <= len(WORD.findall(c)) <= MAX_RUN and _usable(c, avoid)), "")
        headline = _capital(opening) + "." if opening else ""
    return KeyPoint(lang=lang, headline=headline, details=list(dict.fromkeys(details)), facts=stated, via=via,
                    source=f"{title}\n{text}", title=title)


def _figures_only(title: str, lang: str, text: str, avoid: tuple[str, ...]) -> KeyPoint:
    """Another language and no version: the figures and dates in ``lang``'s format."""
    facts = [f for f in key_facts(text, title) if f.kind != "link" and not names_person(f.text, avoid)]
    details, stated = [], []
    for fact in facts:
        if fact.kind == "name":
            continue  # a name alone, in another language's sentence, says nothing
        rendered = figure(fact, lang, text)
        if fact.kind == "number" and not re.search(r"[^\W\d_]", rendered):
            continue  # a bare number or share ("41 %"), what it counts unsayable in ``lang``: it says nothing
        if rendered and rendered not in details:
            details.append(rendered)
            stated.append(fact)
    return KeyPoint(lang=lang, headline="", details=details, facts=stated, via="figures",
                    source=f"{title}\n{text}", title=title)


def longest_shared_run(text: str, source: str) -> int:
    """The longest run of words ``text`` shares with ``source`` (case and accents aside).

    >>> longest_shared_run("Le parc de Crest produit 12 MWc, dit-elle.", "Depuis mai, le parc de Crest produit 12 MWc.")
    7
    """
    a, b = WORD.findall(fold(text)), WORD.findall(fold(source))
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def clauses(text: str) -> list[str]:
    """The item's clauses: its sentences cut at commas, colons, semicolons, brackets and dashes."""
    out = []
    for sentence in _SENTENCE.split(text):
        out += [c.strip(" .!?…" + _QUOTES) for c in _CLAUSE.split(sentence) if c and c.strip(" .!?…")]
    return out


def fact_phrase(text: str, fact: Fact, avoid: tuple[str, ...] = (), lead: bool = True) -> str:
    """The few words of ``text`` that state ``fact``: a number and what it counts ("380 tonnes d'orge
    bretonne par an"), a date with its preposition ("depuis le 2 septembre 2026"), or, for a name
    or a number with nothing after it, its whole clause when that opens a sentence and is short.
    A phrase starting with a capital is a sentence; any other is a noun phrase. Empty when the only
    clause holding the fact is someone's first-person quote or names the employee.

    >>> fact_phrase("Chaque bouteille peut être lavée et remplie jusqu'à 25 fois.", Fact("number", "25", "num:25"))
    "Chaque bouteille peut être lavée et remplie jusqu'à 25 fois"
    """
    for clause in clauses(text):
        if not has_fact(clause, fact) or not _usable(clause, avoid):
            continue
        tokens = clause.split()
        at = _find(tokens, fact.text)
        if at is None:
            continue
        size = len(fact.text.split())
        if fact.kind == "date":  # with its preposition; a date later in the text with what it dates
            start = at
            while start > 0 and at - start < 2 and tokens[start - 1].lower() in _DATE_LEAD:
                start -= 1
            if not lead:
                start = max(0, at - 5) if len(tokens) > MAX_RUN or not _starts_sentence(text, clause) else 0
            return " ".join(tokens[start:at + size])
        if len(tokens) <= MAX_RUN and _starts_sentence(text, clause):
            return " ".join(tokens)  # a short clause opening a sentence says it best
        if fact.kind == "name":
            return ""  # a name alone says nothing
        before = tokens[at - 1].lower() if at else ""
        percent = "%" in fact.text or tokens[at + size:at + size + 1] == ["%"]
        if len(tokens) - at >= 3 and not (percent and before in _RESULT):  # "380 tonnes d'orge bretonne par an"
            words = tokens[at:at + PHRASE_WORDS]
            cut = next((i for i, w in enumerate(words) if i > 1 and w.lower() in ("and", "et", "but", "mais")), None)
            words = words[:cut] if cut else words
        else:  # "Forecast error dropped by 23%": what it measures comes first (from an earlier number, if any)
            start = next((i for i in range(max(0, at - PHRASE_WORDS), at) if tokens[i][:1].isdigit()),
                         max(0, at - 6))
            end = at + size + 2
            if end < len(tokens) and tokens[end - 1][:1].isdigit() and tokens[end] in ("%", "€", "$"):
                end += 1  # never cut "7,9 %"
            words = tokens[start:end]
        while words and fold(words[-1].strip(",.")) in _DANGLING:
            words.pop()
        return " ".join(words)
    return ""


_RESULT = {"by", "de", "par", "of", "to", "à", "than", "que"}  # "fell by 18%": a result, said after what it measures


# words a phrase must not end on: it would be cut mid-thought ("380 tonnes d'orge de")
_DANGLING = {"de", "du", "des", "d", "la", "le", "les", "l", "au", "aux", "et", "ou", "en", "par", "pour", "sur",
             "dans", "avec", "un", "une", "que", "qui", "of", "and", "or", "to", "in", "for", "on",
             "with", "by", "at", "from", "that", "which", "its", "their", "our", "sa", "son", "ses", "leur", "leurs",
             "nos", "notre", "est", "sont", "is", "are", "was", "were", "has", "have", "will", "the"}


def _find(tokens: list[str], fact: str) -> int | None:
    target = fact.casefold()
    size = len(fact.split())
    for i in range(len(tokens)):
        if " ".join(tokens[i:i + size]).casefold().strip(_QUOTES + "(").startswith(target):
            return i
    return None


def _usable(clause: str, avoid: tuple[str, ...]) -> bool:
    return not _FIRST_PERSON.search(clause) and not names_person(clause, avoid) and \
        not any(q in clause for q in "«»“”")


def names_person(text: str, names: tuple[str, ...]) -> bool:
    """Whether ``text`` names the employee (their full name, or their last name of 4+ letters)."""
    words = set(WORD.findall(fold(text)))
    folded = fold(text)
    for name in names:
        parts = WORD.findall(fold(name))
        if not parts:
            continue
        if " ".join(parts) in " ".join(WORD.findall(folded)) or (len(parts) == 1 and len(parts[0]) >= 4 and parts[0] in words):
            return True
    return False


def _starts_sentence(text: str, phrase: str) -> bool:
    head = phrase.split()[0] if phrase.split() else ""
    return bool(head) and head[:1].isupper() and any(s.strip(_QUOTES).startswith(phrase.split()[0])
                                                     for s in _SENTENCE.split(text))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
