"""Fold the click log (SQLite) into DuckDB: each hit and conversion exactly once, however often it runs.

The log's ids grow in commit order (SQLite serialises writers), so a
watermark per table (``sync_state``: the last id folded) is enough: every run
reads the rows after it and, in **one DuckDB transaction**, inserts them as
events, updates the per-share totals and moves the watermark. A run that
fails changes nothing; the next one starts from the same place.

At insert, a human hit is marked ``first_visit`` (a unique click) when its
(share, visitor) pair has no earlier human hit and its visitor's network has
not yet given that share ``visitors.PER_NETWORK_DAILY`` unique clicks: rotating
user agents from one address does not multiply clicks, nor the points they
earn. The visitor pseudonym's salt changes every day, so that is "distinct
(share, visitor, day), at most 3 per network", and only the last day of
events needs to be looked at (DuckDB skips older row groups by their min/max).
Hits and conversions of shares that are not (or no longer) in DuckDB, e.g.
after a person's erasure, are skipped and counted.

On a PostgreSQL store the click service's replicas run on their own hosts with
their own logs and forward what they commit to ``click_hits`` and
``click_conversions`` (``links.replica``); a run here first forwards the log of
its own home the same way (the demo's hits, a click service sharing this home),
then folds the forwarded rows: the hits folded are deleted, the conversions
marked folded (their ``external_id`` stays unique across replicas), in the
transaction that inserts their events. Rows committed by a replica meanwhile
are simply left for the next run, so no watermark can skip a replica whose
commit came late. Event keys are ``<replica>:<local id>`` there.

Runs on a schedule inside the app (:func:`start_background`) and with
``porte-voix engagement sync`` (cron, tests, the load test).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pandas as pd

from .. import periodic
from ..links import visitors
from ..links import replica
from ..links.clicklog import CONVERSION_COLUMNS, HIT_COLUMNS, ClickLog
from ..sharing.posting import POSTED_STATUS, PREPARED
from ..storage import jobs
from ..storage.store import Store
from . import events

BATCH = 50_000
ERASURES_KEPT_S = 30 * 86_400
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(store: Store) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(str(store.path), threading.Lock())


def _watermark(store: Store, source: str) -> int:
    return store.value("SELECT last_id FROM sync_state WHERE source = ?", [source]) or 0


def _move(store: Store, source: str, last_id: int, rows: int) -> None:
    store.execute("""INSERT INTO sync_state VALUES (?, ?, ?, current_timestamp)
                     ON CONFLICT (source) DO UPDATE SET last_id = excluded.last_id,
                       rows = sync_state.rows + excluded.rows, synced_at = excluded.synced_at""",
                  [source, last_id, rows])


def _keyed(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows ``(key, *columns)`` as a frame with ``id`` (their order) and ``key`` (the event's source key)."""
    frame = pd.DataFrame(rows, columns=("key",) + columns)
    frame.insert(0, "id", range(1, len(frame) + 1))
    frame["key"] = frame["key"].astype(str)
    return frame


