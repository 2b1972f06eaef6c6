"""Faults of the installation, told to people in one sentence; the details go to the log.

A locked, corrupted or full store is not a bug in a page: the person should
read what happened and what to do, in French or English, and never see a
traceback (which shows paths, process ids and code to an anonymous visitor).
:func:`describe` classifies an exception, following its causes:

| kind | what raises it |
|---|---|
| ``locked`` | ``StoreLocked``; a DuckDB ``IOException`` "Could not set lock" / "Conflicting lock"; SQLite ``SQLITE_BUSY``, ``SQLITE_LOCKED`` |
| ``busy`` | ``duckdb.ConnectionException``: the store closed for a moment (erasure rewriting the file) |
| ``corrupt`` | a DuckDB ``IOException`` "not a valid DuckDB database", "Corrupt database file", checksum mismatch, short read; ``duckdb.SerializationException``; SQLite ``SQLITE_CORRUPT``, ``SQLITE_NOTADB`` |
| ``disk_full`` | ``OSError`` ENOSPC, EDQUOT or EFBIG; a DuckDB ``IOException`` (or a commit's ``TransactionException``) "No space left", "File too large"; SQLite ``SQLITE_FULL`` |
| ``permission`` | ``OSError`` EACCES, EPERM or EROFS; a DuckDB ``IOException`` "Permission denied"; SQLite ``SQLITE_PERM``, ``SQLITE_READONLY`` |
| ``bug`` | anything else (``CatalogException``, ``BinderException``… are the code's, whatever their text): a generic sentence; the details go to the log |

Errors are classified by their type first: only the exceptions of the file
layer (DuckDB's ``IOException``, ``FatalException`` and the
``TransactionException`` of a commit that could not write, which say what went
wrong only in words) are read, as whole phrases, so a checksum error "in
block at location 1585152" is ``corrupt``, never ``locked``, and a catalog
error quoting a table called "locks" is a bug. SQLite errors carry their
result code (``sqlite_errorcode``), ``OSError`` its ``errno``.

The app shows ``fault.message(lang)`` on a friendly page; the CLI prints
:func:`cli_line` and exits 2; both call :func:`log_fault` first (the CLI shows
that log, tracebacks included, only with ``--debug``).

    >>> import errno
    >>> describe(OSError(errno.ENOSPC, "No space left on device")).kind
    'disk_full'
    >>> print(cli_line(OSError(errno.ENOSPC, "No space left on device")))
    porte-voix: the disk holding the data is full: free some space, then try again (nothing was lost before this step)
"""

from __future__ import annotations

import errno
import logging
import re
import sqlite3
from dataclasses import dataclass

import duckdb

from ..words.catalogue import translate

log = logging.getLogger("porte_voix.faults")


class StoreLocked(RuntimeError):
    """Another process holds the database file for writing (``store.open_store`` raises it)."""


@dataclass(frozen=True)
class Fault:
    kind: str          # locked, busy, corrupt, disk_full, permission, bug

    def message(self, lang: str = "en") -> str:
        """What went wrong and what to do, in ``lang`` (the catalogue's ``faults.*``)."""
        return translate(lang, f"faults.{self.kind}")

    @property
    def expected(self) -> bool:
        """True for faults of the installation (not of the code)."""
        return self.kind != "bug"


FAULTS = {kind: Fault(kind) for kind in ("locked", "busy", "corrupt", "disk_full", "permission", "bug")}

# what went wrong with the file is only in their words (a commit that could not write says so in a TransactionException)
_DUCKDB_FILE_ERRORS = (duckdb.IOException, duckdb.FatalException, duckdb.TransactionException)
_PHRASES = tuple((kind, re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.I)) for kind, phrases in (
    # checked in order, as whole phrases: "lock" inside "block at location 1585152" is no lock
    ("corrupt", ("not a valid duckdb database", "corrupt database file", "does not match stored checksum",
                 "could not read enough bytes", "database header")),
    ("disk_full", ("no space left", "file too large", "disk quota", "not enough space")),
    ("locked", ("could not set lock", "conflicting lock")),
    ("permission", ("permission denied", "read-only file system")),
))
_SQLITE = {sqlite3.SQLITE_BUSY: "locked", sqlite3.SQLITE_LOCKED: "locked", sqlite3.SQLITE_CORRUPT: "corrupt",
           sqlite3.SQLITE_NOTADB: "corrupt", sqlite3.SQLITE_FULL: "disk_full", sqlite3.SQLITE_PERM: "permission",
           sqlite3.SQLITE_READONLY: "permission"}
_ERRNO = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EFBIG: "disk_full",
          errno.EACCES: "permission", errno.EPERM: "permission", errno.EROFS: "permission"}


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def duckdb_file_fault(exc: BaseException) -> str | None:
    """The kind of a DuckDB file-layer error (``IOException``, ``FatalException``, ``TransactionException``), from
    its words; else None.

    >>> duckdb_file_fault(duckdb.IOException("IO Error: Corrupt database file: computed checksum 1 does not "
    ...                                      "match stored checksum 2 in block at location 1585152"))
    'corrupt'
    >>> duckdb_file_fault(duckdb.CatalogException("Catalog Error: Table with name locks does not exist"))
    """
    if not isinstance(exc, _DUCKDB_FILE_ERRORS):
        return None
    for kind, phrase in _PHRASES:
        if phrase.search(str(exc)):
            return kind
    return None


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, StoreLocked):
        return "locked"
    if isinstance(exc, OSError):
        return _ERRNO.get(exc.errno)
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(exc, duckdb.ConnectionException):
        return "busy"
    if isinstance(exc, duckdb.SerializationException):  # storage that cannot be read back
        return "corrupt"
    return duckdb_file_fault(exc)


def describe(exc: BaseException) -> Fault:
    """The fault behind ``exc`` (looking through its causes), ``bug`` when it is none of the known ones."""
    for link in _chain(exc):
        kind = _kind(link)
        if kind:
            return FAULTS[kind]
    return FAULTS["bug"]


def log_fault(exc: BaseException, where: str = "") -> Fault:
    """Log ``exc`` with its traceback (for the administrator) and return its fault (for the screen)."""
    fault = describe(exc)
    log.error("%s fault%s: %s", fault.kind, f" in {where}" if where else "", exc, exc_info=exc)
    return fault


def cli_line(exc: BaseException, lang: str = "en", debug: bool = False) -> str:
    """The one line the command prints on stderr for ``exc`` (a bug points to ``--debug`` unless it is on).

    >>> cli_line(KeyError("x"))
    'porte-voix: an unexpected error occurred (KeyError): run the command again with --debug to see the details'
    """
    fault = describe(exc)
    if fault.kind == "bug" and not debug:
        return "porte-voix: " + translate(lang, "faults.cli_bug", name=type(exc).__name__)
    return f"porte-voix: {fault.message(lang)}"
