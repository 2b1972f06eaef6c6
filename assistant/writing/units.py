"""Figures and dates written the way a language writes them, for a key point in the other language.

``4 000 foyers`` reads ``4,000`` in English and ``1.5 MW`` reads ``1,5 MW`` in French; a date is
written with the language's month names (month names and number marks: the catalogue, ``assistant/words``). The value is the item's, exactly: only its form changes.
The words a bare number counts ("15 data scientists") come from the item, when they are a unit
the other language writes the same way or one of ``UNITS``; otherwise the number stands alone.

>>> figure(Fact("number", "4 000 foyers", "num:4000"), "en"), figure(Fact("number", "1.5 MW", "num:1.5"), "fr")
('4,000 households', '1,5 MW')
>>> figure(Fact("date", "3 novembre 2026", "date:3-11-2026"), "en")
'3 November 2026'
>>> figure(Fact("number", "12 000", "num:12000"), "en", "une ligne de 12 000 litres par semaine")
'12,000 litres a week'
"""

from __future__ import annotations

import re

from ..words.catalogue import entry, number as written
from .facts import Fact

# Units and counted things a key point may carry across languages: (French, English).
UNITS = [("personnes", "people"), ("salariés", "employees"), ("collaborateurs", "employees"), ("foyers", "households"),
         ("clients", "customers"), ("patients", "patients"), ("sites", "sites"), ("parcs", "farms"),
         ("tonnes", "tonnes"), ("heures", "hours"), ("jours", "days"), ("semaines", "weeks"), ("mois", "months"),
         ("ans", "years"), ("années", "years"), ("minutes", "minutes"), ("pays", "countries"), ("villes", "cities"),
         ("magasins", "shops"), ("points de vente", "shops"), ("litres", "litres"), ("capteurs", "sensors"),
         ("éoliennes", "wind turbines"), ("postes", "jobs"), ("emplois", "jobs"), ("projets", "projects"),
         ("équipes", "teams"), ("étudiants", "students"), ("apprentis", "apprentices"), ("exploitations", "farms"),
         ("participants", "participants"), ("partenaires", "partners"), ("bureaux", "offices"),
         ("millions", "million"), ("milliards", "billion")]
RATES = [("par jour", "a day"), ("par semaine", "a week"), ("par mois", "a month"), ("par an", "a year"),
         ("par jour", "per day"), ("par semaine", "per week"), ("par mois", "per month"), ("par an", "per year")]
_NEUTRAL = re.compile(r"^(?:%|€|\$|£|k€|M€|MWc|MWh|GWh|kWh|MW|GW|kW|km|kg|t|h|min)$")


def figure(fact: Fact, lang: str, source: str = "") -> str:
    """A number or date ``fact`` written the ``lang`` way, with its unit when it can be said in ``lang``."""
    if fact.kind == "date":
        day, month, year = (fact.key[5:].split("-") + ["", "", ""])[:3]
        return f"{int(day)} {entry(lang, 'dates.months')[int(month) - 1]}{' ' + year if year else ''}"
    value = fact.key[4:]
    unit = re.sub(r"^[\d\s\u202f\u00a0.,]+", "", fact.text).strip()
    if not unit and source:  # "15 data scientists": the words the item puts after a bare number
        after = re.search(re.escape(fact.text) + r"\s+([^\W\d_]+(?:\s+de\s+vente)?)", source)
        unit = after.group(1) if after else ""
    rate = ""
    if source and unit:  # "12 000 litres par semaine": what the figure is per
        per = re.search(re.escape(fact.text) + r"(?:\s+" + re.escape(unit) + r")?\s+(par|per|a|an)\s+(\w+)", source)
        rate = next((pair[1 if lang == "en" else 0] for pair in RATES
                     if per and f"{per.group(1)} {per.group(2)}".casefold() in pair), "")
    number = written(value, lang)
    said = said_in(unit, lang)
    return f"{number} {said}{' ' + rate if said and rate else ''}".strip()


def said_in(unit: str, lang: str) -> str:
    """``unit`` in ``lang``: itself when it is a symbol or already a ``lang`` unit, its translation from
    ``UNITS``, else nothing (a foreign word would break the draft's language)."""
    if not unit or _NEUTRAL.match(unit):
        return unit
    low = unit.casefold()
    for fr, en in UNITS:
        if low in (fr, en):
            return fr if lang == "fr" else en
    return ""
