"""Detected languages of profile texts, stored once per text.

Scope and why: ``recommend`` detects the language of an employee's expertise
statement and skills on each call (posts carry theirs). langdetect costs about
5 ms a text in pure Python, which is nothing for one employee and 100 s for a
digest over 10,000. The language of a text never changes, so batches look it up
here by the text's SHA-256 and detect only texts never seen (the same
``language.detect`` as ``recommend``, so both agree).

    >>> languages_of(store, ["Je conçois des pipelines de données temps réel.", "Data quality for industrial sensors"])
    {'Je conçois des pipelines de données temps réel.': 'fr', 'Data quality for industrial sensors': 'en'}
    >>> store.value("SELECT count(*) FROM text_languages")
    2
    >>> warm(store, ["Je conçois des pipelines de données temps réel.", "Kafka, Spark, dbt, Iceberg et Python"])
    1

The app's digest schedule calls :func:`warm` between runs, so even the first run seldom detects.
"""

from __future__ import annotations

import pyarrow as pa

from .. import language
from ..storage.store import Store
from .embeddings import text_hash


def languages_of(store: Store, texts: list[str]) -> dict[str, str]:
    """``{text: language}`` for ``texts``, detecting (and storing) only the unknown ones."""
    unique = list(dict.fromkeys(texts))
    if not unique:
        return {}
    hashes = {text_hash(t): t for t in unique}
    known = dict(store.execute(
        """SELECT l.text_hash, l.language FROM text_languages l
           JOIN (SELECT unnest(?::TEXT[]) AS text_hash) w USING (text_hash)""", [list(hashes)]).fetchall())
    new = [(h, language.detect(t)) for h, t in hashes.items() if h not in known]
    if new:
        # one statement for the batch (on PostgreSQL an upsert PostgreSQL runs, not one per text)
        with store.registered("_pv_languages", pa.table({"text_hash": [h for h, _ in new],
                                                         "language": [lang for _, lang in new]})):
            store.execute("INSERT OR IGNORE INTO text_languages (text_hash, language) "
                          "SELECT text_hash, language FROM _pv_languages")
        known.update(new)
    return {t: known[h] for h, t in hashes.items()}


def profile_texts(store: Store) -> list[str]:
    """The expertise statements and skills lines of enrolled employees (what ``recommend`` detects)."""
    texts = []
    for expertise, skills in store.execute("SELECT expertise, skills FROM employees WHERE consent_program").fetchall():
        texts += [t for t in (expertise, ", ".join(skills or [])) if t]
    return texts


def warm(store: Store, texts: list[str], limit: int = 2000) -> int:
    """Detect and store up to ``limit`` of ``texts`` not stored yet (a background thread's small step); returns how many."""
    hashes = {text_hash(t): t for t in dict.fromkeys(texts)}
    if not hashes:
        return 0
    stored = {r[0] for r in store.execute("""SELECT l.text_hash FROM text_languages l
                                             JOIN (SELECT unnest(?::TEXT[]) AS text_hash) w USING (text_hash)""",
                                          [list(hashes)]).fetchall()}
    todo = [t for h, t in hashes.items() if h not in stored][:limit]
    languages_of(store, todo)
    return len(todo)
