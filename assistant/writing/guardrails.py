r"""Guardrails on a draft built on the employee's own words: every check it passes before they see it.

Right language; at least ``OWN_WORDS_KEPT`` of the employee's content words kept (a model's polish
must not reword them away); the key point's facts present; no run of more than ``keypoint.MAX_RUN``
words of the item in what the software added (a condensed key point, not a pasted passage); the
employee not named in the third person; the social-media policy; the length limit; and the reader's
checks (``proofreading``: spelling, French grammar, chatter, links, invented numbers and names, bare
lists, another company) on what the software added, since the employee's own words are theirs.

>>> from assistant.writing.composing import Composed
>>> from assistant.writing.facts import key_facts
>>> from assistant.writing.policy import Policy
>>> from assistant.writing.proofreading import grounds
>>> item = "Le parc de Crest produit 12 MWc."
>>> draft = Composed("story", "Mon équipe a posé ces panneaux.\n\nLe parc produit 12 MWc.", own=((0, 31),),
...                  point="Le parc produit 12 MWc.")
>>> result = composed_checks(draft, "fr", key_facts(item), item, Policy(configured=False), grounds(item))
>>> result["passed"], result["own_words_kept"], result["facts_total"], result["copy_run"]
(True, 1.0, 1, 3)
"""

from __future__ import annotations

from .. import language
from ..text import WORD, fold
from .composing import Composed
from .facts import Fact, facts_in
from .keypoint import MAX_RUN, longest_shared_run, names_person
from .policy import Policy, check
from .proofreading import READER_CHECKS, Grounds, read

MAX_CHARS = 1300          # a LinkedIn post that is read to the end


OWN_WORDS_KEPT = 0.8      # share of the employee's content words a draft keeps, at least
COMPOSED_GUARDS = ("language_ok", "own_words_ok", "facts_ok", "copy_run_ok", "third_person_ok", "policy_ok",
                   "length_ok") + READER_CHECKS


def composed_checks(draft: Composed, lang: str, facts: list[Fact], source: str, policy: Policy, grounds: Grounds,
                    names: tuple[str, ...] = (), limit: int = MAX_CHARS) -> dict:
    """Every check of a ``draft`` built on the employee's words, in one pass: in ``lang``; ≥ ``OWN_WORDS_KEPT``
    of their content words kept; the ones of the key point's ``facts`` its point states present, and every
    number or name found in the item, the profile or their words; no run of more than ``keypoint.MAX_RUN``
    words of the ``source``; the employee (``names``) not named in the third person; policy-clean; within
    ``limit``; and the reader's checks on what the software added (their own words are theirs to spell)."""
    text, added = draft.text, draft.added
    words = " ".join(o["text"] for o in draft.own_words)
    detected = language.detect(text)
    run = longest_shared_run(added, source)  # the employee may quote the item; the software may not
    kept = kept_share(words, text) if words else 1.0
    third = names_person(added, names)
    facts = facts_in(draft.point, facts)  # the facts its point states must be there, exactly
    present = facts_in(text, facts)
    missing = [f for f in facts if f not in present]
    violations = check(text, policy)
    result = {
        "language": detected, "language_ok": detected == lang,
        "own_words_kept": kept, "own_words_ok": kept >= OWN_WORDS_KEPT,
        "facts_total": len(facts), "facts_missing": [f.text for f in missing], "facts_ok": not missing,
        "copy_run": run, "copy_run_ok": run <= MAX_RUN,
        "third_person_ok": not third,
        "policy": violations, "policy_ok": not violations,
        "length": len(text), "length_ok": 0 < len(text) <= limit,
    }
    result.update(read(added, lang, "", grounds, None))
    result["passed"] = all(result[k] for k in COMPOSED_GUARDS)
    return result


def kept_share(words: str, text: str) -> float:
    """Share of the content words (3+ letters) of ``words`` found in ``text``: 1.0 when all are kept.

    >>> kept_share("la fermentation ouverte me manque", "La fermentation ouverte, quel souvenir.")
    0.667
    """
    mine = [w for w in WORD.findall(fold(words)) if len(w) >= 3]
    if not mine:
        return 1.0
    theirs = set(WORD.findall(fold(text)))
    return round(sum(w in theirs for w in mine) / len(mine), 3)
