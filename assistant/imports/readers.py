"""Read import files into plain records: Markdown, HTML, RSS/Atom, CSV, JSONL.

A reader never touches the store. It turns one file into ``Record``s (a dict
of fields plus where it came from) and ``Problem``s (one-line reasons) so that
one bad row or file never stops a batch. Field names are the documented ones
(see README "Import formats"); unknown fields are kept as they are.

    >>> records, problems = read_file(Path("data/demo/content/jobs.csv"))   # doctest: +SKIP

Which files to read, and reading one safely (a symbolic link, a FIFO, too
large, binary, not UTF-8…), is ``files.py``; here a file's text becomes
records. File-level failures (those, plus empty, broken XML…) raise
``BadFile`` with the reason; the caller names the file. Any other exception
while reading a file becomes a ``BadFile`` too, and one while decoding a row
becomes a ``Problem`` for that row: bad input costs only itself. Parsers are maintained libraries (python-frontmatter with a YAML
loader that refuses aliases, markdown-it-py, lxml, feedparser, the csv module),
each linear in its input; see ``markup.py`` for the measurements.

>>> read_file(Path("notes.txt")).records   # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
BadFile: unsupported file type .txt; use one of .atom, .csv, .htm, .html, .json, .jsonl, .markdown, .md, .rss, .xml

Problems and ``BadFile`` carry catalogue keys (``files.*``, ``Worded``), so the upload
page says them in the reader's language; their English text is what logs and the CLI print.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import frontmatter
import yaml

from ..words.worded import Worded
from .feeds import read_feed
from .fields import check_value
from .files import SUFFIXES, read_text
from .markup import CHROME, DROP, drop, element_text, parse_html, parse_markdown
from .records import BadFile, FileRead, Problem, Record, one_line

__all__ = ["BadFile", "FileRead", "Problem", "Record", "read_file"]

MAX_MARKDOWN_CHARS = 1_000_000     # one item's Markdown source (its text is limited to 100,000 characters)
MAX_HTML_CHARS = 5_000_000         # one item's HTML page
MAX_FRONT_MATTER_CHARS = 64_000


# --- one file -> records ---------------------------------------------------------------------

def read_file(path: Path, max_file_mb: float = 50.0) -> FileRead:
    """Dispatch on the suffix; ``BadFile`` for unreadable files and unknown formats, never another exception."""
    suffix = path.suffix.lower()
    reader = {
        ".md": read_markdown, ".markdown": read_markdown, ".html": read_html, ".htm": read_html,
        ".xml": read_feed, ".rss": read_feed, ".atom": read_feed, ".csv": read_csv,
        ".jsonl": read_jsonl, ".json": read_jsonl,
    }.get(suffix)
    if reader is None:
        raise BadFile(Worded("files.unsupported", suffix=suffix or "(none)", suffixes=", ".join(sorted(SUFFIXES))))
    text = read_text(path, max_file_mb)
    try:
        read = reader(path, text)
    except BadFile:
        raise
    except RecursionError:
        raise BadFile(Worded("files.too_deep")) from None
    except Exception as exc:  # a parser's own failure on hostile input: name it, never crash the batch
        raise BadFile(Worded("files.parser_failed", detail=f"{type(exc).__name__}: {one_line(str(exc))}")) from None
    if reader in (read_csv, read_html, read_feed):
        return read  # strings cut from UTF-8 text without NUL: nothing for check_value to find
    checked = FileRead(problems=read.problems)
    for record in read.records:
        reason = check_value(record.fields)
        if reason:
            checked.problems.append(Problem(record.where, reason))
        else:
            checked.records.append(record)
    return checked


def _lines(text: str) -> list[str]:
    """Lines split on \\n, \\r\\n or a lone \\r only (not on U+2028 or U+0085, which may sit inside a JSON string)."""
    return re.split(r"\r\n|\r|\n", text)


# --- Markdown -------------------------------------------------------------------------------

class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases: a 700-byte alias bomb cannot grow into gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"found an alias (*{event.anchor}); aliases are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)


class _FrontMatter(frontmatter.YAMLHandler):
    def load(self, fm: str, **kwargs):
        return yaml.load(fm, Loader=_NoAliasLoader)


_FRONT_MATTER = _FrontMatter()


def read_markdown(path: Path, text: str) -> FileRead:
    text = "\n".join(_lines(text))
    fields: dict = {}
    body = text
    if _FRONT_MATTER.detect(text):
        try:
            front, body = _FRONT_MATTER.split(text)
        except ValueError:  # no closing line: the whole file is the body, as written
            front, body = None, text
        if front is not None:
            fields.update(_front_matter(front))
    body = body.strip()
    if len(body) > MAX_MARKDOWN_CHARS:
        raise BadFile(Worded("files.markdown_too_long", n=len(body), limit=MAX_MARKDOWN_CHARS))
    title, plain = parse_markdown(body)
    if title and not fields.get("title"):
        fields["title"] = title
    fields.setdefault("text", plain)
    return FileRead([Record(fields, path.name, single=True, format="markdown")])


def _front_matter(front: str) -> dict:
    if len(front) > MAX_FRONT_MATTER_CHARS:
        raise BadFile(Worded("files.front_matter_too_large", n=len(front), limit=MAX_FRONT_MATTER_CHARS))
    try:
        meta = _FRONT_MATTER.load(front) or {}
    except yaml.YAMLError as exc:
        raise BadFile(Worded("files.broken_front_matter", detail=one_line((str(exc).splitlines() or ["unreadable YAML"])[0]))) from None
    except RecursionError:
        raise BadFile(Worded("files.broken_front_matter", detail="nested too deeply")) from None
    except ValueError as exc:  # e.g. an integer over 4,300 digits
        raise BadFile(Worded("files.broken_front_matter", detail=one_line(str(exc)))) from None
    if not isinstance(meta, dict):
        raise BadFile(Worded("files.front_matter_not_mapping"))
    return {str(k): v for k, v in meta.items()}


# --- HTML -----------------------------------------------------------------------------------

def read_html(path: Path, text: str) -> FileRead:
    if len(text) > MAX_HTML_CHARS:
        raise BadFile(Worded("files.html_too_large", n=len(text), limit=MAX_HTML_CHARS))
    root = parse_html(text)
    fields: dict = {}
    if root is None:
        return FileRead([Record({"text": ""}, path.name, single=True, format="html")])
    for meta in root.iter("meta"):
        key, content = meta.get("name") or meta.get("property"), meta.get("content")
        if key and content is not None:
            fields.setdefault(key.split(":")[-1] if key.startswith("og:") else key, content)
    drop(root, DROP + CHROME)
    title_tag = root.find(".//title")
    title = " ".join(title_tag.text_content().split()) if title_tag is not None else ""
    main = root.find(".//main")
    main = main if main is not None else root.find(".//article")
    main = main if main is not None else root.find(".//body")
    main = main if main is not None else root
    h1 = main.find(".//h1")
    if h1 is not None:
        title = title or " ".join(h1.text_content().split())
        h1.drop_tree()
    fields.setdefault("title", title)
    fields["text"] = element_text(main)
    if root.get("lang") and "language" not in fields:
        fields["language"] = root.get("lang")
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            fields.setdefault("url", link.get("href"))
            break
    return FileRead([Record(fields, path.name, single=True, format="html")])


# --- CSV / JSONL ----------------------------------------------------------------------------

def _delimiter(text: str) -> str:
    """The most frequent of ``,`` ``;`` and tab in the header line, outside quotes (``,`` when none).

    Hand-written because ``csv.Sniffer`` measured worse: on valid files written by ``csv.writer`` it
    cannot tell the delimiter of e.g. ``id;title;text`` / ``;;"\\n"`` and falls back to ``,`` (found by
    ``tests/imports/test_import_fuzz.py``), and its regular expressions cost up to 0.2 s on a 4 KB sample.

    >>> _delimiter('id;title;"a,b";text\\n1;2;3;4')
    ';'
    """
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in text[:65_536]:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
MAX_CSV_RESYNCS = 20  # re-readings after broken quotes, per file (each costs the lines it swallowed)


def read_csv(path: Path, text: str) -> FileRead:
    """Rows of a CSV file (``,`` ``;`` or tab; ``"`` quotes; any line ending).

    Strict quoting: a row whose quotes do not close where they should (or a
    row over several lines with the wrong number of fields) is rejected with
    its line numbers, and the lines it swallowed are read again as rows of
    their own, so one stray quote costs one row, not the rest of the file.
    """
    lines = _PHYSICAL_LINE.findall(text)
    dialect = {"delimiter": _delimiter(text), "quotechar": '"', "doublequote": True, "strict": True}
    reader = csv.reader(iter(lines), **dialect)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise BadFile(Worded("files.broken_csv_at", line=reader.line_num, detail=exc)) from None
    if not header or all(not name for name in header):
        raise BadFile(Worded("files.csv_no_header"))
    if len(set(header)) != len(header):
        raise BadFile(Worded("files.csv_repeated_column"))
    out = FileRead()
    offset, resyncs = 0, 0  # physical lines before the current reader's first line
    while True:
        start = offset + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = offset + reader.line_num
            out.problems.append(Problem(_rows(path, start, end), Worded("files.broken_csv", detail=exc)))
            if end > start and resyncs < MAX_CSV_RESYNCS:
                resyncs += 1
                offset, reader = start, csv.reader(iter(lines[start:]), **dialect)
            continue
        end = offset + reader.line_num
        where = _rows(path, start, end)
        if not any(value.strip() for value in row):
            continue
        if len(row) != len(header):
            out.problems.append(Problem(where, Worded("files.row_longer" if len(row) > len(header) else "files.row_shorter")))
            if end > start and resyncs < MAX_CSV_RESYNCS:  # a quoted line break swallowed what follows
                resyncs += 1
                offset, reader = start, csv.reader(iter(lines[start:]), **dialect)
        else:
            fields = {name: value.strip() for name, value in zip(header, row) if value.strip()}
            out.records.append(Record(fields, where, format="csv"))
    if not out.records and not out.problems:
        raise BadFile(Worded("files.csv_no_rows"))
    return out


def _rows(path: Path, start: int, end: int) -> str:
    return f"{path.name}:{start}" if end <= start else f"{path.name}:{start}-{end}"


def _json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = str(exc)
    if "digits" in text:
        return "number too long (over 4,300 digits)"
    return one_line(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json(text: str):
    return json.loads(text, parse_constant=_no_constant)


def read_jsonl(path: Path, text: str) -> FileRead:
    out = FileRead()
    if path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        try:
            items = _json(text)
        except json.JSONDecodeError as exc:
            raise BadFile(Worded("files.broken_json", detail=exc)) from None
        except (ValueError, RecursionError) as exc:
            raise BadFile(Worded("files.broken_json", detail=_json_error(exc))) from None
        lines = list(enumerate(items if isinstance(items, list) else [items], 1))
    else:
        lines = []
        for number, line in enumerate(_lines(text), 1):
            if not line.strip():
                continue
            try:
                lines.append((number, _json(line)))
            except (ValueError, RecursionError) as exc:
                out.problems.append(Problem(f"{path.name}:{number}", Worded("files.broken_json", detail=_json_error(exc))))
    for number, item in lines:
        where = f"{path.name}:{number}"
        if not isinstance(item, dict):
            out.problems.append(Problem(where, Worded("files.not_object")))
            continue
        out.records.append(Record(item, where, format="jsonl"))
    if not out.records and not out.problems:
        raise BadFile(Worded("files.no_records"))
    return out
