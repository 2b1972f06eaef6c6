"""The store on a PostgreSQL server: DuckDB attaches it, so one SQL dialect and one set of migrations serve both.

Scope and why: ``PORTE_VOIX_DATABASE_URL=postgresql://…`` lets every process of an installation (several app
processes, the click service's sync, the CLI, cron jobs) write the same database at once, which the embedded
DuckDB file cannot (one writing process). The store keeps speaking DuckDB's SQL: an in-memory DuckDB attaches
the PostgreSQL database through DuckDB's ``postgres`` extension (loaded by path from the
``duckdb-extension-postgres`` package, never downloaded) and makes it the default catalog, so every query of the
product runs unchanged; filters are pushed down to PostgreSQL and plain inserts go through its COPY protocol. README
"Several processes: PostgreSQL" gives the figures that decided it against rewriting the store for psycopg.

What DuckDB cannot do (or does wrong) over an attached PostgreSQL, handled here:

* DDL (``CREATE SEQUENCE``, column defaults calling ``nextval``): a migration's ``CREATE``/``ALTER``/``DROP``
  statements run in PostgreSQL itself (:class:`MigrationDB`), DuckDB's type names spelled PostgreSQL's way;
  data statements of a migration still run through DuckDB, in the same transaction.
* Writes that must be atomic: DuckDB runs ``UPDATE``, ``DELETE`` and ``ON CONFLICT`` on the client (it reads
  the rows, computes, writes back by row address), so concurrent increments get lost and concurrent upserts
  fail. :func:`write` runs them in PostgreSQL, in the cursor's transaction, with ``RETURNING`` rows (and the
  row count DuckDB would give) read back. Plain ``INSERT`` stays with DuckDB (COPY: atomic).
* Isolation: the attachment uses READ COMMITTED, so a row updated by two processes at once is locked and
  re-read by PostgreSQL and both updates land.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path

import duckdb
import psycopg.sql

ALIAS = "pg"  # the attached database's name inside DuckDB
EXTENSION = "postgres_scanner"  # DuckDB requires this file name: the init function inside carries it


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def extension_file(extension_dir: Path) -> Path:
    """The postgres extension under the name DuckDB loads it by, copied once from its PyPI package."""
    import duckdb_extension_postgres as package  # the optional dependency: imported only with a database URL

    source = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "postgres.duckdb_extension"
    if not source.exists():
        raise FileNotFoundError(f"DuckDB's postgres extension for DuckDB {duckdb.__version__} not found at {source}; "
                                f"install duckdb-extension-postgres=={duckdb.__version__}")
    target = extension_dir / f"{EXTENSION}.duckdb_extension"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)  # atomic: two processes starting together never load half a file
    return target


def connect(url: str, extension_dir: Path, config: dict) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the PostgreSQL database at ``url`` attached as its default catalog."""
    con = duckdb.connect(":memory:", config=config)
    con.execute(f"LOAD {_literal(extension_file(extension_dir).as_posix())}")
    con.execute(f"ATTACH {_literal(url)} AS {ALIAS} (TYPE postgres, ISOLATION_LEVEL 'READ COMMITTED')")
    use(con)
    return con


def use(cursor: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Make the attached database the default of ``cursor`` (each DuckDB cursor starts on ``memory``)."""
    cursor.execute(f"USE {ALIAS}")
    return cursor


def run_in_postgres(cursor: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run ``sql`` in PostgreSQL itself, inside the cursor's current transaction (if any)."""
    cursor.execute(f"CALL postgres_execute({_literal(ALIAS)}, {_literal(sql)})")


_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)
_TYPES = [(re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE), "DOUBLE PRECISION"),
          (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
          (re.compile(r"\bJSON\b", re.IGNORECASE), "TEXT")]


def postgres_ddl(sql: str) -> str:
    """A migration's DDL in PostgreSQL's spelling (``DOUBLE`` → ``DOUBLE PRECISION``, ``BLOB`` → ``BYTEA``).

    JSON columns are TEXT: DuckDB reads PostgreSQL's ``json`` as text anyway (its JSON functions take text),
    and PostgreSQL would refuse the text values DuckDB's writes carry into a ``json`` column.

    >>> postgres_ddl("CREATE TABLE t (x DOUBLE, v BLOB NOT NULL, j JSON)")
    'CREATE TABLE t (x DOUBLE PRECISION, v BYTEA NOT NULL, j TEXT)'
    """
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql


class MigrationDB:
    """What a migration function receives on PostgreSQL: DDL runs in PostgreSQL, the rest through DuckDB."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def execute(self, sql: str, params=None):
        if _DDL.match(sql):
            if params:
                raise ValueError("DDL takes no parameters")
            run_in_postgres(self.con, postgres_ddl(sql))
            self.con.execute("CALL pg_clear_cache()")  # DuckDB re-reads the catalog: the new table is seen
            return self.con
        return self.con.execute(sql, params or [])

    def __getattr__(self, name):  # fetchall, fetchone… of the last statement
        return getattr(self.con, name)


def lock_migrations(con: duckdb.DuckDBPyConnection) -> None:
    """Inside the migration transaction: processes starting together migrate one after the other."""
    run_in_postgres(con, "SELECT pg_advisory_xact_lock(hashtext('porte-voix migrations'))")


# DuckDB functions the product's writes use, defined in PostgreSQL (created with the migrations' table)
COMPAT_FUNCTIONS = """
CREATE OR REPLACE FUNCTION list_contains(list TEXT[], element TEXT) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE AS 'SELECT element = ANY(list)';
CREATE OR REPLACE FUNCTION list_contains(list BIGINT[], element BIGINT) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE AS 'SELECT element = ANY(list)';
CREATE OR REPLACE FUNCTION contains(string TEXT, search TEXT) RETURNS BOOLEAN
    LANGUAGE sql IMMUTABLE AS 'SELECT strpos(string, search) > 0';
