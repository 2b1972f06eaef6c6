"""What marketing looks at: authenticity and engagement of shares, per campaign, team and week.

Pure queries and arithmetic over the shares (see ``engagement.share_metrics``);
the Authenticity page draws them. Rows are plain dicts so the page can hand
them to a DataFrame or Altair unchanged.

    >>> rows = shares_table(store, campaign="green-week", min_score=0)
    >>> summary_by(rows, "team")
    [{"team": "Data", "shares": 4, "mean_score": 71.5, "median_score": 70.0, ...}, ...]
    >>> near_copies(store, threshold=0.6)
    [[{"id": "s-1", "name": ..., "text": ...}, {"id": "s-7", ...}], ...]
"""

from __future__ import annotations

import datetime as dt
import re
import statistics

from .engagement import ALWAYS_ON, share_metrics
from .store import Store

_URL = re.compile(r"https?://\S+")


def shares_table(store: Store, campaign: str | None = None, team: str | None = None, network: str | None = None,
                 min_score: float = 0, max_score: float = 100, since: dt.date | None = None,
                 rows: list[dict] | None = None) -> list[dict]:
    """Every share with its score, events and reach, filtered (None = any); ``rows`` reuses a
    ``share_metrics`` result already fetched."""
    out = []
    for r in (share_metrics(store) if rows is None else [dict(r) for r in rows]):
        r["campaign"] = r["campaign"] or ALWAYS_ON
        r["team"] = r["team"] or "?"
        score = r["score"] if r["score"] is not None else -1
        if campaign and r["campaign"] != campaign or team and r["team"] != team or network and r["network"] != network:
            continue
        if r["score"] is not None and not (min_score <= score <= max_score):
            continue
        if since and r["shared_at"] and r["shared_at"].date() < since:
            continue
        out.append(r)
    return out


def filter_options(store: Store, rows: list[dict] | None = None) -> dict[str, list[str]]:
    rows = share_metrics(store) if rows is None else rows
    return {"campaign": sorted({r["campaign"] or ALWAYS_ON for r in rows}),
            "team": sorted({r["team"] or "?" for r in rows}),
            "network": sorted({r["network"] for r in rows if r["network"]})}


def summary_by(rows: list[dict], key: str) -> list[dict]:
    """Per value of ``key``: shares, mean/median/min score, share of low scores (< 40), clicks, reach."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    out = []
    for name, members in sorted(groups.items()):
        scores = [m["score"] for m in members if m["score"] is not None]
        out.append({key: name, "shares": len(members),
                    "mean_score": round(statistics.fmean(scores), 1) if scores else None,
                    "median_score": round(statistics.median(scores), 1) if scores else None,
                    "min_score": round(min(scores), 1) if scores else None,
                    "low_share": round(sum(s < 40 for s in scores) / len(scores), 2) if scores else None,
                    "clicks": sum(m["clicks"] for m in members), "reach": sum(m["reach"] for m in members)})
    return out


def weekly_trend(rows: list[dict]) -> list[dict]:
    """Mean score and shares per ISO week (Monday date), oldest first."""
    weeks: dict[dt.date, list[float]] = {}
    counts: dict[dt.date, int] = {}
    for r in rows:
        if not r["shared_at"]:
            continue
        day = r["shared_at"].date()
        monday = day - dt.timedelta(days=day.weekday())
        counts[monday] = counts.get(monday, 0) + 1
        if r["score"] is not None:
            weeks.setdefault(monday, []).append(r["score"])
    return [{"week": w, "shares": counts[w],
             "mean_score": round(statistics.fmean(weeks[w]), 1) if weeks.get(w) else None}
            for w in sorted(counts)]


def near_copies(store: Store, rows: list[dict] | None = None, threshold: float = 0.6) -> list[list[dict]]:
    """Groups of shares whose texts are near copies of each other (largest first), with names and texts."""
    from .authenticity import near_copy_clusters

    rows = rows if rows is not None else shares_table(store)
    if len(rows) < 2:
        return []
    ids = [r["id"] for r in rows]
    texts = {r["id"]: t for r, t in zip(rows, _texts(store, ids))}
    clusters = near_copy_clusters([{"id": i, "text": texts[i]} for i in ids], threshold=threshold)
    by_id = {r["id"]: r for r in rows}
    groups = [[{**by_id[i], "text": texts[i]} for i in cluster] for cluster in clusters if len(cluster) > 1]
    return sorted(groups, key=lambda g: (-len(g), g[0]["id"]))


def _texts(store: Store, ids: list[str]) -> list[str]:
    """Share texts without their links (every tracked link differs, which would hide a copy)."""
    found = {r["id"]: _URL.sub("", r["text"]).strip() for r in store.rows("SELECT id, text FROM shares WHERE list_contains(?, id)", [ids])}
    return [found.get(i, "") for i in ids]


def score_vs_engagement(rows: list[dict]) -> list[dict]:
    """Points for an authenticity-vs-engagement scatter: score, engagement rate, clicks per share."""
    return [{"id": r["id"], "name": r["name"], "campaign": r["campaign"], "score": r["score"],
             "engagement_rate": r["engagement_rate"], "clicks": r["clicks"]}
            for r in rows if r["score"] is not None]
