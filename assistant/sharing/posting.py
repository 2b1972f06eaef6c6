"""A share's life: "prepared" when the employee takes the text and links, "posted" once it is really out.

Pressing *Share* gives the final text and the tracked links; nothing is
posted yet, so the share is recorded as ``prepared`` and counts nowhere. It
becomes ``posted`` when the employee confirms it (optionally pasting the
URL of their post), or when the first human click on its tracked link is folded in (``sync``)
(proof enough that it was published). Only posted shares enter the marketing
figures, the goals, the digests' "your last posts" and earn points: each of them
applies :func:`posted`, the one definition of "a share counts once posted".

    >>> _ = store.execute("INSERT INTO shares (id, email, content_id, text) VALUES ('s-1', 'sam@example.com', 'c', 't')")
    >>> status(store, "s-1")
    'prepared'
    >>> confirm(store, "sam@example.com", "s-1", "https://www.linkedin.com/feed/update/urn:li:activity:1/")
    True
    >>> status(store, "s-1"), confirm(store, "sam@example.com", "s-1")
    ('posted', False)
"""

from __future__ import annotations

import datetime as dt

from ..storage.store import Store
from ..text import safe_url
from ..words.worded import Worded
from .share_rules import ShareRefused, refusals
from .shares import set_post_url
from .shares import share as record

PREPARED, POSTED_STATUS = "prepared", "posted"


def posted(alias: str | None = None) -> str:
    """The SQL condition every figure about shares applies: a share counts once posted (prepared ones wait).
    ``alias``: the name of the ``shares`` table in the query. A constant of this module, never user input.

    >>> posted("s"), posted()
    ("s.status = 'posted'", "status = 'posted'")
    """
    return f"{alias + '.' if alias else ''}status = '{POSTED_STATUS}'"


def status(store: Store, share_id: str) -> str | None:
    return store.value("SELECT status FROM shares WHERE id = ?", [share_id])


def confirm(store: Store, email: str, share_id: str, post_url: str | None = None,
            when: dt.datetime | None = None) -> bool:
    """Mark the employee's own share as posted (and remember the post's URL, http(s) only).

    True when the share changed to posted now; a URL given later is still stored.
    Raises ``LookupError`` for a share that is not theirs, ``ValueError`` for a URL that is not http(s).
    """
    row = store.rows("SELECT status FROM shares WHERE id = ? AND email = ?", [share_id, email])
    if not row:
        raise LookupError(f"no share {share_id!r} of {email}")
    if post_url and post_url.strip():
        if safe_url(post_url.strip()) is None:
            raise Worded("errors.post_address")
        set_post_url(store, email, share_id, post_url)  # also keys the networks' statistics to this share
    changed = row[0]["status"] != POSTED_STATUS
    store.execute("""UPDATE shares SET status = ?, posted_at = coalesce(posted_at, ?, current_timestamp)
                     WHERE id = ? AND email = ?""", [POSTED_STATUS, when, share_id, email])
    return changed


def discard(store: Store, email: str, share_id: str) -> bool:
    """Forget a share that was prepared and never posted (the employee changed their mind)."""
    mine = [share_id, email, PREPARED]
    found = store.value("SELECT 1 FROM shares WHERE id = ? AND email = ? AND status = ?", mine)
    if found:
        store.execute("DELETE FROM shares WHERE id = ? AND email = ? AND status = ?", mine)
    return bool(found)


def count(store: Store, email: str, status: str = POSTED_STATUS) -> int:
    """How many of the employee's shares have ``status``."""
    return store.value("SELECT count(*) FROM shares WHERE email = ? AND status = ?", [email, status])


def pending(store: Store, email: str, content_id: str, on_screen: str | None = None) -> dict | None:
    """The employee's latest share of ``content_id`` still waiting to be posted, or None.

    ``on_screen``, the share a page showed them, comes back even if a first click posted it since (the
    engagement sync does that): the "I posted it" they pressed on it, and the post's address they typed,
    must still reach :func:`confirm` instead of vanishing with the panel."""
    rows = store.rows("""SELECT * FROM shares WHERE email = ? AND content_id = ? AND (status = ? OR id = ?)
                         ORDER BY id = ? DESC, shared_at DESC, id LIMIT 1""",
                      [email, content_id, PREPARED, on_screen, on_screen])
    return rows[0] if rows else None


def share(ctx, email: str, content_id: str, text: str, network: str, share_id: str,
          draft_id: str | None = None, draft_text: str | None = None, source: str | None = None) -> dict:
    """Record a prepared share (``shares.share``) unless the text is not a post (``share_rules``; ``source``,
    the item's text, is one more text the employee's own sentence must not be taken from): raises
    ``ShareRefused`` (empty, outline, unchanged draft, repetitive, spam) or ``ShareBlocked`` (policy)."""
    codes = refusals(text, draft_text, source)
    if codes:
        raise ShareRefused(codes)
    return record(ctx, email, content_id, text, network, share_id=share_id, draft_id=draft_id, draft_text=draft_text)


def history(store: Store, email: str, limit: int = 50) -> list[dict]:
    """The employee's shares, newest first, with how they did: ``{"id", "content_id", "title", "network",
    "status", "score", "shared_at", "posted_at", "post_url", "tracked_url", "text", "clicks", "reactions",
    "comments", "reshares"}`` (clicks: unique human clicks of the tracked link)."""
    return store.rows(
        """SELECT s.id, s.content_id, c.title, s.network, s.status, s.score, s.shared_at, s.posted_at, s.post_url,
                  s.tracked_url, s.text,
                  coalesce(t.unique_human_clicks, 0)::INT AS clicks, coalesce(t.reactions, 0)::INT AS reactions,
                  coalesce(t.comments, 0)::INT AS comments, coalesce(t.reshares, 0)::INT AS reshares
           FROM shares s LEFT JOIN content c ON c.id = s.content_id LEFT JOIN share_totals t ON t.share_id = s.id
           WHERE s.email = ? ORDER BY s.shared_at DESC, s.id LIMIT ?""",
        [email, limit])
