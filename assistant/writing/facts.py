"""Numbers, dates and names: an item's key facts, which of them a text states, and figures nobody gave.

Drafts must keep the facts of the item they talk about; a small model tends
to drop or mangle them. Facts are extracted once from the item, a handful of
the most salient kept, and checked in each draft with a normalised comparison
that survives French/English formatting ("4 000" = "4,000", "1,2" = "1.2",
"3 novembre 2026" = "November 3, 2026"). The same normalised figures say which
numbers and dates of a draft are found nowhere in what it may rely on
(``proofreading``'s grounds): the one place that reads numbers and dates.

    >>> facts = key_facts("Le parc produit 12 MWc depuis le 3 novembre 2026.", "Parc")
    >>> [f.text for f in facts]
    ['3 novembre 2026', '12 MWc']
    >>> [f.text for f in facts_in("It has produced 12 MWc since November 3, 2026.", facts)]
    ['3 novembre 2026', '12 MWc']
    >>> figures_not_in("Built in 14 months, 12 MWc.", *figure_keys("Le parc produit 12 MWc."))
    ['14']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import HASHTAG, HTTP_URL, URL, fold
from ..words.catalogue import LANGUAGES, entry

# Month names as a source writes them (the catalogue's, with and without accents) → month number.
MONTHS = {spelling: i + 1 for lang in LANGUAGES for i, name in enumerate(entry(lang, "dates.months"))
          for spelling in (name.casefold(), fold(name))}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH})\b(?:\s+(\d{{4}}))?", re.I)
_EN_MONTH = "|".join(name.casefold() for name in entry("en", "dates.months"))
_DATE_MDY = re.compile(rf"\b({_EN_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)
# a number as sources write it, with its unit (public: the proofreading counts numbers with it)
NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ \u202f\u00a0,.]\d{3})+|\d+(?:[.,]\d+)?)(\s?(?:%|k€|€|\$|MWc|MW|GW|kWh|MWh|GWh|km|t\b|tonnes|million|millions|milliards?|billion|people|personnes|sensors|capteurs)?)",
                     re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-ZÉÈÀÂÎÔ][\w'’-]+(?:[ \t]+(?:(?:de|du|des|la|le|van|von)[ \t]+)?[A-ZÉÈÀÂÎÔ][\w'’-]+)+)", re.M)


@dataclass(frozen=True)
class Fact:
    kind: str   # "link", "date", "number", "name"
    text: str   # as written in the source
    key: str    # normalised form used to find it in a draft


def _number_key(text: str) -> str:
    digits = re.sub(r"[ \u202f\u00a0]", "", text)
    if re.fullmatch(r"\d{1,3}([,.]\d{3})+", digits):
        return digits.replace(",", "").replace(".", "")
    return digits.replace(",", ".")


def _dates(text: str) -> list[tuple[str, str]]:
    out = []
    for m in _DATE_DMY.finditer(text):
        out.append((m.group(0), f"{int(m.group(1))}-{MONTHS[m.group(2).lower()]}-{m.group(3) or ''}"))
    for m in _DATE_MDY.finditer(text):
        out.append((m.group(0), f"{int(m.group(2))}-{MONTHS[m.group(1).lower()]}-{m.group(3) or ''}"))
    return out


def key_facts(text: str, title: str = "", url: str | None = None, limit: int = 4) -> list[Fact]:
    """The item's most salient facts: its link, then dates, numbers and names (at most ``limit`` besides the link)."""
    body = f"{title}\n{text}"
    facts: list[Fact] = []
    seen: set[str] = set()

    def add(kind, written, key):
        if key and key not in seen:
            seen.add(key)
            facts.append(Fact(kind, written.strip(), key))

    date_spans = []
    for written, key in _dates(body):
        add("date", written, "date:" + key)
        date_spans.append(written)
    masked = body
    for span in date_spans:
        masked = masked.replace(span, " ")
    masked = HTTP_URL.sub(" ", masked)
    for m in NUMBER.finditer(masked):
        number = m.group(1)
        if re.fullmatch(r"(19|20)\d\d", number) or (len(number) == 1 and not m.group(2).strip()):
            continue  # a bare year or a lone digit says little
        add("number", m.group(0), "num:" + _number_key(number))
    for m in _NAME.finditer(masked):
        add("name", m.group(1), "name:" + fold(m.group(1)))
    numbers = sorted((f for f in facts if f.kind == "number"), key=lambda f: not re.search(r"\D", f.text.strip()))
    ranked = [f for f in facts if f.kind == "date"][:1] + numbers[:2] + [f for f in facts if f.kind == "name"][:1]
    rest = [f for f in numbers if f not in ranked and re.search(r"\D", f.text.strip())]  # bare numbers only as top picks
    chosen = (ranked + rest)[:limit]
    link = url or next(iter(HTTP_URL.findall(text)), None)
    return ([Fact("link", link, "link:" + link.rstrip("/.")) ] if link else []) + chosen


def has_fact(draft: str, fact: Fact) -> bool:
    if fact.kind == "link":
        return fact.key[5:] in draft
    if fact.kind == "date":
        return any(key == fact.key[5:] or key.rsplit("-", 1)[0] == fact.key[5:].rsplit("-", 1)[0]
                   for _, key in _dates(draft))
    if fact.kind == "number":
        return any("num:" + _number_key(m.group(1)) == fact.key for m in NUMBER.finditer(draft))
    return fact.key[5:] in fold(draft)


def facts_in(text: str, facts: list[Fact]) -> list[Fact]:
    """The ones of ``facts`` that ``text`` states, in their order."""
    return [f for f in facts if has_fact(text, f)]


def number_keys(text: str) -> list[str]:
    """The normalised numbers written in ``text``, sorted, repeats kept (``12,5 %`` and ``12.5%`` share a key).

    >>> number_keys("7,5 % de 1 200 patients, 7.5% again")
    ['1200', '7.5', '7.5']
    """
    return sorted(_number_key(m.group(1)) for m in NUMBER.finditer(text))


def figure_keys(text: str) -> tuple[set[str], set[str]]:
    """The normalised numbers and dates of ``text`` (the numbers inside its dates too): what a draft
    may repeat without inventing it."""
    return set(number_keys(text)), {key for _, key in _dates(text)}


def figures_not_in(text: str, numbers: set[str], dates: set[str]) -> list[str]:
    """The dates (as written) and then the numbers of ``text`` that are not among the normalised
    ``numbers`` and ``dates`` (a date counts when its day and month are there, whatever its year);
    links and hashtags hold no figure."""
    out = []
    found = _dates(text)
    masked = text
    for written, key in found:
        if key not in dates and not any(key.rsplit("-", 1)[0] == d.rsplit("-", 1)[0] for d in dates):
            out.append(written)
        masked = masked.replace(written, " ")
    masked = HASHTAG.sub(" ", URL.sub(" ", masked))
    for m in NUMBER.finditer(masked):
        if _number_key(m.group(1)) not in numbers:
            out.append(m.group(1))
    return out
