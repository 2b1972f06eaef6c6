"""The content library: import items, dedupe them by content hash, read them back.

An item's identity is its ``id`` when the source gives one, else its URL,
else (one-item files) its file name, else its normalised content hash.
Re-importing an identical item changes nothing; a changed item is updated in
place; an item whose normalised title+text already exists under another id
is a duplicate and is skipped (reported as unchanged).

    >>> report = ingest(store, ["data/demo/content"])
    >>> report.summary()
    'content: 52 added, 0 updated, 0 unchanged, 0 rejected'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Callable, Iterable

from . import language
from .fields import as_date, as_int, digest, extra_json, normalise_text
from .importing import ImportReport, Rejected, run_import
from .readers import Record
from .store import Store

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
MAX_TEXT_CHARS = 100_000


def normalise_kind(value, categories: Iterable[str] = (), default: str = "article") -> str:
    if value is None or str(value).strip() == "":
        for category in categories:
            kind = _KIND_ALIASES.get(str(category).strip().lower())
            if kind:
                return kind
        return default
    kind = _KIND_ALIASES.get(str(value).strip().lower())
    if kind is None:
        raise Rejected(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")
    return kind


def content_hash(title: str, text: str) -> str:
    return hashlib.sha256(f"{normalise_text(title)}\n{normalise_text(text)}".encode()).hexdigest()


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalise_text(value)).strip("-")[:60]


def parse_item(record: Record) -> dict:
    """Validated, normalised content fields from one raw record (``Rejected`` if unusable)."""
    f = record.fields
    text = f.get("text") or f.get("body") or f.get("content") or f.get("description") or ""
    text = str(text).strip()
    if not text:
        raise Rejected("empty text")
    if len(text) > MAX_TEXT_CHARS:
        raise Rejected(f"text too long ({len(text)} characters > {MAX_TEXT_CHARS})")
    title = str(f.get("title") or "").strip() or text.split("\n", 1)[0][:90]
    url = str(f.get("url") or f.get("link") or "").strip() or None
    categories = f.get("categories") or []
    lang = language.normalise(f.get("language") or f.get("lang")) or language.detect(f"{title}\n{text}")
    published, expires = as_date(f.get("published_at"), "published_at"), as_date(f.get("expires_at"), "expires_at")
    if published and expires and expires < published:
        raise Rejected(f"expires_at {expires} is before published_at {published}")
    item = {
        "title": title,
        "text": text,
        "url": url,
        "kind": normalise_kind(f.get("kind"), categories if isinstance(categories, list) else [categories],
                               record.default_kind),
        "language": lang,
        "language_supported": language.is_supported(lang),
        "campaign": (str(f.get("campaign")).strip() or None) if f.get("campaign") is not None else None,
        "priority": as_int(f.get("priority"), "priority", default=0),
        "published_at": published,
        "expires_at": expires,
        "content_hash": content_hash(title, text),
        "extra": extra_json(f, KNOWN_FIELDS),
    }
    if f.get("id") not in (None, ""):
        item["id"] = str(f["id"]).strip()
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


def upsert_item(store: Store, record: Record) -> tuple[str, str]:
    item = parse_item(record)
    current = store.rows("SELECT record_hash FROM content WHERE id = ?", [item["id"]])
    if current:
        if current[0]["record_hash"] == item["record_hash"]:
            return "unchanged", item["id"]
        sets = ", ".join(f"{c} = ?" for c in _COLUMNS)
        store.execute(f"UPDATE content SET {sets}, source = ?, updated_at = current_timestamp WHERE id = ?",
                      [item[c] for c in _COLUMNS] + [record.where, item["id"]])
        return "updated", item["id"]
    twin = store.value("SELECT id FROM content WHERE content_hash = ? LIMIT 1", [item["content_hash"]])
    if twin is not None:
        return "unchanged", twin
    columns = ("id",) + _COLUMNS + ("source",)
    store.execute(f"INSERT INTO content ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                  [item["id"]] + [item[c] for c in _COLUMNS] + [record.where])
    return "added", item["id"]


def ingest(store: Store, paths: Iterable[str | Path], on_file: Callable[[Path], None] | None = None) -> ImportReport:
    """Import content files or folders; see the module docstring for the rules."""
    return run_import(store, "content", paths, upsert_item, on_file)


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
