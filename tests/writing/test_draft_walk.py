"""How often one draft request comes back into a file it already left (issue 22's "walk").

A reader following a request goes from function to function; each distinct call from a function of one
project file into a function of another is one step, and a step into a file already entered is a return. The
core helpers (``text``, ``language``, ``config``, ``words``) are left out: they are called from everywhere by
design. Measured with ``sys.setprofile`` on a draft with the employee's words (fake models).
At the ghost-writing design (``80ccdd2``) the same count gave 39 returns over 16 files (prompting entered 6
times, guardrails 5); composing around the employee's words (``cf9c134``) 27 over 15 (facts entered 10 times,
composing 6); 14 over 14 since the request's data is worked out once and handed down (the plan holds the store,
the sanitised item, the key point, the grounds and the employee's names; a composed draft its own words and
added text; the checks of a variant run in one pass, reading numbers and dates through one ``facts`` API). The
test keeps it from growing back.
"""

from __future__ import annotations

import collections
import json
import sys

from assistant.imports.catalog import ingest
from assistant.imports.people import import_people
from assistant.writing import drafting
from tests.conftest import DEMO, ROOT, write

CORE = ("assistant/text.py", "assistant/language.py", "assistant/config.py", "assistant/words/")
ITEM = {"id": "solar", "title": "Notre parc solaire de la Drôme", "language": "fr", "kind": "news",
        "url": "https://example.test/solaire",
        "text": "Le parc solaire de Crest produit 12 MWc depuis le 3 novembre 2026, soit la consommation de 4 000 "
                "foyers. Il a été construit avec la commune en 14 mois."}
PERSON = {"email": "camille@example.com", "name": "Camille", "role": "Ingénieure data", "languages": ["fr"],
          "consent_program": True, "posts": ["Ravie d'avoir animé mon premier atelier ! 🚀 #data"]}


def steps_of(run) -> list[str]:
    """The project files entered, one per distinct cross-file call, in the order of the request."""
    root = str(ROOT)
    ours = lambda filename: filename.startswith(root) and "/.venv/" not in filename  # noqa: E731
    stack, edges, steps = [], set(), []

    def profile(frame, event, arg):
        if event == "call":
            here = (frame.f_code.co_filename, frame.f_code.co_name)
            caller = next((f for f in reversed(stack) if ours(f[0])), None)
            stack.append(here)
            if ours(here[0]) and caller and caller[0] != here[0] and (caller, here) not in edges:
                edges.add((caller, here))
                steps.append(here[0][len(root) + 1:])
        elif event == "return" and stack:
            stack.pop()

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return steps


def test_a_draft_request_returns_to_a_file_it_left_at_most_14_times(ctx, tmp_path):
    ingest(ctx.store, [write(tmp_path / "c.jsonl", json.dumps(ITEM))])
    import_people(ctx.store, [write(tmp_path / "p.jsonl", json.dumps(PERSON))])
    ctx.settings.policy_path.write_text((DEMO / "policy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    run = lambda: list(drafting.stream_variants(ctx, PERSON["email"], "solar", words="j'ai visité le chantier en mai"))  # noqa: E731
    run()  # warm: lazy loads and caches are not the request's walk
    entered = collections.Counter(s for s in steps_of(run) if not s.startswith(CORE))
    returns = sum(n - 1 for n in entered.values())
    print(f"{len(entered)} files, {returns} returns:", dict(entered.most_common()))
    assert "assistant/writing/composing.py" in entered, "the walk is seen"
    assert returns <= 14, entered.most_common()
