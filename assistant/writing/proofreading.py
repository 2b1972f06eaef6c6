"""What a careful reader catches in a draft, before an employee ever sees it.

A small model writes fluent-looking posts that no employee would publish: chatter
addressed to the user ("Bien sûr, voici un post…"), mangled or mixed words
("systéms", "jour et night"), links it made up, numbers and names that are not
in the item, a "question" angle without a question, a bare list of numbers, or
another company's name. Each check here is cheap and deterministic, and each
returns what it found so the drafting eval can report per-check rates.

What a draft may rely on is its :class:`Grounds`: the item (title and text), the
employee's profile (role, team, expertise, skills) and their past posts. A word,
number or name found there is never the model's invention.

Spelling uses Hunspell dictionaries (Debian's ``hunspell-fr`` and ``hunspell-en-us``,
real affix rules: "éoliennes", "l'atelier", "penses-tu" are words) through
``spylls``, a pure-Python Hunspell; words of the grounds are always accepted
(product names, jargon). French grammar ("une brasseur", "je me fait") is
checked by :mod:`assistant.writing.grammar`, outside quotations of the company's text.
Without the dictionaries or the grammar checker, the check reports itself
unavailable rather than passing silently.

>>> g = grounds("Le parc de Crest produit 12 MWc pour Nordlys.", "Parc de Crest", {"role": "Ingénieure"}, [])
>>> sorted(invented_numbers("Le parc produit 12 MWc depuis 5 ans.", g))
['5']
>>> chatter("Bien sûr, voici un post pour LinkedIn : J'ai visité le parc.", "fr")
['Bien sûr, voici un post pour LinkedIn :']
>>> written_urls("Plus d'infos sur nordlys-enerie.example/parc")
['nordlys-enerie.example/parc']
>>> bare_lists("À retenir : 24.\\nJ'ai adoré ce projet.", "fr")
['À retenir : 24.']
>>> angle_ok("J'ai visité le parc de Crest.", "question", "fr", None)
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from spylls.hunspell import Dictionary

from ..text import HASHTAG, QUOTED, URL, fold
from .facts import NUMBER, figure_keys, figures_not_in
from .grammar import grammar_errors

DICTIONARIES = Path("/usr/share/hunspell")
_FILES = {"fr": "fr", "en": "en_US"}
_WORD = re.compile(r"(?:[^\W_]+(?:['’-][^\W_]+)*)%?", re.UNICODE)  # words, elided and hyphenated ones, "trois0%"
_UNIT = re.compile(r"\d+(?:h|min|s|km|kg|k|m|er|re|e|ème|eme|ère|nd|st|rd|th|x|h\d\d)", re.I)  # 24h, 1er, 3e, 2x
_SENTENCE = re.compile(r"[^.!?\n]+[.!?…]*")
_DOMAIN = re.compile(r"\b(?:[\w-]+\.)+(?:example|com|fr|org|net|io|eu|co|be|ch|ca|info|biz)\b(?:/\S*)?", re.I)
_CAPITALISED = re.compile(r"\b[A-ZÉÈÀÂÎÔÇ][\w'’-]*[A-Za-zÀ-ÿ]\b")


@dataclass
class Grounds:
    """Everything a draft may say without inventing it: words, numbers and names, folded."""

    words: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    company: str | None = None
    quotable: list[str] = field(default_factory=list)  # the item's text and title, as folded words

    def knows(self, word: str) -> bool:
        return fold(word) in self.words

    def quotes(self, quotation: str) -> bool:
        """Whether ``quotation`` (« … », with or without its marks) is the item's own words: each of its
        sentences and of its pieces around an ellipsis is in the item's text or title.

        >>> g = grounds("Le parc produit 12 MWc depuis mai. Il a été construit en 14 mois.", "Notre parc")
        >>> g.quotes("« Notre parc. Le parc produit 12 MWc… en 14 mois. »"), g.quotes("« Le parc est génial. »")
        (True, False)
        """
        pieces = [" ".join(_WORD.findall(fold(p))) for p in re.split(r"…|\.\.\.|(?<=[.!?])\s+", quotation)]
        return any(p for p in pieces) and all(any(p in text for text in self.quotable) for p in pieces if p)


def grounds(source: str, title: str = "", person: dict | None = None, posts: list[str] = (),
            company: str | None = None) -> Grounds:
    """The :class:`Grounds` of a draft about ``source`` written for ``person`` (with their ``posts``)."""
    person = person or {}
    profile = [str(person.get(k) or "") for k in ("role", "team", "expertise", "name")]
    profile += [str(s) for s in person.get("skills") or []]
    texts = [source, title, *profile, *posts, company or ""]
    g = Grounds(company=company, quotable=[" ".join(_WORD.findall(fold(t))) for t in (source, title) if t])
    for text in texts:
        g.words.update(fold(w) for w in _WORD.findall(text))
        for part in re.findall(r"[\w'’-]+", text):  # hyphenated and elided pieces count on their own
            g.words.update(fold(p) for p in re.split(r"['’-]", part) if p)
        numbers, dates = figure_keys(text)
        g.numbers.update(numbers)
        g.dates.update(dates)
    return g


@lru_cache(maxsize=2)
def dictionary(lang: str) -> Dictionary | None:
    """The Hunspell dictionary of ``lang`` (loaded once per process, ~2 s), or None when not installed."""
    name = _FILES.get(lang)
    if name is None or not (DICTIONARIES / f"{name}.dic").exists():
        return None
    return Dictionary.from_files(str(DICTIONARIES / name))


def spelling_available(lang: str) -> bool:
    return dictionary(lang) is not None


def misspelled(text: str, lang: str, g: Grounds) -> list[str]:
    """Words of ``text`` that are neither in the ``lang`` dictionary nor in the grounds ("systéms",
    "trois0%", an English word in a French post). Hashtags and links are not words."""
    words = dictionary(lang)
    if words is None:
        return []
    clean = HASHTAG.sub(" ", URL.sub(" ", text))
    found = []
    for token in _WORD.findall(clean):
        if not any(ch.isalpha() for ch in token) or _UNIT.fullmatch(token):
            continue  # numbers are checked against the grounds elsewhere
        if g.knows(token) or (len(token) <= 1 and token.isalpha()):
            continue
        if words.lookup(token) or words.lookup(token.lower()):
            continue
        pieces = [p for p in re.split(r"['’-]", token) if p]
        if len(pieces) > 1 and all(g.knows(p) or words.lookup(p) or words.lookup(p.lower()) or len(p) <= 2
                                   for p in pieces):
            continue
        found.append(token)
    return list(dict.fromkeys(found))


_CHATTER = {
    "fr": [r"\bbien s[uû]r\b", r"\bvoici (?:un|une|le|la|votre|ton|mon)\b", r"\bvoil[aà] (?:un|le|votre)\b",
           r"\bj'esp[eè]re que (?:ce|cela|ça) (?:post|texte|brouillon)", r"\bn'h[ée]sitez? pas [aà] (?:me )?(?:dire|modifier|ajuster)",
           r"\b(?:votre|ton) (?:post|brouillon|texte)\b", r"\bpost linkedin\b", r"\ben tant qu'(?:ia|assistant)",
           r"\b(?:adaptez|modifiez|personnalisez)[- ]le\b", r"^\s*(?:post|brouillon)\s*:"],
    "en": [r"\b(?:sure|certainly|of course)[,!]", r"\bhere(?:'s| is) (?:a|an|the|your|my)\b",
           r"\bi hope (?:this|that) (?:post|draft|helps)", r"\bfeel free to (?:adjust|edit|modify|change)",
           r"\byour (?:post|draft)\b", r"\blinkedin post\b", r"\bas an ai\b", r"^\s*(?:post|draft)\s*:"],
}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def chatter(text: str, lang: str) -> list[str]:
    """Sentences addressed to the user instead of the network ("Bien sûr, voici…", "Here is your post")."""
    patterns = [re.compile(p, re.I | re.M) for p in _CHATTER.get(lang, []) + _CHATTER["en"]]
    out = []
    for sentence in re.split(r"(?<=[.!?:])\s+|\n", text):
        if sentence.strip() and any(p.search(sentence) for p in patterns):
            out.append(sentence.strip())
    return out


def written_urls(text: str) -> list[str]:
    """Every link or bare domain in ``text`` (drafts carry none: the share step adds the tracked link)."""
    found = [m.group(0).rstrip(".,;)") for m in URL.finditer(text)]
    rest = URL.sub(" ", text)
    found += [m.group(0).rstrip(".,;)") for m in _DOMAIN.finditer(rest)]
    return found


def invented_numbers(text: str, g: Grounds) -> list[str]:
    """Numbers and dates of ``text`` found nowhere in the grounds ("for over 5 years")."""
    return figures_not_in(text, g.numbers, g.dates)


def invented_names(text: str, g: Grounds, lang: str) -> list[str]:
    """Names the model made up: runs of capitalised words ("Julie Martin") and capitalised words
    inside a sentence that are neither common words nor in the grounds."""
    words = dictionary(lang)
    common = (lambda w: bool(words.lookup(w.lower()))) if words is not None else (lambda w: False)
    out = []
    for sentence in re.split(r"(?<=[.!?:])\s+|\n", HASHTAG.sub(" ", URL.sub(" ", text))):
        tokens = list(_CAPITALISED.finditer(sentence))
        runs: list[list] = []
        for m in tokens:
            if runs and sentence[runs[-1][-1].end():m.start()].strip() == "":
                runs[-1].append(m)
            else:
                runs.append([m])
        for run in runs:
            names = [m.group(0) for m in run]
            unknown = [n for n in names if not g.knows(n) and fold(n) not in _PLATFORMS
                       and not all(g.knows(p) for p in re.split(r"['’-]", n) if p)]
            initial = run[0].start() == len(sentence) - len(sentence.lstrip())
            if len(names) >= 2 and unknown and not (initial and len(names) == 2 and common(names[0]) and
                                                    not unknown[1:] and names[0] in unknown):
                out += unknown
            elif len(names) == 1 and unknown and not common(names[0]) and not (words and words.lookup(names[0])):
                out += unknown
    return list(dict.fromkeys(out))


_PLATFORMS = {"linkedin", "twitter", "instagram", "facebook", "mastodon", "bluesky", "youtube"}
_LABELS = re.compile(r"^(?:à retenir|les chiffres clés|chiffres clés|key facts|the key numbers|key numbers)\s*:", re.I)


def bare_lists(text: str, lang: str) -> list[str]:
    """Lines or sentences that are only numbers and separators ("À retenir : 24.", "24, 40, Helion Énergie.")."""
    out = []
    for line in (s for part in text.split("\n") for s in re.split(r"(?<=[.!?])\s+", part)):
        body = _LABELS.sub("", line.strip()).strip()
        if not body:
            continue
        tail = body.rsplit(":", 1)[-1] if ":" in body else ""
        tail_items = [i for i in re.split(r"[,;]", tail) if i.strip()]
        if len(tail_items) >= 2 and all(len(i.split()) <= 2 for i in tail_items) and \
                sum(bool(NUMBER.search(i)) for i in tail_items) >= 2:
            out.append(line.strip())
            continue
        numbers = len(NUMBER.findall(body))
        words = [w for w in re.findall(r"[^\W\d_]{3,}", body) if fold(w) not in _FILLER]
        items = [i for i in re.split(r"[,;]", body) if i.strip()]
        if numbers and (len(words) < 2 or (len(items) >= 3 and all(len(i.split()) <= 2 for i in items))):
            out.append(line.strip())
    return out


_FILLER = {"and", "the", "les", "des", "et", "une", "pour", "avec", "sur", "dans"}
_QUESTION = re.compile(r"\?")
_EXPERIENCE = {"fr": r"\b(j'ai|j’ai|je suis|j'étais|j’étais|mon équipe|notre équipe|dans mon (?:travail|quotidien|métier|équipe)|je (?:travaille|suis|vois|constate|retiens|pense)|me rappelle|personnellement)\b",
               "en": r"\b(i've|i’ve|i have|i had|i was|i am|i'm|i’m|my team|our team|in my (?:work|job|role|day)|i (?:work|see|remember|learned|think))\b"}
_JOB = {"fr": r"\b(métier|travail|quotidien|poste|mission|missions|rôle|fonction|équipe|clients?|projets?)\b",
        "en": r"\b(job|work|day-to-day|daily|role|team|clients?|customers?|projects?)\b"}


def angle_ok(text: str, angle: str, lang: str, role: str | None) -> bool:
    """Whether the draft does what its angle promises: the question angle asks a question, the
    experience angle speaks of the employee's own work, the job angle names their job."""
    folded = text.casefold()
    if angle == "question":
        return bool(_QUESTION.search(text))
    if angle == "experience":
        return bool(re.search(_EXPERIENCE.get(lang, _EXPERIENCE["en"]), folded))
    if angle == "job":
        role_words = [w for w in re.findall(r"\w{4,}", fold(role or ""))]
        return bool(re.search(_JOB.get(lang, _JOB["en"]), folded)) or any(w in fold(text) for w in role_words)
    return True