def _fold_hits(store: Store, rows: list[tuple]) -> tuple[int, int]:
    frame = _keyed(rows, HIT_COLUMNS)
    frame["is_bot"] = frame["is_bot"].astype(bool)
    db = store.db
    db.register("_pv_hits", frame)
    try:
        # times: Unix seconds → local TIMESTAMP, as DuckDB stores current_timestamp in the other tables
        since = dt.datetime.fromtimestamp(float(frame["at"].min())) - dt.timedelta(days=1)
        # the network is the pseudonym's part before "-" (``visitors.visitor_hash``; older ones are whole)
        db.execute(
            """CREATE OR REPLACE TEMP TABLE _pv_hit_events AS
               WITH recent AS (SELECT share_id, visitor, first_visit FROM engagement_events
                               WHERE kind = 'click' AND happened_at >= ? AND source = 'clicklog' AND NOT is_bot),
               fresh AS (
                 SELECT h.*, split_part(h.visitor, '-', 1) AS network,
                        NOT h.is_bot AND seen.share_id IS NULL
                          AND row_number() OVER (PARTITION BY h.share_id, h.visitor, h.is_bot ORDER BY h.id) = 1
                          AS new_visitor
                 FROM _pv_hits h
                 SEMI JOIN shares s ON s.id = h.share_id
                 LEFT JOIN (SELECT DISTINCT share_id, visitor FROM recent) seen
                   ON seen.share_id = h.share_id AND seen.visitor = h.visitor),
               counted AS (SELECT share_id, split_part(visitor, '-', 1) AS network, count(*) AS n FROM recent
                           WHERE first_visit GROUP BY ALL)
               SELECT h.share_id, 'click' AS kind, 1 AS count, to_timestamp(h.at)::TIMESTAMP AS happened_at,
                      'clicklog' AS source,
                      h.key AS source_key, h.visitor,
                      h.new_visitor AND coalesce(c.n, 0) + sum(h.new_visitor::INTEGER) OVER (
                        PARTITION BY h.share_id, h.network, h.day ORDER BY h.id ROWS UNBOUNDED PRECEDING) <= ?
                        AS first_visit,
                      h.is_bot, h.bot_reason, h.ua_class, h.referrer_host AS referrer, h.click_id,
                      NULL::DOUBLE AS value, NULL::TEXT AS currency
               FROM fresh h
               LEFT JOIN counted c ON c.share_id = h.share_id AND c.network = h.network""",
            [since, visitors.PER_NETWORK_DAILY])
        kept = events.append_from(store, "_pv_hit_events")
        # a human click proves the post is out: a prepared share becomes posted (see ``posting``). Through the
        # store, so that on PostgreSQL the update runs there, each row locked and re-read (DuckDB's own update over
        # the attachment writes back by row address and misses a row another process changed meanwhile); only
        # the first click of each share crosses over, not every event.
        db.execute("""CREATE OR REPLACE TEMP TABLE _pv_first_clicks AS
                      SELECT share_id, min(happened_at) AS first_click FROM _pv_hit_events WHERE NOT is_bot
                      GROUP BY share_id""")
        store.execute("""UPDATE shares SET status = ?, posted_at = f.first_click FROM _pv_first_clicks f
                         WHERE shares.id = f.share_id AND shares.status = ?""", [POSTED_STATUS, PREPARED])
    finally:
        db.unregister("_pv_hits")
        db.execute("DROP TABLE IF EXISTS _pv_hit_events")
        db.execute("DROP TABLE IF EXISTS _pv_first_clicks")
    return kept, len(rows) - kept


def _fold_conversions(store: Store, rows: list[tuple]) -> tuple[int, int]:
    db = store.db
    db.register("_pv_conversions", _keyed(rows, CONVERSION_COLUMNS))
    try:
        frame = db.execute(
            """SELECT c.share_id, c.event AS kind, 1 AS count, to_timestamp(c.occurred_at)::TIMESTAMP AS happened_at,
                      c.source, c.external_id AS source_key, c.click_id, c.value, c.currency
               FROM _pv_conversions c SEMI JOIN shares s ON s.id = c.share_id ORDER BY c.id""").df()
    finally:
        db.unregister("_pv_conversions")
    events.append(store, frame)
    return len(frame), len(rows) - len(frame)


class _LocalLog:
    """The click log of this home, folded after the watermark of each table (``sync_state``)."""

    def __init__(self, store: Store, clicklog: ClickLog):
        self.store, self.clicklog = store, clicklog

    def read(self, source: str, batch: int) -> list[tuple]:
        read = self.clicklog.hits_after if source == "hits" else self.clicklog.conversions_after
        return read(_watermark(self.store, source), batch)

    def done(self, source: str, rows: list[tuple], kept: int) -> None:
        _move(self.store, source, rows[-1][0], kept)


_FORWARDED = {"hits": ("click_hits", "", tuple(c if c != "at" else "clicked_at" for c in HIT_COLUMNS)),
              "conversions": ("click_conversions", "WHERE NOT folded", CONVERSION_COLUMNS)}


