"""The content library: import items, dedupe them by content hash, read them back.

An item's identity is its ``id`` when the source gives one, else its URL,
else (one-item files) its file name, else its normalised content hash.
Re-importing an identical item changes nothing; a changed item is updated in
place; an item whose normalised title+text already exists under another id
is a duplicate and is skipped (reported as unchanged). The same id twice in
one import is reported and the second row skipped. Every field has a size
limit (``LIMITS``); only ``http(s)`` links are stored as an item's URL.

    >>> report = ingest(store, ["data/demo/content"])     # doctest: +SKIP
    >>> report.summary()                                   # doctest: +SKIP
    'content: 61 added, 0 updated, 0 unchanged, 0 rejected'
    >>> check_url("https://n.example/a")
    'https://n.example/a'
    >>> try:
    ...     check_url("javascript:alert(1)")
    ... except Rejected as exc:
    ...     print(exc)
    url must be an http(s) address, got 'javascript:alert(1)'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.parse
from pathlib import Path
from typing import Callable, Iterable

from .. import language
from ..storage.store import Store
from ..text import fold
from .fields import Rejected, check_value, as_date, as_int, as_list, as_text, digest, extra_json, normalise_text, shown
from .importing import ImportReport, Staged, Target, run_import, staged_table, write_staged
from .readers import Record

KINDS = ("article", "job_offer", "news", "event")
_KIND_ALIASES = {
    "article": "article", "articles": "article", "blog": "article", "post": "article",
    "job": "job_offer", "job_offer": "job_offer", "job offer": "job_offer", "job-offer": "job_offer",
    "jobs": "job_offer", "offre": "job_offer", "offre d'emploi": "job_offer", "emploi": "job_offer",
    "recrutement": "job_offer", "news": "news", "actualité": "news", "actualite": "news", "actu": "news",
    "event": "event", "events": "event", "événement": "event", "evenement": "event", "évènement": "event",
}
KNOWN_FIELDS = {"id", "title", "text", "body", "content", "description", "url", "link", "kind", "language",
                "lang", "campaign", "priority", "published_at", "expires_at", "categories"}
# Largest accepted value of each field, in characters (README "Import formats").
LIMITS = {"id": 200, "title": 500, "url": 2_000, "text": 100_000, "kind": 50, "language": 35, "campaign": 100,
          "category": 200}
MAX_TEXT_CHARS = LIMITS["text"]
MAX_CATEGORIES = 50
PRIORITIES = (0, 3)
_SPACE = re.compile(r"\s")
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?(?:[/?#][^\s]*)?\Z", re.I)


def normalise_kind(value, categories: Iterable[str] = (), default: str = "article") -> str:
    if value is None or str(value).strip() == "":
        for category in categories:
            kind = _KIND_ALIASES.get(str(category).strip().lower())
            if kind:
                return kind
        return default
    kind = _KIND_ALIASES.get(str(value).strip().lower())
    if kind is None:
        raise Rejected("errors.unknown_kind", kind=shown(value), kinds=", ".join(KINDS))
    return kind


def check_url(value: str) -> str:
    """``value`` if it is an absolute http(s) address with a host; ``Rejected`` otherwise
    (``javascript:``, ``data:``, ``mailto:`` and ``//host`` links never become tracked links)."""
    if _PLAIN_URL.match(value):  # the common case, without urlsplit's cost
        return value
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host or _SPACE.search(value):
        raise Rejected("errors.bad_url", value=shown(value))
    return value


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{normalise_text(title)}\n{normalise_text(text)}".encode()).hexdigest()


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(value)).strip("-")[:60]