_EMPLOYER = {"fr": re.compile(r"\b(?i:je travaille|travaillant|je bosse|mon employeur|nous,? chez|chez nous)\s*"
                              r"(?i:chez|pour|à|:)?\s*([A-ZÉ][\w'’&.-]*(?:\s+[A-ZÉ][\w'’&.-]*)*)"),
             "en": re.compile(r"\b(?i:i work|working|employed)\s+(?i:at|for|with)\s+([A-Z][\w'’&.-]*(?:\s+[A-Z][\w'’&.-]*)*)")}


def wrong_company(text: str, g: Grounds) -> list[str]:
    """Employers named in the draft ("je travaille chez X") that are not the installation's company
    nor named in the item: another company's disclosure pasted into this one's post."""
    out = []
    own = {w for w in re.findall(r"\w{3,}", fold(g.company or ""))}
    for pattern in _EMPLOYER.values():
        for m in pattern.finditer(text):
            name = m.group(1).strip(" .,")
            words = set(re.findall(r"\w{3,}", fold(name)))
            if (own and words & own) or (not own and g.knows(name.split()[0])):
                continue
            out.append(name)
    return out


_STOP = set("""le la les un une des du de et ou en au aux est sont pour par sur dans avec ce cet cette ces qui que
dont il elle ils elles on nous vous je tu mon ma mes notre nos votre vos leur leurs ne pas plus tres tout tous
comme mais donc car the and for with this that these those are was were our your their have has been will from
into about more very just also what when which who they them then than""".split())
_PERSONAL = re.compile(r"\b(je|j['’]|me|moi|mon|ma|mes|i|i['’]m|me|my|we|nous|notre)\b|\?", re.I)


