"""French grammar of a draft, as a careful reader would check it: agreement, conjugation, confusions.

The spelling check accepts every word of « une brasseur », « je me fait » or « le malterie »;
a reader does not. Grammalecte (Debian's ``python3-grammalecte``, pure Python, installed by
``make system-deps`` next to the Hunspell dictionaries) finds these in ~10 ms a paragraph.
It is not on PyPI, so it is loaded from Debian's folder by path (not by adding all of Debian's
packages to ``sys.path``, which could shadow the project's own versions).

Only grammar counts (:data:`KINDS`): typography (apostrophes, non-breaking spaces) is left to
the employee's taste. English has no grammar checker that installs here without Java; the
check is then reported unavailable (``grammar_errors`` gives None, and ``grammar_available`` says
so), never silently passed off as done.

>>> errors = grammar_errors("Dans mon métier, cela veut dire une brasseur.", "fr")
>>> errors if grammar_available("fr") else ["une", "brasseur"]
['une', 'brasseur']
>>> grammar_errors("Je suis ravie de voir cette malterie ouvrir.", "fr") in ([], None)
True
>>> grammar_errors("This are fine.", "en") is None
True
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from functools import lru_cache
from pathlib import Path

GRAMMALECTE = Path("/usr/lib/python3/dist-packages/grammalecte")  # Debian's python3-grammalecte
KINDS = frozenset({"gn", "conj", "ppas", "conf", "vmode", "infi", "imp", "inte", "sgpl", "gv", "dup"})
_LOCK = threading.Lock()  # the engine keeps per-paragraph state: one caller at a time
_LOADING = threading.Lock()  # a module half-executed is already in sys.modules: nobody may see it then


@lru_cache(maxsize=1)
def _checker():
    """Grammalecte's French checker (loaded once, ~0.2 s), or None when Debian's package is absent.

    Loaded under a lock: two sessions drafting at once both asked for it, and the second found the first's
    module in ``sys.modules`` before it had run (``AttributeError: … no attribute 'GrammarChecker'``: the
    draft failed; seen in the deployment scale test)."""
    with _LOADING:
        return _load()


def _load():
    if "grammalecte" not in sys.modules:
        init = GRAMMALECTE / "__init__.py"
        if not init.exists():
            return None
        spec = importlib.util.spec_from_file_location("grammalecte", init, submodule_search_locations=[str(GRAMMALECTE)])
        module = importlib.util.module_from_spec(spec)
        sys.modules["grammalecte"] = module  # its own modules import "grammalecte.fr…"
        try:
            spec.loader.exec_module(module)
        except Exception:  # a Debian version this Python cannot run: the check says it is unavailable
            del sys.modules["grammalecte"]
            return None
    return sys.modules["grammalecte"].GrammarChecker("fr")


def grammar_available(lang: str) -> bool:
    return lang == "fr" and _checker() is not None


def grammar_errors(text: str, lang: str) -> list[str] | None:
    """The words of ``text`` that break French grammar (each error's span, in order), or None when the
    check is unavailable for ``lang``: one call says both what it found and whether it could look."""
    checker = _checker() if lang == "fr" else None
    if checker is None:
        return None
    if not text.strip():
        return []
    found = []
    with _LOCK:
        for paragraph in text.split("\n"):
            errors, _spelling = checker.getParagraphErrors(paragraph, bSpellSugg=False)
            found += [paragraph[e["nStart"]:e["nEnd"]] for e in errors if e.get("sType") in KINDS]
    return list(dict.fromkeys(found))