"""


_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_CHANGE = re.compile(r"^\s*(UPDATE|DELETE)\b", re.IGNORECASE)
_UPSERT = re.compile(r"^\s*INSERT\b.*\b(ON\s+CONFLICT|RETURNING)\b|^\s*INSERT\s+OR\s+IGNORE\b",
                     re.IGNORECASE | re.DOTALL)
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|[^'\"?]+", re.DOTALL)


def has_returning(sql: str) -> bool:
    return bool(_RETURNING.search(sql))


def runs_in_postgres(sql: str) -> bool:
    """Whether PostgreSQL must run ``sql`` itself (:func:`write`): updates, deletes, upserts, ``RETURNING``.

    A plain ``INSERT`` stays with DuckDB, whose COPY is atomic and fast and reads Python tables directly.
    """
    return bool(_CHANGE.match(sql) or _UPSERT.match(sql))


def bind(sql: str, params) -> str:
    """``sql`` with each ``?`` outside quotes replaced by its value as a PostgreSQL literal (psycopg's quoting).

    >>> bind("UPDATE t SET a = ? WHERE b = '?' AND c = ?", ["it's", 3])
    "UPDATE t SET a = 'it''s' WHERE b = '?' AND c = 3"
    """
    values = iter(params or [])
    out = []
    for token in _TOKENS.findall(sql):
        out.append(psycopg.sql.Literal(_plain(next(values))).as_string(None) if token == "?" else token)
    if next(values, _END) is not _END:
        raise ValueError("more parameters than placeholders")
    return "".join(out)


_END = object()


def _plain(value):
    """numpy scalars as Python numbers (psycopg adapts the latter)."""
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (bytes, str)) else value


_DIALECT = [
    # DuckDB's shorthands, spelled PostgreSQL's way
    (re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b(.*?)(\bRETURNING\b.*)?$", re.IGNORECASE | re.DOTALL),
     lambda m: f"INSERT INTO{m.group(1).rstrip()} ON CONFLICT DO NOTHING" + (f" {m.group(2)}" if m.group(2) else "")),
    (re.compile(r"\bFILTER\s*\((?!\s*WHERE\b)", re.IGNORECASE), lambda m: "FILTER (WHERE "),
    (re.compile(r"::JSON\b", re.IGNORECASE), lambda m: "::TEXT"),  # JSON columns are TEXT here (postgres_ddl)
    (re.compile(r"\b(\w+)\s+ANTI\s+JOIN\s+(\w+)\s+USING\s*\((\w+)\)", re.IGNORECASE),
     lambda m: f"{m.group(1)} WHERE NOT EXISTS (SELECT 1 FROM {m.group(2)} "
               f"WHERE {m.group(2)}.{m.group(3)} = {m.group(1)}.{m.group(3)})"),
]


def postgres_sql(sql: str) -> str:
    """A write statement of the product in PostgreSQL's dialect.

    >>> postgres_sql("INSERT OR IGNORE INTO t (a) VALUES (1)")
    'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING'
    >>> postgres_sql("SELECT sum(n) FILTER (kind = 'x') FROM (q) r ANTI JOIN t USING (id)")
    "SELECT sum(n) FILTER (WHERE kind = 'x') FROM (q) r WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = r.id)"
    """
    for pattern, replacement in _DIALECT:
        sql = pattern.sub(replacement, sql)
    return sql


_READS = re.compile(r"\bSELECT\b|^\s*UPDATE\b.*\bFROM\b|\bUSING\b", re.IGNORECASE | re.DOTALL)


def _local_relations(cursor: duckdb.DuckDBPyConnection, statement: str) -> list[str]:
    """DuckDB-side tables the statement reads: Python tables registered on this cursor, temporary tables."""
    if not _READS.search(statement):
        return []
    names = cursor.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal UNION ALL "
                           "SELECT table_name FROM duckdb_tables() WHERE database_name = 'temp'").fetchall()
    return [n for (n,) in names if re.search(rf"\b{re.escape(n)}\b", statement)]


def write(cursor: duckdb.DuckDBPyConnection, sql: str, params, in_transaction: bool) -> "Returned":
    """Run an ``INSERT``/``UPDATE``/``DELETE`` in PostgreSQL itself, in the cursor's current transaction.

    DuckDB would run it client-side: an ``UPDATE`` reads the rows, computes the new values and writes them back
    by row address, and ``ON CONFLICT`` scans the whole table for conflicts first; between two processes a
    counter then loses increments and a unique key fails. In PostgreSQL the row is locked and re-read, so
    ``SET n = n + 1`` from three processes adds three. DuckDB-side tables the statement reads (Python tables
    registered on the cursor, temporary tables) are copied into scratch tables first. ``RETURNING`` rows come back (as JSON: plain numbers, strings).
    """
    statement = postgres_sql(bind(sql, params))
    own = not in_transaction
    if own:
        cursor.execute("BEGIN TRANSACTION")
    scratch = []
    try:
        for name in _local_relations(cursor, statement):
            copy = f"_pv_scratch_{secrets.token_hex(6)}"
            cursor.execute(f"CREATE TABLE {ALIAS}.{copy} AS SELECT * FROM temp.main.{name}")
            scratch.append(copy)
            statement = re.sub(rf"\b{re.escape(name)}\b", copy, statement)
        if has_returning(statement):
            kept = f"WITH r AS ({statement}) INSERT INTO pg_temp._pv_returned (returned) SELECT row_to_json(r)::text FROM r"
        else:  # DuckDB answers a write with its row count: so does this
            kept = (f"WITH r AS ({statement} RETURNING 1) INSERT INTO pg_temp._pv_returned (returned) "
                    "SELECT json_build_object('Count', count(*))::text FROM r")
        run_in_postgres(cursor, "CREATE TEMP TABLE IF NOT EXISTS _pv_returned (n SERIAL, returned TEXT) "
                                f"ON COMMIT DELETE ROWS; {kept}")
        rows = cursor.execute(f"SELECT returned FROM postgres_query({_literal(ALIAS)}, "
                              "'SELECT returned FROM pg_temp._pv_returned ORDER BY n')").fetchall()
        if not own:  # the caller's transaction goes on: the next write must find the table empty
            run_in_postgres(cursor, "DELETE FROM pg_temp._pv_returned")
        for copy in scratch:
            cursor.execute(f"DROP TABLE {ALIAS}.{copy}")  # through DuckDB: its catalog forgets the table too
    except BaseException:
        if own:
            cursor.execute("ROLLBACK")
        raise
    if own:
        cursor.execute("COMMIT")
    return Returned([json.loads(r[0]) for r in rows])


class Returned:
    """The rows a ``RETURNING`` gave, with the cursor methods the store's callers use."""

    def __init__(self, rows: list[dict]):
        names = list(rows[0]) if rows else []
        self.description = [(name,) for name in names]
        self._rows = [tuple(row[n] for n in names) for row in rows]

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None