def to_check(text: str, lang: str, g: Grounds) -> list[str]:
    """Sentences the employee should verify before posting: they hold a number or a name found
    nowhere in the item or their profile, or they state something (not a question, not about
    themselves) whose words are mostly new. Opinions and questions are the employee's own.

    >>> g = grounds("Le parc de Crest produit 12 MWc.", "Parc", {"role": "Technicienne"}, [])
    >>> to_check("Le parc de Crest produit 12 MWc. Il emploie 40 personnes. Je suis ravie !", "fr", g)
    ['Il emploie 40 personnes.']
    """
    out = []
    for sentence in sentences(text):
        if invented_numbers(sentence, g) or invented_names(sentence, g, lang):
            out.append(sentence)
            continue
        content = [w for w in re.findall(r"[^\W\d_]{4,}", sentence) if fold(w) not in _STOP]
        if len(content) >= 4 and not _PERSONAL.search(sentence) and \
                sum(g.knows(w) for w in content) / len(content) < 0.5:
            out.append(sentence)
    return out


def still_to_check(text: str, flagged: list[str]) -> list[str]:
    """The flagged sentences the employee has not edited yet: still in ``text`` word for word (spacing
    and case aside). A sentence they rewrote or deleted is theirs now, so the editor stops marking it.

    >>> still_to_check("Il emploie  40 personnes. Je suis ravie !", ["Il emploie 40 personnes.", "Le site ouvre en mai."])
    ['Il emploie 40 personnes.']
    """
    def norm(s: str) -> str:
        return " ".join(s.split()).casefold()

    present = norm(text)
    return [s for s in flagged if s.strip() and norm(s) in present]


