"""Which files to import, and reading one safely: folder walks, refused links and special files, size limits, UTF-8.

Every importer (content, people, engagement, analytics) takes files the same way, so
this is kept apart from the format parsers (``readers``): ``scan`` turns the paths
given into regular files plus one-line problems (a missing path, a symbolic link, a
FIFO, a folder without importable files), and ``read_bytes`` / ``read_text`` read one
of them once, within the size limit, without following a link swapped in after the
scan. An importer of other formats (``reporting.analytics_import``: CSV and XLSX)
uses these without the parsers of Markdown, HTML or feeds.

>>> reason = scan(["no/such/file.csv"]).problems[0].reason
>>> str(reason), reason.message("fr")
('file not found', 'fichier introuvable')

Failures raise ``BadFile`` or are ``Problem``s carrying catalogue keys (``files.*``,
``Worded``), so the upload page says them in the reader's language.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ..words.worded import Worded
from .records import BadFile, Problem

__all__ = ["SUFFIXES", "Scan", "expand", "read_bytes", "read_text", "scan"]

# The formats ``readers.read_file`` reads (its table has one reader for each suffix); ``scan`` looks for them.
SUFFIXES = {".md", ".markdown", ".html", ".htm", ".xml", ".rss", ".atom", ".csv", ".jsonl", ".json"}


# --- which files ----------------------------------------------------------------------------

@dataclass
class Scan:
    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # ``where`` is the path


def scan(paths: list[str | Path], suffixes: frozenset[str] | set[str] = SUFFIXES) -> Scan:
    """Regular files named directly, plus importable files (``suffixes``) found under folders (sorted).

    Symbolic links and special files (FIFOs, devices, sockets) are refused, as
    arguments and inside folders; a symbolic link to a folder is never followed.
    A folder without any importable file is reported, not silently skipped.
    Other importers (``engagement_import``: CSV and XLSX) pass their own suffixes.
    """
    out = Scan()
    for raw in paths:
        path = Path(raw)
        try:
            info = path.lstat()
        except FileNotFoundError:
            out.problems.append(Problem(str(path), Worded("files.not_found")))
            continue
        except OSError as exc:
            out.problems.append(Problem(str(path), Worded("files.cannot_read", detail=exc.strerror or exc)))
            continue
        if stat.S_ISLNK(info.st_mode):
            out.problems.append(Problem(str(path), Worded("files.symlink")))
        elif stat.S_ISDIR(info.st_mode):
            found = Scan()
            _walk(path, found, suffixes)
            out.files.extend(sorted(found.files))
            out.problems.extend(found.problems)
            if not found.files and not found.problems:
                out.problems.append(Problem(str(path), Worded("files.empty_folder", suffixes=", ".join(sorted(suffixes)))))
        elif stat.S_ISREG(info.st_mode):
            out.files.append(path)
        else:
            out.problems.append(Problem(str(path), Worded("files.not_regular")))
    return out


def _walk(folder: Path, out: Scan, suffixes) -> None:
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            out.problems.append(Problem(str(current), Worded("files.folder_unreadable", detail=exc.strerror or exc)))
            continue
        for entry in entries:
            path = Path(entry.path)
            importable = path.suffix.lower() in suffixes
            try:
                if entry.is_symlink():
                    if importable or entry.is_dir():
                        out.problems.append(Problem(str(path), Worded("files.symlink")))
                elif entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif importable:
                    if entry.is_file(follow_symlinks=False):
                        out.files.append(path)
                    else:
                        out.problems.append(Problem(str(path), Worded("files.not_regular")))
            except OSError as exc:
                out.problems.append(Problem(str(path), Worded("files.cannot_read", detail=exc.strerror or exc)))


def expand(paths: list[str | Path]) -> list[Path]:
    """The importable files of ``paths`` (see ``scan``; its problems are dropped here)."""
    return scan(paths).files


def read_bytes(path: Path, max_file_mb: float = 50.0) -> bytes:
    """The file's bytes, or ``BadFile`` saying why it cannot be imported (not a regular file, empty, too large).

    Opened without following a symbolic link and without blocking on a FIFO, so
    a file swapped for a link after the folder scan is still refused; read once,
    so what was checked is what is parsed.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise BadFile(Worded("files.not_found")) from None
    except OSError as exc:
        if os.path.islink(path):
            raise BadFile(Worded("files.symlink")) from None
        raise BadFile(Worded("files.cannot_open", detail=exc.strerror or exc)) from None
    limit = int(max_file_mb * 1024 * 1024)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BadFile(Worded("files.not_regular"))
        if info.st_size == 0:
            raise BadFile(Worded("files.empty"))
        if info.st_size > limit:
            raise BadFile(Worded("files.too_large", size=f"{info.st_size / 1024 / 1024:.1f}", limit=f"{max_file_mb:g}"))
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise BadFile(Worded("files.cannot_read", detail=exc.strerror or exc)) from None
    if len(data) > limit:
        raise BadFile(Worded("files.over_limit", limit=f"{max_file_mb:g}"))
    return data


def read_text(path: Path, max_file_mb: float = 50.0) -> str:
    """The file's text (UTF-8), or ``BadFile`` saying why it is not importable text (see ``read_bytes``)."""
    data = read_bytes(path, max_file_mb)
    if b"\x00" in data:
        raise BadFile(Worded("files.binary"))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(Worded("files.not_utf8", offset=exc.start)) from None
    if not text.strip():
        raise BadFile(Worded("files.empty"))
    return text
