"""Digests' part of one person's data (``storage.personal_data``): their deliveries, opt-outs and
preferences, the preferences they set for others, and their name in failure reasons (pseudonymised). The
opt-out inbox beside the store is ``optouts``' part."""

from __future__ import annotations

from ..storage.personal_data import Part, Person
from ..storage.store import Store
from . import log


def _pseudonymise_runs(store: Store, p: Person, alias: str) -> dict[str, int]:
    return {"digest_runs": log.pseudonymise(store, p.email, alias)}


PART = Part(
    rows={"digest_deliveries": ("lower(email) = ?", lambda p: [p.email]),
          "digest_optouts": ("lower(email) = ?", lambda p: [p.email]),
          "digest_preferences": ("lower(email) = ?", lambda p: [p.email])},
    authored={"digest_preferences": "updated_by"},
    kept=frozenset({"digest_runs"}), erase=_pseudonymise_runs)  # a run's counts are kept, reasons pseudonymised
