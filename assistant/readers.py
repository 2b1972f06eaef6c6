"""Read import files into plain records: Markdown, HTML, RSS/Atom, CSV, JSONL.

A reader never touches the store. It turns one file into ``Record``s (a dict
of fields plus where it came from) and ``Problem``s (one-line reasons) so that
one bad row or file never stops a batch. Field names are the documented ones
(see README "Import formats"); unknown fields are kept as they are.

    >>> records, problems = read_file(Path("data/demo/content/jobs.csv"))

File-level failures (binary, not UTF-8, empty, too large, broken XML) raise
``BadFile`` with the reason; the caller names the file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path

import yaml

MAX_FILE_MB = float(os.environ.get("PORTE_VOIX_MAX_FILE_MB", "50"))
SUFFIXES = {".md", ".markdown", ".html", ".htm", ".xml", ".rss", ".atom", ".csv", ".jsonl", ".json"}


class BadFile(ValueError):
    """The whole file cannot be read; the message is the reason."""


@dataclass
class Record:
    fields: dict
    where: str  # "file.csv:12", used in messages and the import log
    single: bool = False  # the file is one item (Markdown/HTML): its name can serve as the id
    default_kind: str = "article"  # feeds default to news


@dataclass
class Problem:
    where: str
    reason: str


@dataclass
class FileRead:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def expand(paths: list[str | Path]) -> list[Path]:
    """Files named directly, plus importable files found under directories (sorted)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            out.append(path)
    return out


def read_text(path: Path) -> str:
    """The file's text, or ``BadFile`` saying why it is not importable text."""
    if not path.exists():
        raise BadFile("file not found")
    if not path.is_file():
        raise BadFile("not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise BadFile("empty file")
    if size > MAX_FILE_MB * 1024 * 1024:
        raise BadFile(f"file too large ({size / 1024 / 1024:.1f} MB > {MAX_FILE_MB:g} MB limit)")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise BadFile("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise BadFile("empty file")
    return text


def read_file(path: Path) -> FileRead:
    """Dispatch on the suffix; ``BadFile`` for unreadable files and unknown formats."""
    suffix = path.suffix.lower()
    reader = {
        ".md": read_markdown, ".markdown": read_markdown, ".html": read_html, ".htm": read_html,
        ".xml": read_feed, ".rss": read_feed, ".atom": read_feed, ".csv": read_csv,
        ".jsonl": read_jsonl, ".json": read_jsonl,
    }.get(suffix)
    if reader is None:
        raise BadFile(f"unsupported file type {suffix or '(none)'}; use one of {', '.join(sorted(SUFFIXES))}")
    return reader(path, read_text(path))


# --- Markdown -----------------------------------------------------------------

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)


def read_markdown(path: Path, text: str) -> FileRead:
    fields: dict = {}
    match = _FRONT.match(text)
    if match:
        try:
            meta = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise BadFile(f"broken front matter: {str(exc).splitlines()[0]}") from None
        if not isinstance(meta, dict):
            raise BadFile("front matter is not a mapping of fields")
        fields.update({str(k): v for k, v in meta.items()})
        text = text[match.end():]
    body = text.strip()
    heading = re.match(r"#\s+(.+)\n?", body)
    if heading and not fields.get("title"):
        fields["title"] = heading.group(1).strip()
    if heading:
        body = body[heading.end():].strip()
    fields.setdefault("text", markdown_to_text(body))
    return FileRead([Record(fields, path.name, single=True)])


def markdown_to_text(body: str) -> str:
    """Plain text of simple Markdown: links keep their words, markup signs go."""
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)
    body = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", body)
    body = re.sub(r"^\s{0,3}#{1,6}\s*", "", body, flags=re.M)
    body = re.sub(r"^\s*[-*+]\s+", "- ", body, flags=re.M)
    body = re.sub(r"(\*\*|__|\*|`)", "", body)
    return re.sub(r"\n{3,}", "\n\n", body).strip()


# --- HTML -----------------------------------------------------------------------

def html_to_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    return _squash(soup.get_text("\n"))


