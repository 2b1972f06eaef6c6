"""Retrieval's part of one person's data (``storage.personal_data``): the vectors of their profile texts and
posts (derived numbers: erased, not exported), except those of a text another employee shares; the
detected languages of texts are counts under a hash, not personal."""

from __future__ import annotations

from ..imports import people
from ..storage.personal_data import Part, Person
from ..storage.store import Store
from .embeddings import text_hash


def _profile_hashes(store: Store, email: str) -> list[str]:
    """Hashes of the texts embedded for this person (see people.profile_texts), excluding shared ones."""
    person_row = people.get_person(store, email)
    if person_row is None:
        return []
    mine = {text_hash(t) for _, t in people.profile_texts(person_row, people.posts_of(store, email))}
    if not mine:
        return []
    others = set()
    for other in store.rows("SELECT * FROM employees WHERE email <> ?", [email]):
        others |= {text_hash(t) for _, t in people.profile_texts(other, people.posts_of(store, other["email"]))}
    return sorted(mine - others)


def _erase_vectors(store: Store, p: Person, alias: str) -> dict[str, int]:
    hashes = _profile_hashes(store, p.email)  # the employee's rows are still there (erase_before)
    if not hashes:
        return {"embeddings": 0}
    found = store.value("SELECT count(*) FROM embeddings WHERE list_contains(?::VARCHAR[], text_hash)", [hashes])
    store.execute("DELETE FROM embeddings WHERE list_contains(?::VARCHAR[], text_hash)", [hashes])
    return {"embeddings": found}


PART = Part(handled=frozenset({"embeddings"}), erase_before=_erase_vectors, kept=frozenset({"text_languages"}))
