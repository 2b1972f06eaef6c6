"""Engagement events in DuckDB and the per-share totals every writer keeps up to date.

``engagement_events`` holds one row per thing that happened to a share, with
where it came from (``source``):

| kind | source | count |
|---|---|---|
| ``click`` | ``clicklog`` (one logged hit: visitor pseudonym, bot flag and reason, first visit) or ``manual`` | 1, or a hand-recorded number |
| ``lead`` ``signup`` ``sale`` ``application`` | ``webhook`` or ``csv`` (via the click log), ``manual`` | 1 (``value``, ``currency``) |
| ``impression`` ``reaction`` ``comment`` ``reshare`` ``network_click`` | ``network`` (an analytics import: the latest reported total, replaced on re-import) or ``manual`` | the number |

Dashboards never scan the events: ``share_totals`` has one row per share
with its sums, updated in the same transaction as every insert or delete
(:func:`append` / :func:`remove`), so 10 million events cost the dashboards
nothing more than 100 thousand shares do.

Counting rules (the dashboards quote them):

- raw hits = every logged request of the short link (``GET`` and ``HEAD``, bots included);
- human clicks = hits not flagged as bots;
- unique human clicks = distinct (share, visitor pseudonym, day) among human clicks, at most
  ``visitors.PER_NETWORK_DAILY`` per network and share a day (``sync``); a click recorded by hand,
  without a visitor, counts once.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..storage.store import Store

CLICK = "click"
NETWORK_KINDS = ("impression", "reaction", "comment", "reshare", "network_click")
CONVERSION_KINDS = ("lead", "signup", "sale", "application")
EVENT_KINDS = (CLICK,) + NETWORK_KINDS + CONVERSION_KINDS
COLUMNS = ("share_id", "kind", "count", "happened_at", "source", "source_key", "visitor", "first_visit", "is_bot",
           "bot_reason", "ua_class", "referrer", "click_id", "value", "currency")

_DTYPES = {"share_id": "string", "kind": "string", "count": "Int64", "happened_at": "datetime64[us]",
           "source": "string", "source_key": "string", "visitor": "string", "first_visit": "boolean",
           "is_bot": "boolean", "bot_reason": "string", "ua_class": "string", "referrer": "string",
           "click_id": "string", "value": "Float64", "currency": "string"}  # missing values stay NULL in DuckDB
HUMAN = "kind = 'click' AND NOT coalesce(is_bot, FALSE)"
UNIQUE = HUMAN + " AND (visitor IS NULL OR coalesce(first_visit, FALSE))"
TOTALS = {  # share_totals column → the sum over events that feeds it
    "hits": "sum(count) FILTER (kind = 'click')",
    "bot_hits": "sum(count) FILTER (kind = 'click' AND coalesce(is_bot, FALSE))",
    "unique_human_clicks": f"sum(count) FILTER ({UNIQUE})",
    "reactions": "sum(count) FILTER (kind = 'reaction')",
    "comments": "sum(count) FILTER (kind = 'comment')",
    "reshares": "sum(count) FILTER (kind = 'reshare')",
    "impressions": "sum(count) FILTER (kind = 'impression')",
    "impression_rows": "count(*) FILTER (kind = 'impression')",
    "network_clicks": "sum(count) FILTER (kind = 'network_click')",
    "leads": "sum(count) FILTER (kind = 'lead')",
    "signups": "sum(count) FILTER (kind = 'signup')",
    "sales": "sum(count) FILTER (kind = 'sale')",
    "applications": "sum(count) FILTER (kind = 'application')",
    "conversion_value": "sum(value) FILTER (kind IN ('lead', 'signup', 'sale', 'application'))",
}


def _add_totals(store: Store, relation: str, params: list, sign: int) -> None:
    """Add (``sign`` = 1) or subtract (-1) the sums of the events in ``relation`` to ``share_totals``.

    A row is created for shares seen for the first time, then one ``UPDATE … FROM`` adds the sums
    (measured faster than ``INSERT … ON CONFLICT DO UPDATE`` on a stored table).
    """
    sums = ", ".join(f"{sign} * coalesce({expr}, 0) AS {name}" for name, expr in TOTALS.items())
    updates = ", ".join(f"{name} = share_totals.{name} + d.{name}" for name in TOTALS)
    store.execute(f"""INSERT INTO share_totals (share_id)
                      SELECT DISTINCT share_id FROM ({relation}) r ANTI JOIN share_totals USING (share_id)""", params)
    store.execute(f"""UPDATE share_totals SET {updates}
                      FROM (SELECT share_id, {sums} FROM ({relation}) r GROUP BY share_id) d
                      WHERE share_totals.share_id = d.share_id""", params)


def append_from(store: Store, relation: str) -> int:
    """Insert the events of ``relation`` (a table or view with the columns of ``COLUMNS``, ``count`` set)
    and add them to the totals; inside the caller's transaction when there is one. Returns rows added."""
    store.execute(f"""INSERT INTO engagement_events ({', '.join(COLUMNS)})
                      SELECT share_id, kind, count::INTEGER, coalesce(happened_at, current_timestamp),
                             {', '.join(COLUMNS[4:])} FROM {relation}""")
    _add_totals(store, f"SELECT * FROM {relation}", [], +1)
    return store.value(f"SELECT count(*) FROM {relation}")


def append(store: Store, frame: pd.DataFrame) -> int:
    """Insert events (a DataFrame with some of ``COLUMNS``; the rest NULL) and add them to the totals.

    Runs inside the caller's transaction when there is one. Returns the number of rows inserted.
    """
    if frame.empty:
        return 0
    unknown = set(frame["kind"]) - set(EVENT_KINDS)
    if unknown:
        raise ValueError(f"unknown event kind(s) {sorted(unknown)}; use {', '.join(EVENT_KINDS)}")
    frame = frame.reindex(columns=list(COLUMNS)).astype(_DTYPES)
    frame["count"] = frame["count"].fillna(1)
    db = store.db
    db.register("_pv_new_events", frame)
    try:
        return append_from(store, "_pv_new_events")
    finally:
        db.unregister("_pv_new_events")


def remove(store: Store, where: str, params: list) -> int:
    """Delete the events matching ``where`` (SQL over ``engagement_events``, values as ``?``) and take them
    out of the totals; returns how many were deleted."""
    relation = f"SELECT * FROM engagement_events WHERE {where}"
    n = store.value(f"SELECT count(*) FROM ({relation})", params)
    if n:
        _add_totals(store, relation, params, -1)
        store.execute(f"DELETE FROM engagement_events WHERE {where}", params)
    return n or 0


def record_event(store: Store, share_id: str, kind: str, count: int = 1, when: dt.datetime | None = None,
                 value: float | None = None, currency: str | None = None) -> None:
    """Record an event by hand (source ``manual``), e.g. a lead noted by a salesperson."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; use {', '.join(EVENT_KINDS)}")
    if count < 0:
        raise ValueError("count must be >= 0")
    if not store.value("SELECT 1 FROM shares WHERE id = ?", [share_id]):
        raise LookupError(f"no share {share_id!r}")
    with store.transaction():
        append(store, pd.DataFrame([{"share_id": share_id, "kind": kind, "count": count, "source": "manual",
                                     "happened_at": when, "value": value, "currency": currency}]))


def rebuild_totals(store: Store) -> int:
    """Recompute ``share_totals`` from every event (repair; the writers keep it current). Returns rows."""
    with store.transaction():
        store.execute("DELETE FROM share_totals")
        _add_totals(store, "SELECT * FROM engagement_events", [], +1)
    return store.value("SELECT count(*) FROM share_totals")