def read_html(path: Path, text: str) -> FileRead:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    fields: dict = {}
    for meta in soup.find_all("meta"):
        key = meta.get("name") or meta.get("property")
        if key and meta.get("content") is not None:
            key = key.split(":")[-1] if key.startswith("og:") else key
            fields.setdefault(key, meta["content"])
    for tag in soup(["script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    main = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = main.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    if h1:
        h1.decompose()
    fields.setdefault("title", title)
    fields["text"] = _squash(main.get_text("\n"))
    html_tag = soup.find("html")
    if html_tag and html_tag.get("lang") and "language" not in fields:
        fields["language"] = html_tag["lang"]
    link = soup.find("link", rel="canonical")
    if link and link.get("href"):
        fields.setdefault("url", link["href"])
    return FileRead([Record(fields, path.name, single=True)])


def _squash(text: str) -> str:
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- RSS / Atom -----------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child(node, *names):
    for child in node:
        if _local(child.tag) in names:
            return child
    return None


def _child_text(node, *names) -> str | None:
    child = _child(node, *names)
    if child is None:
        return None
    return "".join(child.itertext()).strip() or None


def read_feed(path: Path, text: str) -> FileRead:
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise BadFile(f"broken XML: {exc}") from None
    kind = _local(root.tag)
    if kind == "rss" or kind == "rdf":
        items = [n for n in root.iter() if _local(n.tag) == "item"]
    elif kind == "feed":
        items = [n for n in root if _local(n.tag) == "entry"]
    else:
        raise BadFile(f"XML root <{kind}> is neither an RSS nor an Atom feed")
    if not items:
        raise BadFile("feed has no items")
    out = FileRead()
    for index, item in enumerate(items, 1):
        fields: dict = {"title": _child_text(item, "title") or ""}
        body = _child_text(item, "encoded", "content", "description", "summary") or ""
        fields["text"] = html_to_text(body) if "<" in body else body
        link = _child(item, "link")
        if link is not None:
            fields["url"] = link.get("href") or (link.text or "").strip() or None
        ident = _child_text(item, "guid", "id")
        if ident:
            fields["id"] = ident
        date = _child_text(item, "pubdate", "published", "date", "updated")
        if date:
            fields["published_at"] = _feed_date(date)
        categories = []
        for child in item:
            name = _local(child.tag)
            if name in _FEED_HANDLED:
                continue
            if name == "category":
                value = child.get("term") or (child.text or "").strip()
                domain = child.get("domain") or child.get("scheme")
                if value and domain and "/" not in domain:
                    fields.setdefault(domain, value)
                elif value:
                    categories.append(value)
            elif len(child) == 0 and (child.text or "").strip():
                fields.setdefault(name, child.text.strip())  # dc:language, custom namespaces: expires_at, ...
        if categories:
            fields["categories"] = categories
        record = Record({k: v for k, v in fields.items() if v is not None}, f"{path.name}#{index}")
        record.default_kind = "news"
        out.records.append(record)
    return out


_FEED_HANDLED = {"title", "encoded", "content", "description", "summary", "link", "guid", "id", "pubdate",
                 "published", "date", "updated", "author", "source", "enclosure", "comments"}


def _feed_date(value: str) -> str:
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return value[:10]


# --- CSV / JSONL ----------------------------------------------------------------

def read_csv(path: Path, text: str) -> FileRead:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames or all(not (name or "").strip() for name in reader.fieldnames):
        raise BadFile("CSV has no header row")
    header = [(name or "").strip() for name in reader.fieldnames]
    if len(set(header)) != len(header):
        raise BadFile("CSV header repeats a column name")
    reader.fieldnames = header
    out = FileRead()
    try:
        for row in reader:
            where = f"{path.name}:{reader.line_num}"
            if None in row:
                out.problems.append(Problem(where, "row has more fields than the header"))
                continue
            if any(value is None for value in row.values()):
                out.problems.append(Problem(where, "row has fewer fields than the header"))
                continue
            fields = {k: v.strip() for k, v in row.items() if v is not None and v.strip() != ""}
            if fields:
                out.records.append(Record(fields, where))
    except csv.Error as exc:
        raise BadFile(f"broken CSV at line {reader.line_num}: {exc}") from None
    if not out.records and not out.problems:
        raise BadFile("CSV has a header but no rows")
    return out


def read_jsonl(path: Path, text: str) -> FileRead:
    out = FileRead()
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadFile(f"broken JSON: {exc}") from None
        lines = [(i, item) for i, item in enumerate(items, 1)]
    else:
        lines = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                lines.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                out.problems.append(Problem(f"{path.name}:{number}", f"broken JSON: {exc.msg}"))
    for number, item in lines:
        where = f"{path.name}:{number}"
        if not isinstance(item, dict):
            out.problems.append(Problem(where, "line is not a JSON object"))
            continue
        out.records.append(Record(item, where))
    if not out.records and not out.problems:
        raise BadFile("no records")
    return out
