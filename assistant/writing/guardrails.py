r"""Guardrails on a draft built on the employee's own words: every check it passes before they see it.

Right language; at least ``OWN_WORDS_KEPT`` of the employee's content words kept (a model's polish
must not reword them away); the key point's facts present; no run of more than ``keypoint.MAX_RUN``
words of the item in what the software added (a condensed key point, not a pasted passage); the
employee not named in the third person; the social-media policy; the length limit; and the reader's
checks (``proofreading``: spelling, French grammar, chatter, links, invented numbers and names, bare
lists, another company) on what the software added, since the employee's own words are theirs.

>>> from assistant.writing.policy import Policy
>>> from assistant.writing.proofreading import grounds
>>> result = composed_checks("Mon équipe a posé ces panneaux.\n\nLe parc produit 12 MWc.",
...                          "\n\nLe parc produit 12 MWc.", "mon équipe a posé ces panneaux", "fr", [],
...                          "Le parc de Crest produit 12 MWc.", Policy(configured=False),
...                          grounds("Le parc de Crest produit 12 MWc."))
>>> result["passed"], result["own_words_kept"], result["copy_run"]
(True, 1.0, 3)
"""

from __future__ import annotations

from .. import language
from .composing import kept_share
from .facts import Fact, missing_facts
from .keypoint import MAX_RUN, longest_shared_run, names_person
from .policy import Policy, check
from .proofreading import READER_CHECKS, Grounds, read

MAX_CHARS = 1300          # a LinkedIn post that is read to the end


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
