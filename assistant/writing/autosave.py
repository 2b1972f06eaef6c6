"""The post being edited, saved on the server as the employee types and restored after a reload.

One row per (employee, item): the text, the draft it started from and the
network picked. Saved at each debounced change of the editor (the same event
that refreshes the score), cleared once the share is prepared. A reload, a new
tab or another device opening ``?item=<id>`` finds the text where it was left.

    >>> save(store, "sam@example.com", "news-1", "Mon texte à moi", draft_id="d-1", network="x")
    >>> restore(store, "sam@example.com", "news-1")["text"], restore(store, "sam@example.com", "news-1")["network"]
    ('Mon texte à moi', 'x')
    >>> clear(store, "sam@example.com", "news-1"); restore(store, "sam@example.com", "news-1") is None
    True
"""

from __future__ import annotations

from ..storage.store import Store

MAX_CHARS = 20_000  # far above any network's limit; a pasted book is cut, not stored whole


def save(store: Store, email: str, content_id: str, text: str, draft_id: str | None = None,
         network: str | None = None) -> None:
    store.execute(
        """INSERT INTO autosaves (email, content_id, draft_id, network, text) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (email, content_id) DO UPDATE SET draft_id = excluded.draft_id, network = excluded.network,
             text = excluded.text, saved_at = now()""",
        [email, content_id, draft_id, network, (text or "")[:MAX_CHARS]])


def restore(store: Store, email: str, content_id: str) -> dict | None:
    """``{"text", "draft_id", "network", "saved_at"}`` of the last save, or None."""
    rows = store.rows("SELECT text, draft_id, network, saved_at FROM autosaves WHERE email = ? AND content_id = ?",
                      [email, content_id])
    return rows[0] if rows else None


def clear(store: Store, email: str, content_id: str | None = None) -> None:
    """Forget the saved text of one item (``content_id``) or of every item of ``email``."""
    if content_id is None:
        store.execute("DELETE FROM autosaves WHERE email = ?", [email])
    else:
        store.execute("DELETE FROM autosaves WHERE email = ? AND content_id = ?", [email, content_id])
