"""Guardrails on one draft: every check a candidate must pass before an employee sees it.

Language (langdetect), key facts kept, not a near-copy of the source (≤ ``MAX_COPIED``
of its word 3-grams), policy-clean, within the length limit, no text from sentences
removed as injected instructions, no copy of the worked example or of the employee's
own posts, no loop. ``repair`` puts dropped facts back in one line when that is the
only fault. ``failure`` names what failed, in words, for the logs and the CLI.

>>> failure({"language_ok": False, "facts_ok": True})
'wrong language'
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .. import language
from ..text import QUOTED, WORD, fold
from .authenticity import copied_share, shingles
from .composing import kept_share
from .facts import Fact, has_fact, key_facts, missing_facts
from .keypoint import MAX_RUN, longest_shared_run, names_person
from .policy import Policy, check
from .prompting import fact_bullets, templates
from .reading import READER_CHECKS, Grounds, read
from .reading import grounds as reading_grounds

MAX_COPIED = 0.3          # share of the draft's word 3-grams found in the source above which it is a near-copy
MAX_CHARS = 1300          # a LinkedIn post that is read to the end
GUARDS = ("language_ok", "facts_ok", "originality_ok", "policy_ok", "length_ok", "injection_ok", "example_ok",
          "repetition_ok") + READER_CHECKS


def _repeats(text: str, n: int = 8) -> bool:
    """Whether the draft loops: some run of ``n`` words occurs twice, or three sentences open with the
    same three words ("Vous êtes ravi de nos valeurs ? Vous êtes ravi de nos efforts ? …").

    >>> _repeats("Vous êtes ravi de nos vies ? Vous êtes ravi de nos efforts ? Vous êtes ravi de nos valeurs ?")
    True
    >>> _repeats("Je suis fière de l'équipe. Je suis allée sur le site. Et vous ?")
    False
    """
    words = re.findall(r"\w+", text.casefold())
    runs = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    if len(set(runs)) < len(runs):
        return True
    openings = Counter(tuple(w[:3]) for sentence in re.split(r"(?<=[.!?])\s+|\n+", text)
                       if len(w := re.findall(r"\w+", sentence.casefold())) >= 3)
    return max(openings.values(), default=0) >= 3


@lru_cache(maxsize=4)
def example_facts(lang: str) -> tuple[Fact, ...]:
    """The facts of the worked example: one in a draft (not in the item) was copied from the example."""
    return tuple(key_facts(templates(lang)["example"]["post"], "", None, limit=20))


def lifted_from_example(text: str, lang: str, source: str) -> bool:
    """Whether ``text`` lifts words of the prompt's worked example (another company's post): a fifth
    of its word 3-grams, three 3-grams of its own ("meet local small business in person instead of
    on video calls" in a post about a trade fair), or one of its names the item lacks ("Bristol").
    A 3-gram is not the example's own when the item has it too, when the request asks for it (the
    angle's words: "dans mon métier de"), or when it has no word of five letters or more ("c'est
    un", "day to day").

    >>> lifted_from_example("I can finally meet local small businesses in person at last.", "en", "")
    True
    >>> lifted_from_example("Since March the platform team led by Priya Natarajan has shipped our pipeline to "
    ...                     "50 retailers.", "en", "The platform team is led by Priya Natarajan.")
    False
    """
    words, source_words = set(WORD.findall(fold(text))), set(WORD.findall(fold(source)))
    if any(fold(name) in words and fold(name) not in source_words for name in templates(lang)["example"]["names"]):
        return True
    mine = shingles(text)
    shared = mine & shingles(templates(lang)["example"]["post"])
    if len(shared) > 0.2 * max(1, len(mine)):
        return True
    own = {g for g in shared - shingles(source) - _requested(lang) if any(len(w) >= 5 for w in g)}
    return len(own) >= 3


def pasted(text: str, opening: str, least: int = 6) -> bool:
    """Whether ``text`` holds ``opening`` (how one of the employee's posts opens, as the prompt shows it,
    "Trente ans d'atelier, je découvre encore …") word for word: the prompt pasted back. Openings of
    fewer than ``least`` words ("Ravie de partager …") are the employee's voice, free to reuse.

    >>> pasted("Mes posts : « Trente ans d'atelier, je découvre encore … »", "Trente ans d'atelier, je découvre encore …")
    True
    >>> pasted("Trente ans d'atelier et une nouvelle machine.", "Trente ans d'atelier, je découvre encore …")
    False
    """
    words = WORD.findall(fold(opening))
    return len(words) >= least and " ".join(words) in " ".join(WORD.findall(fold(text)))


@lru_cache(maxsize=4)
def _requested(lang: str) -> frozenset:
    """The word 3-grams the request itself asks for in ``lang``: its angles and forced openings."""
    t = templates(lang)
    return frozenset().union(*(shingles(phrase.replace("{role}", "")) for phrase in
                               [*t["angles"].values(), *t["starts"].values()] if phrase))


MAX_QUOTED = 0.5  # share of a post's words that may be a quotation of the company's text


def unquoted(text: str) -> str:
    """``text`` without its quotations, when they are at most ``MAX_QUOTED`` of its words: quoting the
    company's own sentence, marked as a quote, is not passing its text off as one's own.

    >>> unquoted("Fière de ce projet, et de toute l'équipe. « Le parc produit 12 MWc. » Et vous, qu'en pensez-vous ?")
    "Fière de ce projet, et de toute l'équipe.  Et vous, qu'en pensez-vous ?"
    """
    quoted = sum(len(m.group(0).split()) for m in QUOTED.finditer(text))
    return QUOTED.sub("", text) if quoted <= MAX_QUOTED * max(len(text.split()), 1) else text


def checks(text: str, lang: str, facts: list[Fact], source: str, policy: Policy, removed: list[str],
           examples: list[str] = (), grounds: Grounds | None = None, angle: str | None = None,
           role: str | None = None) -> dict:
    """Every guardrail on one draft; ``passed`` when all hold.

    ``examples`` are the employee's own posts shown in the prompt: a draft may sound like them,
    not repeat them (same 3-gram test as against the source). ``grounds`` (what the draft may
    rely on: the item, the profile, the posts) and ``angle`` add the reader's checks of
    ``reading.read``; without grounds only the source counts.
    """
    detected = language.detect(text)
    missing = missing_facts(text, facts)
    copied = copied_share(unquoted(text), source)
    violations = check(text, policy)
    injected = any(copied_share(text, sentence) > 0.3 for sentence in removed)
    leaked = lifted_from_example(text, lang, source) or any(pasted(text, post) for post in examples) or any(
        copied_share(text, post) > MAX_COPIED for post in examples) or any(
        has_fact(text, fact) and not has_fact(source, fact) for fact in example_facts(lang))
    result = {
        "language": detected, "language_ok": detected == lang,
        "facts_total": len(facts), "facts_missing": [f.text for f in missing], "facts_ok": not missing,
        "copied": round(copied, 3), "originality_ok": copied <= MAX_COPIED,
        "policy": violations, "policy_ok": not violations,
        "length": len(text), "length_ok": 0 < len(text) <= min(MAX_CHARS, policy.max_length.get("linkedin", MAX_CHARS)),
        "injection_ok": not injected,
        "example_ok": not leaked,
        "repetition_ok": not _repeats(text),
    }
    result.update(read(text, lang, angle or "", grounds or reading_grounds(source, company=policy.company), role))
    result["passed"] = all(result[k] for k in GUARDS)
    return result


def repair(text: str, result: dict, facts: list[Fact], source: str, lang: str, question: str = "",
           disclosure: str = "", same_language: bool = True) -> str:
    """A draft whose only faults are dropped facts and, with ``question``, no question for the question
    angle: the facts put back in one line, and ``question`` as its last sentence, before the
    ``disclosure`` line and the hashtags.

    The small default model often writes a good personal post but leaves out a number or a
    date, or writes about the item without asking anything when asked for a question to the
    network; adding the item's own clause for each missing fact, or a question, keeps the
    employee's angle and costs nothing, where a regeneration costs seconds. Other faults return
    ``text`` unchanged, and so does a draft whose own words are too few to stand as a post
    (``MIN_OWN_WORDS``), or whose missing facts would have to be quoted from an item in another
    language (``same_language=False``).
    """
    fixable = ({"facts_ok"} if same_language else set()) | ({"angle_ok"} if question else set())
    failing = {k for k in GUARDS if not result[k]}
    if not failing or failing - fixable:
        return text
    lines = text.split("\n")
    at = next((i for i, x in enumerate(lines) if x.startswith("#") or (disclosure and x.strip() == disclosure)),
              len(lines))
    if len(WORD.findall(" ".join(lines[:at]))) < MIN_OWN_WORDS:
        return text
    added = []
    if "facts_ok" in failing:
        missing = [f for f in facts if f.text in result["facts_missing"]]
        added.append(templates(lang)["facts_line"].format(facts=" ; ".join(fact_bullets(source, "", missing, lang))))
    if "angle_ok" in failing:
        added.append(question)
    return "\n".join(lines[:at] + added + lines[at:])


MIN_OWN_WORDS = 20  # a repaired draft is the model's post plus a line: the post itself says something


def failed_checks(result: dict) -> list[str]:
    """The names of the guards ``result`` failed (``["chatter_ok", …]``), for per-check rates."""
    return [k for k in GUARDS if not result.get(k, True)]


def failure(result: dict | None) -> str:
    if not result:
        return ""
    names = {"language_ok": "wrong language", "facts_ok": "facts missing", "originality_ok": "too close to the source",
             "policy_ok": "policy", "length_ok": "length", "injection_ok": "followed text from the source",
             "example_ok": "copied an example", "repetition_ok": "repeats itself", "spelling_ok": "unknown words", "grammar_ok": "grammar",
             "chatter_ok": "talks to the user", "urls_ok": "wrote a link", "numbers_ok": "invented numbers",
             "names_ok": "invented names", "bare_list_ok": "bare list of numbers", "company_ok": "another company",
             "angle_ok": "angle not honoured"}
    return ", ".join(label for key, label in names.items() if not result.get(key, True))


# --- drafts built on the employee's own words ---------------------------------------------------

OWN_WORDS_KEPT = 0.8      # share of the employee's content words a draft keeps, at least
COMPOSED_GUARDS = ("language_ok", "own_words_ok", "facts_ok", "copy_run_ok", "third_person_ok", "policy_ok",
                   "length_ok") + READER_CHECKS


def composed_checks(text: str, added: str, words: str, lang: str, facts: list[Fact], source: str, policy: Policy,
                    grounds: Grounds, names: tuple[str, ...] = (), limit: int = MAX_CHARS) -> dict:
    """Every check of a draft built on the employee's ``words``: in ``lang``; ≥ ``OWN_WORDS_KEPT`` of their
    content words kept; the key point's ``facts`` present and every number or name found in the item,
    the profile or their words; no run of more than ``keypoint.MAX_RUN`` words of the ``source``; the
    employee not named in the third person; policy-clean; within ``limit``; and the reader's checks on
    what the software ``added`` (their own words are theirs to spell)."""
    detected = language.detect(text)
    run = longest_shared_run(added, source)  # the employee may quote the item; the software may not
    kept = kept_share(words, text) if words else 1.0
    third = names_person(added, names)
    missing = missing_facts(text, facts)
    result = {
        "language": detected, "language_ok": detected == lang,
        "own_words_kept": kept, "own_words_ok": kept >= OWN_WORDS_KEPT,
        "facts_total": len(facts), "facts_missing": [f.text for f in missing], "facts_ok": not missing,
        "copy_run": run, "copy_run_ok": run <= MAX_RUN,
        "third_person_ok": not third,
        "policy": check(text, policy), "policy_ok": not check(text, policy),
        "length": len(text), "length_ok": 0 < len(text) <= limit,
    }
    result.update(read(added, lang, "", grounds, None))
    result["passed"] = all(result[k] for k in COMPOSED_GUARDS)
    return result