class _Forwarded:
    """The rows the click-service replicas forwarded to a PostgreSQL store (``links.replica``)."""

    def __init__(self, store: Store):
        self.store = store

    def read(self, source: str, batch: int) -> list[tuple]:
        table, where, columns = _FORWARDED[source]
        order = "clicked_at" if source == "hits" else "received_at"
        return self.store.execute(f"SELECT replica || ':' || local_id, {', '.join(columns)} FROM {table} {where} "
                                  f"ORDER BY {order}, replica, local_id LIMIT ?", [batch]).fetchall()

    def done(self, source: str, rows: list[tuple], kept: int) -> None:
        keys = pd.DataFrame([key.rsplit(":", 1) for key, *_ in rows], columns=["replica", "local_id"])
        keys["local_id"] = keys["local_id"].astype("int64")
        change = "DELETE FROM click_hits" if source == "hits" else "UPDATE click_conversions SET folded = TRUE"
        with self.store.registered("_pv_folded", keys):
            self.store.execute(f"{change} WHERE (replica, local_id) IN (SELECT replica, local_id FROM _pv_folded)")


def sync(store: Store, clicklog: ClickLog, batch: int = BATCH) -> dict:
    """Fold every new hit and conversion; ``{"hits", "conversions", "skipped", "batches"}`` added now, with
    ``"busy": True`` (nothing done) while another process of a shared store is folding (``storage.jobs``).

    On PostgreSQL, ``clicklog`` (this home's) is forwarded to the store first (``links.replica``)."""
    done = {"hits": 0, "conversions": 0, "skipped": 0, "batches": 0}
    with _lock(store), jobs.once(store, "engagement-sync") as mine:
        if not mine:  # another process (an app beside this one, a cron run) is folding now: its turn
            return {**done, "busy": True}
        if store.postgres:
            with replica.connect(store.url, timeout_s=30.0) as con:
                replica.forward(con, clicklog)
            # a replica stopped longer than this reconciles its links with the store when it starts
            store.execute("DELETE FROM click_erasures WHERE erased_at < ?", [time.time() - ERASURES_KEPT_S])
            source = _Forwarded(store)
        else:
            source = _LocalLog(store, clicklog)
        for name, fold in (("hits", _fold_hits), ("conversions", _fold_conversions)):
            while True:
                rows = source.read(name, batch)
                if not rows:
                    break
                with store.transaction():
                    kept, skipped = fold(store, rows)
                    source.done(name, rows, kept)
                done[name] += kept
                done["skipped"] += skipped
                done["batches"] += 1
                if len(rows) < batch:
                    break
    return done


def replicas(store: Store, now: float | None = None) -> list[dict]:
    """The click-service replicas forwarding to this store (none on the DuckDB file, where the service shares the
    home's log): host, seconds since its service's forwarder last ran (about every second while the service is
    up) and hits forwarded but not yet folded, so marketing and operators see a replica that stopped or a
    backlog. Left out: the homes whose log only ``engagement sync`` forwards (app processes, the operator's
    CLI: no click service runs there) and the replicas retired (:func:`retire`) that have not served since."""
    now = time.time() if now is None else now
    return store.rows("""SELECT r.replica, r.host, ? - r.served_at AS seconds_ago, coalesce(h.n, 0) AS waiting
                         FROM click_replicas r
                         LEFT JOIN (SELECT replica, count(*) AS n FROM click_hits GROUP BY replica) h USING (replica)
                         WHERE r.served_at IS NOT NULL AND (r.retired_at IS NULL OR r.served_at > r.retired_at)
                         ORDER BY r.host, r.replica""", [now])


def retire(store: Store, replica_id: str, now: float | None = None) -> bool:
    """Take the replica ``replica_id`` out of the report (a host decommissioned: stop its service first, so it
    forwards its last hits); its marks stay, so should it serve again it carries on from them, reported again
    and sending nothing twice. False when no click service ever forwarded under that id."""
    now = time.time() if now is None else now
    found = store.value("SELECT count(*) FROM click_replicas WHERE replica = ? AND served_at IS NOT NULL",
                        [replica_id])
    if found:
        store.execute("UPDATE click_replicas SET retired_at = ? WHERE replica = ?", [now, replica_id])
    return bool(found)


def start_background(store: Store, clicklog: ClickLog, every_s: float = 60.0) -> periodic.Job:
    """Run :func:`sync` now, then every ``every_s`` seconds, in a background job (``assistant.periodic``);
    ``stop()`` the returned job to end it.

    For the app (``st.cache_resource`` keeps one per process). Failures are logged and retried next time;
    the job ends by itself once ``store`` is closed.
    """
    def run() -> None:
        sync(store, clicklog)

    return periodic.every("porte-voix-engagement-sync", every_s, run, first_s=0.0, done=lambda: store.closed)
