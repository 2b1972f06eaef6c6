"""Shares, tracked links, engagement events, metrics and points.

A share is what one employee actually posted: the final text, the network,
a tracked link and the authenticity score it had when shared. The tracked
link is the item's URL with UTM parameters (existing query parameters kept)::

    >>> tracked_url("https://x.example/a?ref=1", "linkedin", "green-week", "s-42")
    'https://x.example/a?ref=1&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=green-week&utm_content=s-42'

Engagement events (clicks, reactions, comments, reshares, leads, impressions)
are counted per share. Reach is estimated from the sharer's network size when
no impressions were reported, and compared with what the brand page would
reach on its own (``BRAND_FOLLOWERS`` x ``BRAND_REACH_RATE``), which is the
figure advocacy programs are judged on.

Points reward, gently: sharing, personalising (the authenticity score) and
engagement. The leaderboard and the ambassador of the month only ever list
people with ``consent_leaderboard``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from .store import Store

NETWORKS = ("linkedin", "x")
MEDIUM = "employee-advocacy"
ALWAYS_ON = "always-on"
EVENT_KINDS = ("click", "reaction", "comment", "reshare", "lead", "impression")

EMPLOYEE_REACH_RATE = 0.08   # share of an employee's connections who see an organic post
BRAND_REACH_RATE = 0.02      # share of a brand page's followers who see an organic post
DEFAULT_NETWORK_SIZE = 300

POINTS = {"share": 10, "click": 1, "reaction": 1, "comment": 2, "reshare": 3, "lead": 10, "impression": 0}
PERSONAL_POINTS = 10  # at most, for a fully personal post (authenticity score 100)


class ShareBlocked(ValueError):
    """The policy blocks this text; ``violations`` lists why."""

    def __init__(self, violations: list[dict]):
        super().__init__("; ".join(v["message"] for v in violations))
        self.violations = violations


def brand_followers() -> int:
    return int(os.environ.get("PORTE_VOIX_BRAND_FOLLOWERS", "12000"))


# --- links ----------------------------------------------------------------------------

def new_share_id() -> str:
    return "s-" + uuid.uuid4().hex[:12]


def tracked_url(url: str | None, network: str, campaign: str | None, share_id: str) -> str | None:
    """The item URL with UTM parameters (source, medium, campaign, content = share id); None without a URL."""
    if not url:
        return None
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}; use {', '.join(NETWORKS)}")
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [("utm_source", network), ("utm_medium", MEDIUM), ("utm_campaign", campaign or ALWAYS_ON),
              ("utm_content", share_id)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def share_links(text: str, url: str | None) -> dict[str, str]:
    """Share-intent links: LinkedIn takes only the URL (the text is pasted), X takes both."""
    links = {"x": "https://twitter.com/intent/tweet?text=" + quote(text or "", safe="")}
    if url:
        links["x"] += "&url=" + quote(url, safe="")
        links["linkedin"] = "https://www.linkedin.com/sharing/share-offsite/?url=" + quote(url, safe="")
    return links


def final_text(text: str, link: str | None, item_url: str | None = None) -> str:
    """The text to post: the item's plain URL (drafts keep it as a fact) becomes the tracked link;
    without it in the text, the tracked link goes on its own line at the end (once).

    >>> final_text("Read https://n.example/a now", "https://n.example/a?utm_content=s-1", "https://n.example/a")
    'Read https://n.example/a?utm_content=s-1 now'
    """
    text = (text or "").rstrip()
    if not link or link in text:
        return text
    if item_url and re.search(re.escape(item_url) + r"(?![\w/?&=%.-]*\w)", text):
        return re.sub(re.escape(item_url) + r"(?![\w/?&=%.-]*\w)", lambda _: link, text)
    return f"{text}\n\n{link}"


# --- shares ---------------------------------------------------------------------------

def prepare_share(store: Store, email: str, content_id: str, text: str, network: str, share_id: str,
                  draft_text: str | None = None, policy=None, embedder=None) -> dict:
    """Everything the share button needs, without storing anything.

    Returns ``{"share_id", "network", "campaign", "tracked_url", "text" (final), "links",
    "score", "components", "tips", "violations", "blocked"}``.
    """
    from . import catalog
    from .authenticity import score_post
    from .policy import check, load_policy

    item = catalog.get_item(store, content_id)
    if item is None:
        raise LookupError(f"no content item {content_id!r}")
    campaign = item["campaign"] or ALWAYS_ON
    link = tracked_url(item["url"], network, campaign, share_id)
    full = final_text(text, link, item["url"])
    scored = score_post(store, email, content_id, text, draft_text=draft_text, embedder=embedder)
    violations = check(full, policy or load_policy(), tracked_link=link, network=network)
    intent_text = full.replace(link, "").strip() if link else full  # X gets the link as its own parameter
    return {"share_id": share_id, "network": network, "campaign": campaign, "tracked_url": link, "text": full,
            "links": share_links(intent_text, link), "score": scored["score"], "components": scored["components"],
            "tips": scored.get("tips", []), "violations": violations,
            "blocked": any(v["severity"] == "block" for v in violations)}


def share(store: Store, email: str, content_id: str, text: str, network: str, share_id: str | None = None,
          draft_id: str | None = None, draft_text: str | None = None, policy=None, embedder=None) -> dict:
    """Check, score and record one share; raises ``ShareBlocked`` on a blocking violation.

    Idempotent per ``share_id``: pressing Share twice records one share.
    """
    share_id = share_id or new_share_id()
    prepared = prepare_share(store, email, content_id, text, network, share_id, draft_text, policy, embedder)
    if prepared["blocked"]:
        raise ShareBlocked([v for v in prepared["violations"] if v["severity"] == "block"])
    record_share(store, share_id, email, content_id, prepared["text"], network, prepared["campaign"],
                 prepared["tracked_url"], prepared["score"], prepared["components"], prepared["violations"], draft_id)
    return prepared


def record_share(store: Store, share_id: str, email: str, content_id: str, text: str, network: str,
                 campaign: str | None, tracked: str | None, score: float | None, components=None,
                 violations=None, draft_id: str | None = None, shared_at: dt.datetime | None = None) -> bool:
    """Insert a share row unless ``share_id`` exists; True when inserted now."""
    if store.value("SELECT 1 FROM shares WHERE id = ?", [share_id]):
        return False
    store.execute(
        """INSERT INTO shares (id, email, content_id, draft_id, text, network, campaign, tracked_url, score,
                               components, policy, shared_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, current_timestamp))""",
        [share_id, email, content_id, draft_id, text, network, campaign, tracked, score,
         json.dumps(components or [], ensure_ascii=False), json.dumps(violations or [], ensure_ascii=False),
         shared_at],
    )
    return True


def shares_of(store: Store, email: str) -> list[dict]:
    return store.rows("SELECT * FROM shares WHERE email = ? ORDER BY shared_at DESC, id", [email])


# --- events and metrics ---------------------------------------------------------------

def record_event(store: Store, share_id: str, kind: str, count: int = 1, when: dt.datetime | None = None) -> None:
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; use {', '.join(EVENT_KINDS)}")
    if count < 0:
        raise ValueError("count must be >= 0")
    if not store.value("SELECT 1 FROM shares WHERE id = ?", [share_id]):
        raise LookupError(f"no share {share_id!r}")
    store.execute("INSERT INTO engagement_events (share_id, kind, count, happened_at) VALUES (?, ?, ?, coalesce(?, current_timestamp))",
                  [share_id, kind, count, when])


_EVENT_SUMS = ", ".join(f"coalesce(sum(e.count) FILTER (WHERE e.kind = ?), 0)::INT AS {k}s" for k in EVENT_KINDS)


def share_metrics(store: Store, email: str | None = None) -> list[dict]:
    """One row per share: score, events by kind, estimated reach, engagement rate."""
    where, params = ("WHERE s.email = ?", [email]) if email else ("", [])
    rows = store.rows(
        f"""SELECT s.id, s.email, p.name, p.team, s.content_id, c.title, s.network, s.campaign, s.score,
                   s.shared_at, coalesce(p.network_size, ?) AS network_size, {_EVENT_SUMS}
            FROM shares s LEFT JOIN employees p ON p.email = s.email LEFT JOIN content c ON c.id = s.content_id
            LEFT JOIN engagement_events e ON e.share_id = s.id
            {where}
            GROUP BY ALL ORDER BY s.shared_at DESC, s.id""",
        [DEFAULT_NETWORK_SIZE] + list(EVENT_KINDS) + params,
    )
    for r in rows:
        r["reach"] = r["impressions"] or round(r["network_size"] * EMPLOYEE_REACH_RATE)
        interactions = r["clicks"] + r["reactions"] + r["comments"] + r["reshares"]
        r["engagement_rate"] = round(interactions / r["reach"], 4) if r["reach"] else 0.0
    return rows


def campaign_metrics(store: Store, rows: list[dict] | None = None) -> list[dict]:
    """Per campaign: shares, sharers, mean score, events, reach vs the brand-page baseline
    (``rows``: a ``share_metrics`` result to reuse)."""
    baseline = round(brand_followers() * BRAND_REACH_RATE)
    out: dict[str, dict] = {}
    for r in share_metrics(store) if rows is None else rows:
        c = out.setdefault(r["campaign"] or ALWAYS_ON, {
            "campaign": r["campaign"] or ALWAYS_ON, "shares": 0, "sharers": set(), "scores": [], "reach": 0,
            **{f"{k}s": 0 for k in EVENT_KINDS if k != "impression"}})
        c["shares"] += 1
        c["sharers"].add(r["email"])
        if r["score"] is not None:
            c["scores"].append(r["score"])
        c["reach"] += r["reach"]
        for k in EVENT_KINDS:
            if k != "impression":
                c[f"{k}s"] += r[f"{k}s"]
    result = []
    for c in out.values():
        scores = c.pop("scores")
        c["sharers"] = len(c["sharers"])
        c["mean_score"] = round(sum(scores) / len(scores), 1) if scores else None
        c["brand_baseline"] = baseline
        c["reach_vs_brand"] = round(c["reach"] / baseline, 2) if baseline else None
        result.append(c)
    return sorted(result, key=lambda c: (-c["shares"], c["campaign"]))


# --- points ---------------------------------------------------------------------------

def share_points(score: float | None, events: dict[str, int]) -> int:
    """Points for one share: sharing, personalising (score/10, at most 10), engagement."""
    personal = round(PERSONAL_POINTS * max(0.0, min(float(score or 0), 100.0)) / 100)
    return POINTS["share"] + personal + sum(POINTS[k] * int(events.get(k, 0)) for k in EVENT_KINDS)


def points(store: Store, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, int]:
    """Points per email for shares made in ``[since, until)`` (all time when omitted)."""
    total: dict[str, int] = {}
    for r in share_metrics(store):
        day = r["shared_at"].date() if r["shared_at"] else None
        if (since and (day is None or day < since)) or (until and (day is None or day >= until)):
            continue
        events = {k: r[f"{k}s"] for k in EVENT_KINDS}
        total[r["email"]] = total.get(r["email"], 0) + share_points(r["score"], events)
    return total


def leaderboard(store: Store, since: dt.date | None = None, until: dt.date | None = None, limit: int = 10) -> list[dict]:
    """Ranked ``{"email", "name", "team", "points"}``, only people who opted in to the leaderboard."""
    scores = points(store, since, until)
    if not scores:
        return []
    consenting = store.rows("SELECT email, name, team FROM employees WHERE consent_leaderboard AND list_contains(?, email)",
                            [list(scores)])
    board = [{**p, "points": scores[p["email"]]} for p in consenting]
    board.sort(key=lambda r: (-r["points"], r["name"]))
    return board[:limit]


def month_bounds(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or dt.date.today()
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def ambassador_of_the_month(store: Store, today: dt.date | None = None) -> dict | None:
    """The opted-in person with the most points this calendar month, or None."""
    board = leaderboard(store, *month_bounds(today), limit=1)
    return board[0] if board else None