def parse_item(record: Record) -> dict:
    """Validated, normalised content fields from one raw record (``Rejected`` if unusable)."""
    f = record.fields
    invalid = check_value(f)
    if invalid:
        raise invalid
    raw = next((f[k] for k in ("text", "body", "content", "description") if f.get(k) not in (None, "")), None)
    text = as_text(raw, "text", LIMITS["text"], one_line=False)
    if not text:
        raise Rejected("errors.empty_text")
    title = as_text(f.get("title"), "title", LIMITS["title"]) or text.split("\n", 1)[0][:90].strip()
    url = as_text(f.get("url") or f.get("link"), "url", LIMITS["url"])
    if url:
        check_url(url)
    categories = as_list(f.get("categories"), "categories", item_limit=LIMITS["category"], max_items=MAX_CATEGORIES)
    declared = as_text(f.get("language") or f.get("lang"), "language", LIMITS["language"])
    lang = language.normalise(declared) or language.detect(f"{title}\n{text}")
    published, expires = as_date(f.get("published_at"), "published_at"), as_date(f.get("expires_at"), "expires_at")
    if published and expires and expires < published:
        raise Rejected("errors.expires_before", end=expires, start=published)
    item = {
        "title": title,
        "text": text,
        "url": url,
        "kind": normalise_kind(as_text(f.get("kind"), "kind", LIMITS["kind"]), categories, record.default_kind),
        "language": lang,
        "language_supported": language.is_supported(lang),
        "campaign": as_text(f.get("campaign"), "campaign", LIMITS["campaign"]),
        "priority": as_int(f.get("priority"), "priority", default=0, low=PRIORITIES[0], high=PRIORITIES[1]),
        "published_at": published,
        "expires_at": expires,
        "content_hash": content_hash(title, text),
        "extra": extra_json(f, KNOWN_FIELDS),
    }
    ident = as_text(f.get("id"), "id", LIMITS["id"])
    if ident:
        item["id"] = ident
    elif url:
        item["id"] = "u-" + hashlib.sha256(url.encode()).hexdigest()[:12]
    elif record.single:
        item["id"] = "f-" + _slug(Path(record.where).stem)
    else:
        item["id"] = "h-" + item["content_hash"][:12]
    item["record_hash"] = digest(*(item[k] for k in sorted(item)))
    return item


_COLUMNS = ("title", "text", "url", "kind", "language", "language_supported", "campaign", "priority",
            "published_at", "expires_at", "content_hash", "record_hash", "extra")
_TYPES = {"language_supported": "BOOLEAN", "priority": "INTEGER", "published_at": "DATE", "expires_at": "DATE",
          "extra": "JSON"}


def write_items(store: Store, staged: list[Staged]) -> list[tuple[str, str]]:
    """Store a batch of parsed items (ids unique within it); ``(status, id)`` per item, in order."""
    keys = {"id": ("VARCHAR", [s.item["id"] for s in staged]),
            "content_hash": ("VARCHAR", [s.item["content_hash"] for s in staged])}
    with staged_table(store, keys) as incoming:
        current = dict(store.execute(f"SELECT c.id, c.record_hash FROM content c JOIN {incoming} i USING (id)").fetchall())
        twins = dict(store.execute(f"SELECT c.content_hash, min(c.id) FROM content c JOIN {incoming} i "
                                   "USING (content_hash) GROUP BY 1").fetchall())
    outcomes, inserts, updates = [], [], []
    for s in staged:
        item = s.item
        if item["id"] in current:
            changed = current[item["id"]] != item["record_hash"]
            if changed:
                updates.append(s)
                twins.setdefault(item["content_hash"], item["id"])
            outcomes.append(("updated" if changed else "unchanged", item["id"]))
        elif item["content_hash"] in twins:
            outcomes.append(("unchanged", twins[item["content_hash"]]))
        else:
            twins[item["content_hash"]] = item["id"]  # a later row with the same text is its duplicate
            inserts.append(s)
            outcomes.append(("added", item["id"]))
    write_staged(store, "content", "id", _COLUMNS, _TYPES, inserts, updates)
    return outcomes


CONTENT = Target("content", "id", parse_item, write_items)


def ingest(store: Store, paths: Iterable[str | Path], *, max_file_mb: float = 50.0,
           on_file: Callable[[Path], None] | None = None) -> ImportReport:
    """Import content files or folders; see the module docstring for the rules."""
    return run_import(store, CONTENT, paths, max_file_mb=max_file_mb, on_file=on_file)


def active_items(store: Store, today: dt.date | None = None) -> list[dict]:
    """Items that can be recommended today: not retired, inside their publish window."""
    today = today or dt.date.today()
    return store.rows(
        """SELECT * FROM content
           WHERE NOT retired AND (published_at IS NULL OR published_at <= ?)
             AND (expires_at IS NULL OR expires_at >= ?)
           ORDER BY id""",
        [today, today],
    )


def get_item(store: Store, item_id: str) -> dict | None:
    rows = store.rows("SELECT * FROM content WHERE id = ?", [item_id])
    return rows[0] if rows else None


def embedding_text(item: dict) -> str:
    """The text an item is embedded and matched by: its title, then its body (once)."""
    title, text = item["title"], item["text"]
    return text if text.startswith(title) else f"{title}\n{text}"
