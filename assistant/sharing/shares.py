"""Shares: what one employee actually posted, with its score, its tracked short link and its post URL.

The Share button (and ``porte-voix share``) calls :func:`share`: it scores the
text, checks the policy, and records the share in DuckDB and its short link in
the click log, where the click service finds it. While the employee types,
:func:`prepare_share` computes the same result without storing anything.

    >>> prepared = prepare_share(ctx, "camille@…", "art-1", "My text", "linkedin", "s-1")   # doctest: +SKIP
    >>> prepared["short_url"], prepared["tracked_url"]                                      # doctest: +SKIP
    ('https://go.example.com/Xb3kP9qa', 'https://n.example/a?utm_source=linkedin&…&utm_content=s-1')

A share whose item has no URL has no link and still works. After posting, the
employee may paste the URL of the published post (:func:`set_post_url`, which
``posting.confirm`` calls); the analytics imports match the networks' per-post
statistics to shares by it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

from ..imports import catalog
from ..links.clicklog import ClickLog, open_log
from ..links.tracked import (ALWAYS_ON, final_text, new_share_id, post_key, share_links, short_code, short_url,
                             tracked_url)
from ..storage import keys
from ..storage.store import Store
from ..text import safe_url
from ..words.worded import Worded
from ..writing.authenticity import score_post
from ..writing.policy import check

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

__all__ = ["ShareBlocked", "prepare_share", "share", "record_share", "shares_of", "set_post_url", "link_share",
           "new_share_id"]


class ShareBlocked(ValueError):
    """The policy blocks this text; ``violations`` lists why."""

    def __init__(self, violations: list[dict]):
        super().__init__("; ".join(v["message"] for v in violations))
        self.violations = violations


def prepare_share(ctx: Context, email: str, content_id: str, text: str, network: str, share_id: str,
                  draft_text: str | None = None) -> dict:
    """Everything the Share button needs, without storing anything.

    Returns ``{"share_id", "network", "campaign", "tracked_url" (UTM target), "short_url", "code", "text"
    (final, with the short link), "links" (share intents), "score", "components", "tips", "violations",
    "blocked"}``.
    """
    item = catalog.get_item(ctx.store, content_id)
    if item is None:
        raise LookupError(f"no content item {content_id!r}")
    campaign = item["campaign"] or ALWAYS_ON
    target = tracked_url(item["url"], network, campaign, share_id)
    code = short_code(keys.key(ctx.settings, "links"), share_id) if target else None
    link = short_url(ctx.settings.links_base_url, code) if code else None
    full = final_text(text, link, item["url"])
    scored = score_post(ctx, email, content_id, text, draft_text=draft_text)
    violations = check(full, ctx.policy, tracked_link=link, network=network)
    intent_text = full.replace(link, "").strip() if link else full  # X gets the link as its own parameter
    return {"share_id": share_id, "network": network, "campaign": campaign, "tracked_url": target, "code": code,
            "short_url": link, "text": full, "links": share_links(intent_text, link), "score": scored["score"],
            "components": scored["components"], "tips": scored.get("tips", []), "violations": violations,
            **{k: scored[k] for k in ("total", "parts", "facts") if k in scored},  # the score's visible sum
            "blocked": any(v["severity"] == "block" for v in violations)}


def share(ctx: Context, email: str, content_id: str, text: str, network: str, share_id: str | None = None,
          draft_id: str | None = None, draft_text: str | None = None) -> dict:
    """Check, score and record one share and its short link; raises ``ShareBlocked`` on a blocking violation.

    Idempotent per ``share_id``: pressing Share twice records one share. Returns :func:`prepare_share`'s dict.
    """
    share_id = share_id or new_share_id()
    prepared = prepare_share(ctx, email, content_id, text, network, share_id, draft_text)
    if prepared["blocked"]:
        raise ShareBlocked([v for v in prepared["violations"] if v["severity"] == "block"])
    if prepared["tracked_url"]:
        code = link_share(open_log(ctx.settings.clicklog_path), keys.key(ctx.settings, "links"), share_id,
                          prepared["tracked_url"])
        if code != prepared["code"]:  # the first code was taken by another share (p ≈ 10⁻⁹): use the alternate
            link = short_url(ctx.settings.links_base_url, code)
            prepared["text"] = prepared["text"].replace(prepared["short_url"], link)
            prepared["links"] = share_links(prepared["text"].replace(link, "").strip(), link)
            prepared.update(code=code, short_url=link)
    record_share(ctx.store, share_id, email, content_id, prepared["text"], network, prepared["campaign"],
                 prepared["tracked_url"], prepared["score"], prepared["components"], prepared["violations"],
                 draft_id, short_code=prepared["code"])
    return prepared


def link_share(clicklog: ClickLog, key: bytes, share_id: str, target: str) -> str:
    """Write the share's code → target row (idempotent) and return its code."""
    for attempt in range(10):
        code = short_code(key, share_id, attempt)
        if clicklog.add_link(code, share_id, target):
            return code
        existing = clicklog.link(code)
        if existing and existing[0] == share_id:
            return code
    raise RuntimeError(f"no free short code for {share_id!r}")  # 10 collisions in 62^8: a broken key


def record_share(store: Store, share_id: str, email: str, content_id: str, text: str, network: str,
                 campaign: str | None, tracked: str | None, score: float | None, components=None,
                 violations=None, draft_id: str | None = None, shared_at: dt.datetime | None = None,
                 short_code: str | None = None) -> bool:
    """Insert a share row unless ``share_id`` exists; True when inserted now."""
    if store.value("SELECT 1 FROM shares WHERE id = ?", [share_id]):
        return False
    store.execute(
        """INSERT INTO shares (id, email, content_id, draft_id, text, network, campaign, tracked_url, score,
                               components, policy, shared_at, short_code)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, current_timestamp), ?)""",
        [share_id, email, content_id, draft_id, text, network, campaign, tracked, score,
         json.dumps(components or [], ensure_ascii=False), json.dumps(violations or [], ensure_ascii=False),
         shared_at, short_code],
    )
    return True


def shares_of(store: Store, email: str) -> list[dict]:
    return store.rows("SELECT * FROM shares WHERE email = ? ORDER BY shared_at DESC, id", [email])


def set_post_url(store: Store, email: str, share_id: str, url: str | None) -> str | None:
    """Store (or clear, with an empty ``url``) the address of the employee's published post; returns the
    post's identity (``links.tracked.post_key``), which the analytics imports match on.

    Only the share's author may set it (``LookupError`` otherwise); ``ValueError`` unless it is an
    http(s) address.
    """
    if not store.value("SELECT 1 FROM shares WHERE id = ? AND email = ?", [share_id, email]):
        raise LookupError(f"no share {share_id!r} by {email}")
    given = (url or "").strip()
    clean = safe_url(given) if given else None
    if given and clean is None:
        raise Worded("errors.paste_post_address")
    store.execute("UPDATE shares SET post_url = ? WHERE id = ? AND email = ?", [clean, share_id, email])
    return post_key(clean)
