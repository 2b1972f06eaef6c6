"""RSS and Atom feeds: one record per item, through feedparser.

expat first checks the whole document is well-formed (the reason for a
broken file is expat's, as before) and names the root element; only then does
feedparser read it, told the text is UTF-8 and with HTML sanitising and URI
resolution off (Porte-voix extracts plain text itself), so feedparser's lenient
fallback parser, which is slow on some broken input, never runs. Dates come from
feedparser (``published``, else ``updated``), as UTC calendar dates.

Field mapping: title, link, content/description/summary, guid/id, dates;
``<category domain|scheme="kind|campaign">`` and single-valued extension
elements (``dc:language``, ``x:expires_at``…) map to the documented fields;
items default to ``news``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.parsers.expat
from pathlib import Path

import feedparser

from .markup import html_to_text, squash
from ..words.worded import Worded
from .records import BadFile, FileRead, Problem, Record, one_line

MAX_XML_PROLOG_CHARS = 8_000       # what precedes a feed's root element (declaration, comments, doctype)

_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*>")


def _xml_root(text: str) -> tuple[str, set[str]]:
    """The root element's local name (lower-cased) and the namespace prefixes the document declares,
    after checking that the whole document is well-formed XML."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    names: list[str] = []
    prefixes: set[str] = set()

    def start(name, attrs):
        if not names:
            names.append(name.rsplit(" ", 1)[-1].lower())

    parser.StartElementHandler = start
    parser.StartNamespaceDeclHandler = lambda prefix, uri: prefixes.add(prefix) if prefix else None
    try:
        parser.Parse(text.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as exc:
        raise BadFile(Worded("files.broken_xml", detail=exc)) from None
    return (names[0] if names else ""), prefixes


def read_feed(path: Path, text: str) -> FileRead:
    """Feed items through feedparser, after expat has checked the XML (so feedparser's lenient
    fallback parser, which is slow on some broken input, never runs)."""
    kind, extensions = _xml_root(text)
    if kind not in ("rss", "rdf", "feed"):
        raise BadFile(Worded("files.not_feed", root=kind))
    body = _XML_DECLARATION.sub("", text, count=1)  # the text is UTF-8 already; feedparser is told so
    prolog = re.search(r"<[^\W\d]", body)
    if prolog and prolog.start() > MAX_XML_PROLOG_CHARS:
        raise BadFile(Worded("files.xml_prolog", n=prolog.start(), limit=MAX_XML_PROLOG_CHARS))
    parsed = feedparser.parse(io.BytesIO(("\n" + body).encode("utf-8")), sanitize_html=False,
                              resolve_relative_uris=False,
                              response_headers={"content-type": "application/xml; charset=utf-8"})
    if parsed.bozo:
        raise BadFile(Worded("files.broken_xml", detail=one_line(str(parsed.get("bozo_exception")))))
    if not parsed.entries:
        raise BadFile(Worded("files.no_items"))
    out = FileRead()
    for index, entry in enumerate(parsed.entries, 1):
        where = f"{path.name}#{index}"
        try:
            fields = _entry_fields(entry, extensions)
        except Exception as exc:  # an entry feedparser shaped unexpectedly: it alone is lost
            out.problems.append(Problem(where, Worded("files.bad_item", detail=type(exc).__name__)))
            continue
        out.records.append(Record(fields, where, default_kind="news", format="feed"))
    return out


def _entry_fields(entry, extensions: set[str]) -> dict:
    get = dict.get  # the stored keys only: FeedParserDict's aliases (updated -> published…) would warn and guess
    title = get(entry, "title") or ""
    if "html" in (get(entry, "title_detail") or {}).get("type", "") and "<" in title:
        title = html_to_text(title)
    fields: dict = {"title": " ".join(title.split())}
    content = get(entry, "content") or []
    detail = content[0] if content else get(entry, "summary_detail") or {}
    body = (content[0].get("value") if content else get(entry, "summary")) or ""
    is_html = "html" in (detail.get("type") or "")
    fields["text"] = html_to_text(body) if is_html and ("<" in body or "&" in body) else squash(body)
    link = get(entry, "link")
    if link and not (get(entry, "guidislink") and not link.lower().startswith(("http://", "https://"))):
        fields["url"] = link  # a guid that is not a web address is an id, never a link
    if get(entry, "id"):
        fields["id"] = get(entry, "id")
    date = get(entry, "published_parsed") or get(entry, "updated_parsed")
    if date:
        fields["published_at"] = dt.date(*date[:3]).isoformat()  # feedparser gives UTC
    elif get(entry, "published") or get(entry, "updated"):
        fields["published_at"] = str(get(entry, "published") or get(entry, "updated"))[:10]
    if get(entry, "language"):
        fields["language"] = get(entry, "language")
    categories = []
    for tag in get(entry, "tags") or []:
        term, scheme = (tag.get("term") or tag.get("label") or "").strip(), tag.get("scheme") or ""
        if term and scheme and "/" not in scheme:
            fields.setdefault(scheme, term)
        elif term:
            categories.append(term)
    if categories:
        fields["categories"] = categories
    for key, value in entry.items():  # single-valued extension elements: nl:expires_at -> expires_at
        prefix, _, local = key.partition("_")
        if prefix in extensions and local and isinstance(value, str) and value.strip():
            fields.setdefault(local, value.strip())
    return fields