def read(text: str, lang: str, angle: str, g: Grounds, role: str | None = None) -> dict:
    """Every reader's check on one draft: ``{"<check>_ok": bool, "<check>": [what was found]}``."""
    found = {
        "spelling": misspelled(text, lang, g),
        "chatter": chatter(text, lang),
        "urls": written_urls(text),
        "numbers": invented_numbers(text, g),
        "names": invented_names(text, g, lang),
        "bare_list": bare_lists(text, lang),
        "company": wrong_company(text, g),
        # a quotation of the item is the company's text, not the draft's; any other "quotation" is the draft's own
        "grammar": grammar_errors(QUOTED.sub(lambda m: " " if g.quotes(m.group(0)) else m.group(0), text), lang),
    }
    grammar_checked = found["grammar"] is not None  # None: no grammar checker for ``lang`` here
    found["grammar"] = found["grammar"] or []
    result = {f"{name}_ok": not items for name, items in found.items()}
    result.update({f"unknown_{name}" if name in ("numbers", "names") else name: items
                   for name, items in found.items() if items})
    result["angle_ok"] = angle_ok(text, angle, lang, role)
    result["spelling_checked"] = spelling_available(lang)
    result["grammar_checked"] = grammar_checked
    return result


READER_CHECKS = ("spelling_ok", "grammar_ok", "chatter_ok", "urls_ok", "numbers_ok", "names_ok", "bare_list_ok",
                 "company_ok", "angle_ok")
