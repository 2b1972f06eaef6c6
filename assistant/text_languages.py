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
"""

from __future__ import annotations

from . import language
from .embeddings import text_hash
from .store import Store


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
        store.db.executemany("INSERT OR IGNORE INTO text_languages (text_hash, language) VALUES (?, ?)", new)
        known.update(new)
    return {t: known[h] for h, t in hashes.items()}
