"""What marketing and HR look at, beyond the breakdowns of ``metrics``: the page's filters (a period,
posts with words only), near copies, authenticity vs engagement (with its statistics), job applications,
figures per person (only people who agreed to be named), weekly series, and CSV export of any table.

Rows are plain dicts so the pages hand them to a DataFrame or Altair unchanged.

Every figure of the marketing page goes through :class:`PageFilters`: the
``metrics.Filters`` of the page (campaign, team, network, score, period) plus
two rules: a share whose text is empty once links and white space are left
out counts nowhere (it is not a post; see ``goals.has_words``), and a per-share
row names its author (email, name, post address) only when they agreed to
appear on the leaderboard (``named_only``, applied in SQL by ``metrics``; the
page writes the catalogue's anonymous label where the name is None). Shares
never posted are already left out by ``metrics``.

    >>> f = PageFilters.for_period(dt.date(2030, 6, 1), dt.date(2030, 6, 30))
    >>> f.since, f.until    # ``until`` is exclusive: the last day counts
    (datetime.date(2030, 6, 1), datetime.date(2030, 7, 1))

    >>> result = correlation([{"score": s, "engagement_rate": (s % 7) + s / 10} for s in range(30)])
    >>> result["n"], result["spearman"], result["ci_low"] < result["spearman"] < result["ci_high"]
    (30, 0.416, True)

The correlation is Spearman's (ranks: robust to a few viral posts), with a
percentile bootstrap 95 % interval (1,000 resamples, fixed seed) and the n it
rests on; a least-squares line gives the chart its trend. Above
``MAX_POINTS`` shares, a fixed-seed random sample of them is used for both,
and the result says so (``sampled_from``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import stats

from ..links.tracked import ALWAYS_ON
from ..storage import exports
from ..storage.store import Store
from ..text import strip_urls
from ..writing.authenticity import near_copy_clusters
from .goals import NO_WORDS, has_words
from .metrics import Filters, scored_sample, share_metrics

MAX_POINTS = 2000
RESAMPLES = 1000
NEAR_COPY_PER_ITEM = 400  # the latest shares of one item compared pairwise (n² pairs)
# The latest posts compared at most: word 3-grams cost ~60 µs a post in Python, so 100,000 posts take
# ~13 s; 3,000 (a month of a programme of a thousand sharers) stay well under a second, with their
# share metrics (evals/speed/engagement_bench.py). The page says so.
NEAR_COPY_MAX = 3_000
DEFAULT_WEEKS = 12        # the page's default period: the last 12 weeks up to today
UNKNOWN_TEAM = "?"        # as ``metrics`` shows a share whose author has no team


@dataclass(frozen=True)
class PageFilters(Filters):
    """``metrics.Filters`` plus the page's rules: only shares with words count (``with_words``), and only
    people who agreed are named on per-share rows (``named_only``, on by default here)."""

    named_only: bool = True
    with_words: bool = True

    @classmethod
    def for_period(cls, start: dt.date, end: dt.date, **others) -> "PageFilters":
        """Shares made from ``start`` to ``end``, both days included."""
        return cls(since=start, until=end + dt.timedelta(days=1), **others)

    def where(self) -> tuple[str, list]:
        where, params = super().where()
        if not self.with_words:
            return where, params
        clause = has_words("text")
        return (f"{where} AND {clause}" if where else f"WHERE {clause}"), params + [NO_WORDS]


def default_period(today: dt.date, weeks: int = DEFAULT_WEEKS) -> tuple[dt.date, dt.date]:
    """The last ``weeks`` weeks up to ``today`` (included).

    >>> default_period(dt.date(2030, 6, 28))
    (datetime.date(2030, 4, 5), datetime.date(2030, 6, 28))
    """
    return today - dt.timedelta(weeks=weeks), today


def _shares(filters: Filters | None) -> tuple[str, list]:
    """The filtered shares with their author's name, team and whether they agreed to be named
    (``named``: ``consent_leaderboard``), as ``metrics`` picks them (same columns for the filters)."""
    where, params = (filters or PageFilters()).where()
    sql = f"""
        SELECT * FROM (
          SELECT s.* EXCLUDE (campaign), coalesce(s.campaign, ?) AS campaign, p.name,
                 coalesce(p.team, ?) AS team, coalesce(p.consent_leaderboard, FALSE) AS named
          FROM shares s LEFT JOIN employees p ON p.email = s.email
        ) {where}"""
    return sql, [ALWAYS_ON, UNKNOWN_TEAM] + params


def per_person(store: Store, filters: Filters | None = None) -> list[dict]:
    """Per person who agreed to appear (``consent_leaderboard``): shares, human clicks, unique human
    clicks, reactions, mean authenticity; everyone else in one last row with ``named`` False and no
    email, name or team (never named, only counted; ``sharers`` says how many people it holds).

    Rows: ``{"email", "name", "team", "named", "shares", "sharers", "human_clicks", "unique_human_clicks",
    "reactions", "mean_score"}``, named people by shares (most first), the anonymous row last.
    """
    picked, params = _shares(filters)
    return store.rows(
        f"""SELECT CASE WHEN s.named THEN s.email END AS email, CASE WHEN s.named THEN s.name END AS name,
                   CASE WHEN s.named THEN s.team END AS team, s.named,
                   count(*) AS shares, count(DISTINCT s.email) AS sharers,
                   sum(coalesce(t.hits - t.bot_hits, 0))::BIGINT AS human_clicks,
                   sum(coalesce(t.unique_human_clicks, 0))::BIGINT AS unique_human_clicks,
                   sum(coalesce(t.reactions, 0))::BIGINT AS reactions, round(avg(s.score), 1) AS mean_score
            FROM ({picked}) s LEFT JOIN share_totals t ON t.share_id = s.id
            GROUP BY ALL ORDER BY s.named DESC, shares DESC, name""", params)


def weekly(rows: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    """``metrics.breakdown(store, "week", …)`` rows with every week from ``start`` to ``end`` present
    (weeks start on Monday; a week without shares gets 0 shares and no mean), oldest first: one bar and
    one axis tick per week, gaps included.

    >>> [(r["week"].isoformat(), r["shares"]) for r in weekly([{"week": dt.date(2030, 6, 10), "shares": 2}],
    ...                                                       dt.date(2030, 6, 5), dt.date(2030, 6, 18))]
    [('2030-06-03', 0), ('2030-06-10', 2), ('2030-06-17', 0)]
    """
    known = {r["week"]: r for r in rows}
    week, out = start - dt.timedelta(days=start.weekday()), []
    while week <= end:
        out.append(known.get(week) or {"week": week, "shares": 0})
        week += dt.timedelta(weeks=1)
    return out


def near_copies(store: Store, filters: Filters | None = None, threshold: float = 0.6) -> list[list[dict]]:
    """Groups of shares of the same item whose texts are near copies (largest first), with names and texts
    (names only of people who agreed, with :class:`PageFilters`: ``name`` None and ``named`` False otherwise).

    Links are removed before comparing (every tracked link differs, which would hide a copy). Only the
    latest ``NEAR_COPY_MAX`` posts matching ``filters`` are compared.
    """
    rows = share_metrics(store, filters or PageFilters(), limit=NEAR_COPY_MAX)
    by_item: dict[str, list[dict]] = {}
    for r in rows:  # newest first, so the cap keeps the latest
        group = by_item.setdefault(r["content_id"], [])
        if len(group) < NEAR_COPY_PER_ITEM:
            group.append(r)
    wanted = [r["id"] for g in by_item.values() for r in g]
    if store.url is None:  # the DuckDB file: a semi join with the ids as a table (cheaper than a long list)
        with store.registered("_pv_compared", pa.table({"id": pa.array(wanted, pa.string())})):
            texts = dict(store.execute("SELECT s.id, s.text FROM shares s SEMI JOIN _pv_compared w ON w.id = s.id")
                         .fetchall())
    else:  # PostgreSQL: a list of values, which the server filters (the semi join would read every text)
        texts = dict(store.execute(f"SELECT id, text FROM shares WHERE id IN ({', '.join('?' * len(wanted)) or 'NULL'})",
                                   wanted).fetchall())
    groups = []
    for members in by_item.values():
        if len(members) < 2:
            continue
        by_id = {r["id"]: {**r, "text": strip_urls(texts.get(r["id"], ""), "").strip()} for r in members}
        for cluster in near_copy_clusters([{"id": i, "text": r["text"]} for i, r in by_id.items()], threshold):
            groups.append([by_id[i] for i in cluster])
    return sorted(groups, key=lambda g: (-len(g), g[0]["id"]))


def score_vs_engagement(store: Store, filters: Filters | None = None, max_points: int = MAX_POINTS,
                        seed: int = 0) -> list[dict]:
    """Scatter points (scored shares): score, engagement rate, unique human clicks, reach and whether it was
    reported; a fixed-seed random sample of ``max_points`` when there are more (each point says ``sampled_from``).
    ``name`` is None (``named`` False) for people who did not agree to be named, with :class:`PageFilters`."""
    rows, total = scored_sample(store, filters or PageFilters(), max_points, seed)
    return [{"id": r["id"], "name": r["name"], "named": r["named"], "campaign": r["campaign"], "team": r["team"],
             "score": r["score"],
             "engagement_rate": r["engagement_rate"], "unique_human_clicks": r["unique_human_clicks"],
             "reach": r["reach"], "reach_reported": r["reach_reported"], "sampled_from": total} for r in rows]


def correlation(points: list[dict], x: str = "score", y: str = "engagement_rate", resamples: int = RESAMPLES,
                seed: int = 0) -> dict:
    """Spearman ρ of ``x`` vs ``y`` with a bootstrap 95 % interval, n, and a fitted line (slope, intercept).

    Values are None where they cannot be computed (fewer than 3 points, or a constant column).
    """
    xs = np.array([p[x] for p in points], dtype=float)
    ys = np.array([p[y] for p in points], dtype=float)
    n = len(xs)
    out = {"n": n, "spearman": None, "ci_low": None, "ci_high": None, "slope": None, "intercept": None,
           "resamples": resamples, "sampled_from": points[0].get("sampled_from", n) if points else 0}
    if n < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return out
    rho = stats.spearmanr(xs, ys).statistic
    slope, intercept = np.polyfit(xs, ys, 1)
    estimates = _bootstrap_spearman(xs, ys, resamples, seed)
    estimates = estimates[np.isfinite(estimates)]  # a resample with a constant column has no ρ
    out.update(spearman=round(float(rho), 3), slope=float(slope), intercept=float(intercept))
    if len(estimates):
        low, high = np.percentile(estimates, [2.5, 97.5])
        out.update(ci_low=round(float(low), 3), ci_high=round(float(high), 3))
    return out


def _bootstrap_spearman(xs: np.ndarray, ys: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """ρ of each bootstrap resample, exact (mid-ranks for ties, as ``spearmanr``) in O(n) per resample.

    A resample is a vector of counts w over the n points; the mid-rank of a value in the resample
    follows from the cumulative counts of the distinct values, and ρ is the w-weighted Pearson
    correlation of those ranks, which equals ``spearmanr`` on the resample written out in full.
    """
    n = len(xs)
    drawn = np.random.default_rng(seed).integers(0, n, size=(resamples, n))  # resample b takes points drawn[b]
    counts = np.bincount((np.arange(resamples)[:, None] * n + drawn).ravel(), minlength=resamples * n)
    counts = counts.reshape(resamples, n).astype(float)
    out = []
    for start in range(0, resamples, 100):  # 100 resamples at a time: arrays of 100 × n
        w = counts[start:start + 100]
        ranks = []
        for values in (xs, ys):
            _, inv = np.unique(values, return_inverse=True)
            distinct = inv.max() + 1
            rows = np.arange(len(w))[:, None] * distinct
            per_value = np.bincount((rows + inv).ravel(), weights=w.ravel(), minlength=len(w) * distinct)
            per_value = per_value.reshape(len(w), distinct)
            mid = np.cumsum(per_value, axis=1) - (per_value - 1) / 2
            ranks.append(np.take_along_axis(mid, np.broadcast_to(inv, w.shape), axis=1))
        rx, ry = ranks
        dx = rx - (w * rx).sum(axis=1, keepdims=True) / n
        dy = ry - (w * ry).sum(axis=1, keepdims=True) / n
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((w * dx * dy).sum(axis=1) / np.sqrt((w * dx * dx).sum(axis=1) * (w * dy * dy).sum(axis=1)))
    return np.concatenate(out)


def applications(store: Store, by: str = "offer", filters: Filters | None = None) -> list[dict]:
    """Job applications (``application`` conversions on shares of ``job_offer`` items) per offer or per
    referring employee (``by="referrer"``), with the shares and unique human clicks that led to them.

    Referring employees are named only when they agreed to appear (``consent_leaderboard``); the others
    are one row without email, name or team, like :func:`per_person` (``referrers`` says how many people
    a row holds)."""
    key = {"offer": "c.id AS offer_id, c.title AS offer",
           "referrer": "CASE WHEN s.named THEN s.email END AS email, CASE WHEN s.named THEN s.name END AS name, "
                       "CASE WHEN s.named THEN s.team END AS team, count(DISTINCT s.email) AS referrers"}[by]
    picked, params = _shares(filters)
    return store.rows(
        f"""SELECT {key}, count(DISTINCT s.id) AS shares, sum(coalesce(t.unique_human_clicks, 0))::BIGINT
                   AS unique_human_clicks, sum(coalesce(t.applications, 0))::BIGINT AS applications
            FROM ({picked}) s JOIN content c ON c.id = s.content_id AND c.kind = ?
            LEFT JOIN share_totals t ON t.share_id = s.id
            GROUP BY ALL ORDER BY applications DESC, shares DESC, 1 NULLS LAST""", params + ["job_offer"])


def to_csv(rows: list[dict]) -> str:
    """Any dashboard table as CSV text (header from the first row's keys, stable machine names; what the
    download buttons give), every cell through ``exports.csv_safe`` so a spreadsheet never runs a formula.

    >>> to_csv([{"team": "Data", "shares": 4}, {"team": "=RH", "shares": 1}])
    "team,shares\\r\\nData,4\\r\\n'=RH,1\\r\\n"
    """
    return exports.to_csv(rows, list(rows[0])) if rows else ""
