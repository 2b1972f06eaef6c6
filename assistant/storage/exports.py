"""CSV exports that a spreadsheet cannot turn into formulas (OWASP "CSV injection").

Titles, names and posts come from imports and from employees; a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK("https://evil…")``,
``=cmd|' /C calc'!A0``). Every CSV the product offers goes through
:func:`to_csv`, which prefixes such cells with an apostrophe, as OWASP
recommends; the apostrophe shows in the cell, the formula never runs. Numbers
stay numbers (``-3`` is a number, not a formula); text that merely looks like
one (``"-3"`` as a string) is neutralised too, because it came from a person.

A cell is not always opened as one cell: French (and German…) spreadsheets
split a CSV on ``;``, some on tabs, and a reader that ignores quotes splits
on line breaks, so ``Ana;=HYPERLINK(…)`` becomes a second cell that starts
with ``=``. So a trigger that follows a separator (``,`` ``;`` tab, line
break, then any spaces) gets the apostrophe too: whichever way the line is
split, no piece starts with a formula.

    >>> csv_safe("=HYPERLINK(\\"https://evil.example\\")")
    '\\'=HYPERLINK("https://evil.example")'
    >>> csv_safe("@SUM(A1)"), csv_safe("Plain title"), csv_safe(-3), csv_safe(None)
    ("'@SUM(A1)", 'Plain title', -3, '')
    >>> to_csv([{"name": "Ana", "title": "+33 6 12"}], ["name", "title"]).splitlines()
    ['name,title', "Ana,'+33 6 12"]
    >>> csv_safe("Ana;=HYPERLINK(A1)"), csv_safe("a, b; c")
    ("Ana;'=HYPERLINK(A1)", 'a, b; c')
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any, Iterable, Mapping, Sequence

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SEPARATOR = re.compile(r"([,;\t\r\n][ \t\r\n]*)(?=[=+\-@])")  # a separator, blanks, then a trigger


def csv_safe(value: Any) -> Any:
    """``value`` ready for a CSV cell: text starting with a formula trigger gets a leading apostrophe, and so does
    every trigger after a separator.

    ``None`` (and NaN) becomes an empty cell, lists and dicts their JSON text (neutralised the same way); numbers and
    booleans are returned unchanged.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple, dict)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = _AFTER_SEPARATOR.sub(r"\1'", str(value))
    return "'" + text if text.startswith(TRIGGERS) else text


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], headers: Sequence[str] | None = None) -> str:
    """CSV text (header line first, CRLF line ends) of ``rows`` restricted to ``columns``, every cell through :func:`csv_safe`.

    ``headers`` renames the columns for people (defaults to the column names, also neutralised).
    """
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180 line ends (CRLF): a cell holding a lone CR or LF is quoted
    writer.writerow([csv_safe(h) for h in (headers or columns)])
    for row in rows:
        writer.writerow([csv_safe(row.get(c)) for c in columns])
    return out.getvalue()


def frame_to_csv(frame, columns: Sequence[str] | None = None) -> str:
    """The same for a pandas DataFrame (the dashboards' tables)."""
    columns = list(columns or frame.columns)
    return to_csv(frame.to_dict("records"), columns)
