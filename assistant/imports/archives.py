"""Zipped formats (XLSX) checked before any parser opens them: sizes, inflation ratio, XML entities.

An XLSX file is a zip of XML parts, and two old attacks hide in one: a zip bomb
(1.8 MB that inflates past 1 GB) and XML entities (an external entity reading
``/etc/passwd``, "billion laughs" growing a few hundred bytes into gigabytes).
So the bytes an importer read (``files.read_bytes``: a regular file, within
the size limit) go through :func:`open_zip` first, which refuses with one line:

- more than ``MAX_PARTS`` parts, or declared sizes adding up to more than
  ``MAX_UNZIPPED_MB``: the zip module never inflates a part past its declared
  size (a part that lies fails its CRC), so the declared sizes bound the work;
- a part over ``RATIO_GRACE_BYTES`` that inflates more than ``MAX_RATIO``
  times its compressed size (Apache POI's defaults: 100 KB, 100x); ordinary
  spreadsheets inflate 5 to 30 times;
- an XML part that declares a DTD (``<!DOCTYPE`` or ``<!ENTITY``, in UTF-8 or
  UTF-16): Office files never need one, and without one no entity can expand.

    >>> import io, zipfile
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("xl/workbook.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]><x>&a;</x>')
    >>> open_zip(buffer.getvalue())
    Traceback (most recent call last):
    ...
    assistant.imports.records.BadFile: xl/workbook.xml declares a DTD (<!DOCTYPE or <!ENTITY): refused, an XLSX part never needs one
"""

from __future__ import annotations

import io
import zipfile

from ..words.worded import Worded
from .records import BadFile, one_line

MAX_PARTS = 10_000
MAX_UNZIPPED_MB = 100.0
MAX_RATIO = 100
RATIO_GRACE_BYTES = 100 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_DTD = tuple(marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY")
             for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
_CHUNK = 1 << 20


def open_zip(data: bytes, max_unzipped_mb: float = MAX_UNZIPPED_MB) -> zipfile.ZipFile:
    """``data`` as an open ``ZipFile`` once every check above passed; ``BadFile`` with the reason otherwise."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise BadFile(Worded("files.not_xlsx", detail=one_line(str(exc), 120))) from None
    if len(parts) > MAX_PARTS:
        raise BadFile(Worded("files.zip_parts", n=f"{len(parts):,}", limit=f"{MAX_PARTS:,}"))
    total = sum(part.file_size for part in parts)
    if total > max_unzipped_mb * 1024 * 1024:
        raise BadFile(Worded("files.zip_size", size=f"{total / 1024 / 1024:,.0f}", limit=f"{max_unzipped_mb:g}"))
    for part in parts:
        if part.file_size > RATIO_GRACE_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise BadFile(Worded("files.zip_bomb", part=one_line(part.filename, 200),
                                 ratio=f"{part.file_size // max(part.compress_size, 1):,}", limit=MAX_RATIO))
    for part in parts:
        if part.filename.lower().endswith(_XML_SUFFIXES):
            _refuse_dtd(archive, part)
    return archive


def _refuse_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
    if _declares_dtd(archive, part):
        raise BadFile(Worded("files.zip_dtd", part=one_line(part.filename, 200)))


def _declares_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bool:
    overlap = max(len(marker) for marker in _DTD) - 1
    tail = b""
    try:
        with archive.open(part) as stream:
            while block := stream.read(_CHUNK):
                window = tail + block
                if any(marker in window for marker in _DTD):
                    return True
                tail = window[-overlap:]
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, ValueError, OSError) as exc:
        raise BadFile(Worded("files.zip_part_unreadable", part=one_line(part.filename, 200),
                             detail=f"{type(exc).__name__}: {one_line(str(exc), 120)}")) from None
    return False
