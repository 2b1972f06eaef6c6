"""Faults of the installation, told to people in one sentence; the details go to the log.

A locked, corrupted or full store is not a bug in a page: the person should
read what happened and what to do, in French or English, and never see a
traceback (which shows paths, process ids and code to an anonymous visitor).
:func:`describe` classifies an exception, following its causes:

| kind | what raises it |
|---|---|
| ``locked`` | ``StoreLocked``; DuckDB "Could not set lock"; SQLite "database is locked" |
| ``busy`` | the store closed for a moment (erasure rewriting the file): "Connection already closed" |
| ``corrupt`` | DuckDB "not a valid DuckDB database", "Corrupt database file", checksum mismatch, short reads; SQLite "file is not a database", "malformed" |
| ``disk_full`` | ``OSError`` ENOSPC, EDQUOT or EFBIG; DuckDB or SQLite "No space left", "File too large", "disk is full" |
| ``permission`` | ``PermissionError``; "Permission denied" |
| ``bug`` | anything else: a generic sentence; the log has the traceback |

The app shows ``fault.message(lang)`` on a friendly page; the CLI prints
:func:`cli_line` and exits 2; both call :func:`log_fault` first.

    >>> import errno
    >>> describe(OSError(errno.ENOSPC, "No space left on device")).kind
    'disk_full'
    >>> print(cli_line(OSError(errno.ENOSPC, "No space left on device")))
    porte-voix: the disk holding the data is full: free some space, then try again (nothing was lost before this step)
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from dataclasses import dataclass

import duckdb

from .store import StoreLocked

log = logging.getLogger("porte_voix.faults")


@dataclass(frozen=True)
class Fault:
    kind: str          # locked, busy, corrupt, disk_full, permission, bug
    message_fr: str
    message_en: str

    def message(self, lang: str = "en") -> str:
        return self.message_fr if lang == "fr" else self.message_en

    @property
    def expected(self) -> bool:
        """True for faults of the installation (not of the code)."""
        return self.kind != "bug"


FAULTS = {
    "locked": Fault("locked",
                    "Les données sont ouvertes par un autre programme (l'application ou une commande en cours) : "
                    "réessayez quand il aura fini, ou arrêtez-le.",
                    "the data is open in another program (the app or a running command): try again when it is done, "
                    "or stop it"),
    "busy": Fault("busy",
                  "Les données sont en cours de maintenance pendant quelques secondes : réessayez.",
                  "the data is under maintenance for a few seconds: try again"),
    "corrupt": Fault("corrupt",
                     "Le fichier de données est endommagé : restaurez la dernière sauvegarde "
                     "(porte-voix restore DOSSIER dans un dossier vide) et prévenez l'administrateur.",
                     "the data file is damaged: restore the latest backup (porte-voix restore DIR into an empty home) "
                     "and tell the administrator"),
    "disk_full": Fault("disk_full",
                       "Le disque qui contient les données est plein : libérez de la place puis réessayez "
                       "(rien n'a été perdu avant cette étape).",
                       "the disk holding the data is full: free some space, then try again (nothing was lost before "
                       "this step)"),
    "permission": Fault("permission",
                        "Porte-voix n'a pas le droit de lire ou d'écrire ses données : vérifiez les droits du dossier "
                        "PORTE_VOIX_HOME.",
                        "Porte-voix may not read or write its data: check the permissions of the PORTE_VOIX_HOME folder"),
    "bug": Fault("bug",
                 "Une erreur inattendue s'est produite ; les détails sont dans le journal de l'application.",
                 "an unexpected error occurred; the details are in the application log"),
}

_TEXT = (  # (kind, fragments of the lower-cased message), checked in order
    ("locked", ("could not set lock", "conflicting lock", "database is locked", "is open in another process")),
    ("busy", ("connection already closed", "connection has already been closed")),
    ("disk_full", ("no space left", "file too large", "disk quota", "database or disk is full", "not enough space")),
    ("corrupt", ("not a valid duckdb database", "corrupt database", "does not match stored checksum",
                 "could not read enough bytes", "file is not a database", "disk image is malformed",
                 "database header", "malformed")),
    ("permission", ("permission denied", "read-only file system")),
)
_ERRNO = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EFBIG: "disk_full",
          errno.EACCES: "permission", errno.EPERM: "permission", errno.EROFS: "permission"}


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, StoreLocked):
        return "locked"
    if isinstance(exc, OSError) and exc.errno in _ERRNO:
        return _ERRNO[exc.errno]
    if isinstance(exc, (duckdb.Error, sqlite3.Error, OSError)):
        text = str(exc).lower()
        for kind, fragments in _TEXT:
            if any(f in text for f in fragments):
                return kind
    return None


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


def cli_line(exc: BaseException, lang: str = "en") -> str:
    """The one line the command prints on stderr for ``exc``."""
    return f"porte-voix: {describe(exc).message(lang)}"
