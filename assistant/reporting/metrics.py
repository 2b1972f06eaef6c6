"""Engagement per share and per campaign / team / network / week, in SQL over the per-share totals.

One query shape serves every table: shares joined with their author, item and
``share_totals`` (see ``events``), filtered, then grouped or not. Reach is the
impressions the network reported where an analytics import gave them, else an
estimate (network size × ``EMPLOYEE_REACH_RATE``), and every row says which
(``reach_reported`` / ``reach_estimated``). Earned media value is what the same
reach and clicks would have cost as ads (CPM and CPC set by an admin): an
estimate, labelled as one wherever it is shown.

    >>> rows = share_metrics(store, Filters(campaign="green-week"))   # doctest: +SKIP
    >>> breakdown(store, "team", rates=rates(store, settings))         # doctest: +SKIP
    [{"team": "Data", "shares": 4, "sharers": 3, "human_clicks": 31, "reach": 2210, "emv": 128.3, ...}, ...]

Rules, quoted on the dashboards: see ``events`` for hits / human clicks /
unique human clicks; CTR = human clicks / reach; engagement rate =
(unique human clicks + reactions + comments + reposts) / reach.

Names: every per-share row says whether its author agreed to appear on the
leaderboard (``named``: ``consent_leaderboard``). With ``Filters(named_only=True)``
(the marketing page's, see ``dashboards.PageFilters``) the author's email, name and
post address are NULL on the rows of people who did not agree, in SQL, so a table,
a chart tooltip and its CSV cannot name them; the team stays (a share's team is what
the by-team figures count). An employee's own list (``share_metrics(store, email)``)
is not affected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..config import Settings
from ..links.tracked import ALWAYS_ON
from ..sharing.posting import posted
from ..storage.store import Store

EMPLOYEE_REACH_RATE = 0.08   # share of an employee's connections who see an organic post
BRAND_REACH_RATE = 0.02      # share of a brand page's followers who see an organic post
DEFAULT_NETWORK_SIZE = 300
CONVERSIONS = "(t.leads + t.signups + t.sales + t.applications)"
MAX_LISTED = 10_000  # per-share tables up to this many shares name their ids to the scans (``_listed``)
PERSONAL = ("email", "name", "post_url")  # what names the author of a per-share row (``named_only``)
GROUPS = {"campaign": "campaign", "team": "team", "network": "network", "week": "week", "email": "email",
          "content": "content_id"}
RULES = {
    "hits": "every request of the short link, bots included · chaque requête du lien court, robots compris",
    "human_clicks": "hits not flagged as bots (crawler list, link previews, HEAD, empty agent) · hors robots",
    "unique_human_clicks": "distinct (share, visitor, day) among human clicks, at most 3 per network a day · "
                           "visiteurs distincts par jour, au plus 3 par réseau",
    "reach": "reported impressions where imported, else network size × 8 % (estimated) · "
             "impressions déclarées sinon estimation",
    "emv": "estimate: reach / 1000 × CPM + human clicks × CPC · estimation de la valeur média",
}


@dataclass(frozen=True)
class Filters:
    """What the dashboards filter on; None means any."""

    campaign: str | None = None
    team: str | None = None
    network: str | None = None
    email: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    since: dt.date | None = None
    until: dt.date | None = None      # exclusive
    include_prepared: bool = False    # shares never confirmed as posted (an employee's own history shows them)
    named_only: bool = False          # per-share rows name only people with consent_leaderboard (see PERSONAL)

    def where(self) -> tuple[str, list]:
        clauses, params = ([] if self.include_prepared else [posted()]), []
        for clause, value in (("campaign = ?", self.campaign), ("team = ?", self.team), ("network = ?", self.network),
                              ("email = ?", self.email), ("(score IS NULL OR score >= ?)", self.min_score),
                              ("(score IS NULL OR score <= ?)", self.max_score), ("shared_at >= ?", self.since),
                              ("shared_at < ?", self.until)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _picked(filters: Filters, extra: str = "", order: str | None = None) -> tuple[str, list]:
    """The filtered shares with their author's columns, before any totals (cheap: no event data), in
    ``order`` when given; ``extra`` is one more condition. Its output feeds :func:`_base`."""
    where, params = filters.where()
    if extra:
        where = f"{where} AND {extra}" if where else f"WHERE {extra}"
    sql = f"""
        SELECT * FROM (
          SELECT s.* EXCLUDE (campaign), coalesce(s.campaign, '{ALWAYS_ON}') AS campaign, p.name,
                 coalesce(p.team, '?') AS team, coalesce(p.network_size, {DEFAULT_NETWORK_SIZE}) AS network_size,
                 coalesce(p.consent_leaderboard, FALSE) AS named
          FROM shares s LEFT JOIN employees p ON p.email = s.email
        ) {where} {f'ORDER BY {order}' if order else ''}"""
    return sql, params


def _base(filters: Filters, content: bool = True, extra: str = "", order: str | None = None,
          order_params: list | None = None, ids: list[str] | None = None) -> tuple[str, list]:
    """The per-share relation every query reads: one row per share with its totals and reach (and the
    item's title and kind with ``content``; aggregates leave that join out: DuckDB keeps unused joins).

    ``order`` (an SQL ordering with ``LIMIT ?`` and its ``order_params``) picks the shares before their
    totals are joined, so a table of the latest 2,000 shares never joins the other 98,000. ``ids`` (see
    :func:`_per_share`): exactly those shares, named in the scans of ``shares`` and ``share_totals``.
    """
    totals = "share_totals"
    if ids is not None:
        listed = ", ".join("?" * len(ids)) or "NULL"
        filters, extra, order, order_params = Filters(include_prepared=True), f"id IN ({listed})", None, 2 * list(ids)
        totals = f"(SELECT * FROM share_totals WHERE share_id IN ({listed}))"
    picked, params = _picked(filters, extra, order)
    item = ("c.title, c.kind AS content_kind," if content else "")
    join = ("LEFT JOIN content c ON c.id = s.content_id" if content else "")
    sql = f"""
          SELECT s.id, s.email, s.name, s.team, s.content_id, {item}
                 s.network, s.campaign, s.score, s.shared_at,
                 date_trunc('week', s.shared_at)::DATE AS week, s.short_code, s.post_url, s.status, s.network_size,
                 s.named,
                 coalesce(t.hits, 0) AS hits, coalesce(t.bot_hits, 0) AS bot_hits,
                 coalesce(t.hits - t.bot_hits, 0) AS human_clicks,
                 coalesce(t.unique_human_clicks, 0) AS unique_human_clicks,
                 coalesce(t.reactions, 0) AS reactions, coalesce(t.comments, 0) AS comments,
                 coalesce(t.reshares, 0) AS reshares, coalesce(t.network_clicks, 0) AS network_clicks,
                 coalesce(t.leads, 0) AS leads, coalesce(t.signups, 0) AS signups, coalesce(t.sales, 0) AS sales,
                 coalesce(t.applications, 0) AS applications, coalesce({CONVERSIONS}, 0) AS conversions,
                 coalesce(t.conversion_value, 0) AS conversion_value,
                 coalesce(t.impression_rows, 0) > 0 AS reach_reported,
                 CASE WHEN coalesce(t.impression_rows, 0) > 0 THEN t.impressions END AS impressions,
                 CASE WHEN coalesce(t.impression_rows, 0) > 0 THEN t.impressions
                      ELSE round(s.network_size * ?)::BIGINT END AS reach
          FROM ({picked}) s
          {join}
          LEFT JOIN {totals} t ON t.share_id = s.id"""
    return sql, [EMPLOYEE_REACH_RATE] + params + (order_params or [])


def _per_share(store: Store, filters: Filters, content: bool = True, extra: str = "", order: str | None = None,
               order_params: list | None = None) -> tuple[str, list]:
    """:func:`_base` for a per-share table. On PostgreSQL, up to ``MAX_LISTED`` shares: their ids are read
    first (no totals), then named as a list of values to the scans of ``shares`` and ``share_totals``, which
    the server filters itself; DuckDB reads each table it scans over the network, and all 100,000 totals
    took half of a 2,000-row share table. The DuckDB file keeps one query (a long list of values costs it more
    than its own scan of the totals)."""
    if store.url is not None:
        picked, where = _picked(filters, extra, order)
        ids = [r[0] for r in store.execute(f"SELECT id FROM ({picked}) LIMIT ?",
                                           where + (order_params or []) + [MAX_LISTED + 1]).fetchall()]
        if len(ids) <= MAX_LISTED:
            return _base(filters, content, ids=ids)
    return _base(filters, content, extra, order, order_params)


def _columns(filters: Filters) -> str:
    """The per-share select list over :func:`_base`: every column, and with ``filters.named_only`` the
    :data:`PERSONAL` ones NULL where the author did not agree to be named (one rule for screen and CSV)."""
    if not filters.named_only:
        return "*"
    return "* REPLACE (" + ", ".join(f"CASE WHEN named THEN {c} END AS {c}" for c in PERSONAL) + ")"


_RATES = """human_clicks AS clicks, NOT reach_reported AS reach_estimated,
            round(human_clicks / nullif(reach, 0), 4) AS ctr,
            coalesce(round((unique_human_clicks + reactions + comments + reshares) / nullif(reach, 0), 4), 0)
              AS engagement_rate"""


def share_metrics(store: Store, filters: Filters | str | None = None, limit: int | None = None) -> list[dict]:
    """One row per posted share, newest first: author, item, score, hits / human / unique clicks, network
    metrics, conversions, reach (with ``reach_reported``), CTR and engagement rate. ``filters`` may be an
    email: that employee's own shares, prepared ones included. ``clicks`` is an alias of ``human_clicks``.
    With ``filters.named_only``, ``email``, ``name`` and ``post_url`` are None unless ``named``."""
    filters = Filters(email=filters, include_prepared=True) if isinstance(filters, str) else (filters or Filters())
    order = "shared_at DESC, id" + (" LIMIT ?" if limit else "")
    base, params = _per_share(store, filters, order=order, order_params=[limit] if limit else [])
    return store.rows(f"SELECT {_columns(filters)}, {_RATES} FROM ({base}) ORDER BY shared_at DESC, id", params)


def scored_sample(store: Store, filters: Filters | None = None, size: int = 2000, seed: int = 0) -> tuple[list[dict], int]:
    """Up to ``size`` scored shares, the same ones on every call (ordered by a seeded hash of their id),
    and how many scored shares there are: a fair random sample, chosen in SQL before any totals are read."""
    filters = filters or Filters()
    picked, params = _picked(filters, "score IS NOT NULL")
    total = store.value(f"SELECT count(*) FROM ({picked})", params)
    base, params = _per_share(store, filters, content=False, extra="score IS NOT NULL",
                              order="hash(id, ?::INTEGER), id LIMIT ?", order_params=[seed, size])
    return store.rows(f"SELECT {_columns(filters)}, {_RATES} FROM ({base}) ORDER BY hash(id, ?::INTEGER), id",
                      params + [seed]), total


def rates(store: Store, settings: Settings) -> dict:
    """CPM and CPC for the earned-media-value estimate: an admin's values, else the settings' defaults."""
    saved = dict(store.execute("SELECT key, value FROM programme_rates").fetchall())
    return {"cpm": saved.get("cpm", settings.cpm), "cpc": saved.get("cpc", settings.cpc),
            "currency": settings.currency}


def set_rates(store: Store, cpm: float, cpc: float, by: str | None = None) -> None:
    """An admin sets CPM and CPC (≥ 0)."""
    if cpm < 0 or cpc < 0:
        raise ValueError("CPM and CPC must be >= 0")
    for key, value in (("cpm", cpm), ("cpc", cpc)):
        store.execute("""INSERT INTO programme_rates VALUES (?, ?, ?, current_timestamp)
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,
                           updated_at = excluded.updated_at""", [key, float(value), by])


def breakdown(store: Store, by: str | None, filters: Filters | None = None, rates: dict | None = None,
              brand_followers: int | None = None) -> list[dict]:
    """Per value of ``by`` (campaign, team, network, week — the week a share was made —, email, content;
    None: one row for everything): shares, sharers, score stats, hits, human / unique clicks, CTR,
    reactions, comments, reposts, conversions, reach reported / estimated, EMV (estimate), and with
    ``brand_followers`` the brand-page baseline."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"unknown breakdown {by!r}; use {', '.join(GROUPS)}")
    base, params = _base(filters or Filters(), content=False)
    rates = rates or {"cpm": 0.0, "cpc": 0.0}
    key = f"{GROUPS[by]} AS {by}, " if by else ""
    rows = store.rows(
        f"""SELECT {key}count(*) AS shares, count(DISTINCT email) AS sharers,
                   round(avg(score), 1) AS mean_score, round(median(score), 1) AS median_score,
                   round(min(score), 1) AS min_score, round(avg((score < 40)::INT), 2) AS low_share,
                   sum(hits)::BIGINT AS hits, sum(bot_hits)::BIGINT AS bot_hits,
                   sum(human_clicks)::BIGINT AS human_clicks, sum(unique_human_clicks)::BIGINT AS unique_human_clicks,
                   round(sum(human_clicks) / nullif(sum(reach), 0), 4) AS ctr,
                   sum(reactions)::BIGINT AS reactions, sum(comments)::BIGINT AS comments,
                   sum(reshares)::BIGINT AS reshares, sum(leads)::BIGINT AS leads,
                   sum(applications)::BIGINT AS applications, sum(conversions)::BIGINT AS conversions,
                   round(sum(conversion_value), 2) AS conversion_value,
                   sum(reach)::BIGINT AS reach,
                   coalesce(sum(reach) FILTER (reach_reported), 0)::BIGINT AS reach_reported,
                   coalesce(sum(reach) FILTER (NOT reach_reported), 0)::BIGINT AS reach_estimated,
                   round(sum(reach) / 1000.0 * ? + sum(human_clicks) * ?, 2) AS emv_estimate
            FROM ({base}) {'GROUP BY ALL ORDER BY 1' if by else ''}""",
        [rates["cpm"], rates["cpc"]] + params)
    if brand_followers is not None:
        baseline = round(brand_followers * BRAND_REACH_RATE)
        for r in rows:
            r["brand_baseline"] = baseline
            r["reach_vs_brand"] = round(r["reach"] / baseline, 2) if baseline and r["reach"] is not None else None
    return [r for r in rows if r["shares"]]


def campaign_metrics(store: Store, brand_followers: int, filters: Filters | None = None,
                     rates: dict | None = None) -> list[dict]:
    """Per campaign, most shares first, with the brand-page baseline (what the page reaches on its own)."""
    rows = breakdown(store, "campaign", filters, rates=rates, brand_followers=brand_followers)
    return sorted(rows, key=lambda r: (-r["shares"], r["campaign"]))


def filter_options(store: Store) -> dict[str, list[str]]:
    """The values the dashboard filters offer."""
    return {
        "campaign": [r[0] for r in store.execute(
            f"SELECT DISTINCT coalesce(campaign, '{ALWAYS_ON}') FROM shares WHERE {posted()} ORDER BY 1").fetchall()],
        "team": [r[0] for r in store.execute(
            f"SELECT DISTINCT coalesce(p.team, '?') FROM shares s LEFT JOIN employees p USING (email) "
            f"WHERE {posted('s')} ORDER BY 1").fetchall()],
        "network": [r[0] for r in store.execute(
            f"SELECT DISTINCT network FROM shares WHERE network IS NOT NULL AND {posted()} ORDER BY 1").fetchall()],
    }
