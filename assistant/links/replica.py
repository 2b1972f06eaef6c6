"""A click-service replica on a PostgreSQL store: its own local click log, links and erasures from the store,
its hits forwarded to the store exactly once.

Scope and why: with ``PORTE_VOIX_DATABASE_URL`` the click service may run on several public hosts, none
sharing a home with another or with the app. Each replica keeps answering from its own SQLite log (a
redirect waits for its hit's local commit, as on one machine), so a PostgreSQL outage or restart never
stops redirects; this module is the only link between that log and the store, in a background thread
(:class:`Replica`, about once a second) and in ``engagement sync`` (:func:`forward`, for the log of the
syncing process's own home):

| what | from → to | how |
|---|---|---|
| short links | ``shares`` (written by any app process) → the local ``links`` table | all at start, then the shares of the last 15 minutes each turn; an unknown code is asked of the store before a 404 (:meth:`Replica.link`) |
| erasures | ``click_erasures`` (one row per erased share, written in the erasure's transaction) → the local log | the replica deletes those shares' links, hits and conversions (``secure_delete``, WAL truncated); at start, local links whose share is gone from the store are deleted too |
| hits, conversions | the local log → ``click_hits``, ``click_conversions`` | :func:`forward`: rows after the replica's marks, in one PostgreSQL transaction that also moves the marks (``click_replicas``, row locked) |
| opt-outs | the home's opt-out inbox (``optouts.inbox``, the unsubscribe page's) → ``optout_forwards`` | :func:`forward_optouts`, as hits (key: the inbox's id and local id, marks in ``optout_inboxes``); ``digest.preferences.fold_optouts`` applies and deletes them; ``optout_erasures`` (written by the erasure) → the inbox's tombstones, an erased person's link dead and opt-outs deleted there (:func:`pull_tombstones`) |
| visitor salts | ``click_salts`` ↔ the local ``salts`` | today's and tomorrow's salt shared, so one visitor has one pseudonym a day on every replica |

Exactly once: the marks move in the transaction that inserts the rows, under the replica's row lock, so
a replica killed between its PostgreSQL commit and anything else sends nothing twice, and two processes
forwarding one log (two replicas sharing a home, or the app's sync beside them) take turns. The primary
key (replica, local id) with ``ON CONFLICT DO NOTHING`` is a second guard. ``engagement sync`` folds the
forwarded rows and deletes them (hits) or marks them folded (conversions, whose ``external_id`` stays
unique across replicas) in its own transaction (``reporting.sync``).

Why forwarding rather than the alternatives: writing each hit to PostgreSQL before answering would tie
every redirect's latency and availability to the database (the click service is the part that must stay
up); the sync collecting each host's SQLite file would need the app machines to reach into public hosts,
and SQLite's WAL does not work over a network mount. Forwarding costs the redirect nothing (another thread
reads committed rows) and little CPU: measured with ``python -m evals click_load --postgres`` (2 shared
cores at load average 24–48), 15,000 of 15,000 redirects answered, forwarded and counted, 0.47 ms of
service CPU a redirect against 0.31 ms on the file run beside it; 30,000 hits forwarded in 2.4 s (COPY),
folded by one sync in 5.6–7.7 s (README, "Click-service replicas on several hosts").

A log's id is drawn once (``clicklog.c003_replica``); a home must not be cloned onto a second host (the two
logs would share an id). A log that held hits before forwarding existed was folded by the old sync up to
the store's ``sync_state`` marks: forwarding starts from them.

This module speaks PostgreSQL through psycopg only: the click service imports no DuckDB.
"""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable

import psycopg

from .. import periodic
from ..config import Settings
from ..optouts import inbox
from .clicklog import ClickLog

BATCH = 5_000
LOOKBACK_S = 900.0  # a share or an erasure committed up to this late (clock skew between hosts) is still seen
KEEP_LOCAL_HITS_S = 86_400.0  # forwarded hits older than this leave the local log
_HIT_COLUMNS = ("replica, local_id, click_id, code, share_id, clicked_at, day, method, referrer_host, visitor, "
                "ua_class, is_bot, bot_reason")
_CONVERSION_COLUMNS = ("replica, local_id, external_id, share_id, click_id, event, value, currency, occurred_at, "
                       "received_at, source, folded")
_OPTOUT_COLUMNS = "replica, local_id, email, opted_out_at, source"
_LINKS = ("SELECT short_code, id, tracked_url, shared_at FROM shares "
          "WHERE short_code IS NOT NULL AND tracked_url IS NOT NULL")


def connect(url: str, timeout_s: float = 5.0) -> psycopg.Connection:
    """A connection that fails fast while the server is away (connect and statement timeouts)."""
    return psycopg.connect(url, connect_timeout=max(1, int(timeout_s)), autocommit=True,
                           options=f"-c statement_timeout={int(timeout_s * 1000)}")


def _marks(con: psycopg.Connection, table: str, replica: str, columns: tuple[str, ...],
           start: Callable[[], dict[str, int]] = dict) -> list[int]:
    """A forwarder's marks (``columns`` of ``table``: ``click_replicas``, ``optout_inboxes``), its row locked
    until the transaction ends; created on first use at ``start()`` (0 for a column it leaves out)."""
    query = f"SELECT {', '.join(columns)} FROM {table} WHERE replica = %s FOR UPDATE"
    row = con.execute(query, [replica]).fetchone()
    if row is None:
        first = start()
        con.execute(f"INSERT INTO {table} (replica, {', '.join(columns)}, host, first_seen, last_seen) "
                    f"VALUES (%s, {', '.join(['%s'] * len(columns))}, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [replica, *(first.get(c, 0) for c in columns), socket.gethostname(), time.time(), time.time()])
        row = con.execute(query, [replica]).fetchone()
    return [int(value) for value in row]


def _move_marks(con: psycopg.Connection, table: str, replica: str, marks: dict[str, int]) -> None:
    con.execute(f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in marks)}, last_seen = %s WHERE replica = %s",
                [*marks.values(), time.time(), replica])


def forward(con: psycopg.Connection, log: ClickLog, batch: int = BATCH, serving: bool = False) -> dict:
    """Send the log's hits and conversions not yet in the store, ``batch`` of each per transaction; returns
    ``{"hits", "conversions", "hits_upto"}`` (rows sent now, the hits mark). ``serving``: the log's click
    service is the one forwarding (its ``served_at`` moves: the marketing page reports it as a replica)."""
    replica, legacy = log.replica()
    sent = {"hits": 0, "conversions": 0, "hits_upto": 0}

    def start() -> dict[str, int]:  # a log that predates forwarding: the old sync folded it this far
        done = dict(con.execute("SELECT source, last_id FROM sync_state "
                                "WHERE source IN ('hits', 'conversions')").fetchall()) if legacy else {}
        return {f"{source}_upto": last for source, last in done.items()}

    while True:
        with con.transaction():
            hits_upto, conversions_upto = _marks(con, "click_replicas", replica, ("hits_upto", "conversions_upto"),
                                                 start)
            hits = log.hits_after(hits_upto, batch)
            found = log.conversions_after(conversions_upto, batch)
            if hits:
                _insert(con, "click_hits", _HIT_COLUMNS,
                        [(replica, *row[:10], bool(row[10]), row[11]) for row in hits])
            if found:
                _insert(con, "click_conversions", _CONVERSION_COLUMNS, [(replica, *row, False) for row in found])
            hits_upto = hits[-1][0] if hits else hits_upto
            _move_marks(con, "click_replicas", replica,
                        {"hits_upto": hits_upto, "conversions_upto": found[-1][0] if found else conversions_upto,
                         **({"served_at": time.time()} if serving else {})})
        sent["hits"] += len(hits)
        sent["conversions"] += len(found)
        sent["hits_upto"] = hits_upto
        if len(hits) < batch and len(found) < batch:
            return sent


def forward_optouts(con: psycopg.Connection, settings: Settings) -> int:
    """Send the opt-outs of the inbox at ``settings``'s home (``optouts.inbox``) not yet in the store to
    ``optout_forwards``, as :func:`forward` sends hits (the inbox's id and the local id the key, the mark moved
    in the same transaction); returns how many were sent now."""
    if not inbox.inbox_path(settings).exists():
        return 0
    replica = inbox.identity(settings)
    with con.transaction():
        (upto,) = _marks(con, "optout_inboxes", replica, ("optouts_upto",))
        rows = inbox.after(settings, upto)
        if rows:
            _insert(con, "optout_forwards", _OPTOUT_COLUMNS, [(replica, *row) for row in rows])
            _move_marks(con, "optout_inboxes", replica, {"optouts_upto": rows[-1][0]})
    return len(rows)


def pull_tombstones(con: psycopg.Connection, settings: Settings, seen: tuple | None = None) -> tuple[tuple, int]:
    """Bring the store's tombstones of erased people (``optout_erasures``) to the inbox at ``settings``'s home
    (``inbox.keep_tombstones``) when they changed since ``seen`` (their count, latest and sum of times); returns the new
    ``seen`` and the opt-outs deleted."""
    state = tuple(con.execute("SELECT count(*), max(erased_at), sum(erased_at) FROM optout_erasures").fetchone())
    if state == seen:
        return state, 0
    tombstones = {t for (t,) in con.execute("SELECT tombstone FROM optout_erasures").fetchall()}
    return state, inbox.keep_tombstones(settings, tombstones)


def _insert(con: psycopg.Connection, table: str, columns: str, rows: list[tuple]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` of many rows: COPY into a scratch table, then one statement
    (30,000 hits, 2 cores at load average ~50: 7.5 s with ``executemany``, one statement per row; 2.4 s so)."""
    scratch = f"_pv_forward_{table}"
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} (LIKE {table}) ON COMMIT DELETE ROWS")
    with con.cursor().copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {scratch} ON CONFLICT DO NOTHING")


def share_salts(con: psycopg.Connection, log: ClickLog, today: dt.date) -> None:
    """Today's and tomorrow's visitor salts the same on every replica: the store's when it has one, else this
    log's (a log keeps the salt it used first: its pseudonyms of a day never change)."""
    for day in (today, today + dt.timedelta(days=1)):
        mine = log.salt(day) if log.has_salt(day) else secrets.token_bytes(32)
        con.execute("INSERT INTO click_salts (day, salt) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    [day.isoformat(), mine])
        shared = con.execute("SELECT salt FROM click_salts WHERE day = %s", [day.isoformat()]).fetchone()[0]
        log.keep_salt(day, bytes(shared))
    con.execute("DELETE FROM click_salts WHERE day < %s", [(today - dt.timedelta(days=1)).isoformat()])


class Replica:
    """The background link between one click log and the PostgreSQL store at ``url`` (see the module's table).

    With ``settings`` it also forwards the opt-out inbox of that home (:func:`forward_optouts`) and keeps its
    tombstones (:func:`pull_tombstones`): the unsubscribe page the click service serves writes there. Without
    a ``log`` it does only that (``porte-voix digest unsubscribe-server``).

    ``stats`` (served by ``/healthz``): ``state`` (``starting``, ``ok``, ``unavailable``), ``forwarded_hits``,
    ``forwarded_conversions``, ``forwarded_optouts``, ``backlog`` (committed hits not yet in the store),
    ``links_added``, ``shares_erased``, ``optouts_erased``, ``last_error``.
    """

    def __init__(self, url: str, log: ClickLog | None, every_s: float = 1.0, lookback_s: float = LOOKBACK_S,
                 clock=time.time, settings: Settings | None = None):
        self.url, self.log, self.every_s, self.lookback_s, self.clock = url, log, every_s, lookback_s, clock
        self.settings = settings
        self.stats = {"state": "starting", "forwarded_hits": 0, "forwarded_conversions": 0, "forwarded_optouts": 0,
                      "backlog": 0, "links_added": 0, "shares_erased": 0, "optouts_erased": 0, "last_error": None}
        self._tombstones: tuple | None = None  # ``optout_erasures``' (count, latest, sum) last brought here
        self._con: psycopg.Connection | None = None  # the background thread's
        self._lookup: psycopg.Connection | None = None  # request threads' (one at a time)
        self._lookup_lock = threading.Lock()
        self._turn_lock = threading.Lock()
        self._started = False  # the full link load and reconciliation done
        self._links_since: dt.datetime | None = None
        self._pulled: set[str] = set()  # codes already written to the log
        self._erasures_since = 0.0
        self._erased: dict[str, float] = {}  # share → erased_at, applied within the look-back
        self._salted: dt.date | None = None
        self._pruned = 0.0
        self._hits_upto = 0
        self._job: periodic.Job | None = None
        self._wait = every_s

    # --- the background turn ------------------------------------------------------------------------

    def turn(self) -> float:
        """Pull links and erasures, share the salts, forward hits (and the inbox's opt-outs, its tombstones
        pulled); the wait before the next turn (doubled up to 10 s while the store is unavailable)."""
        with self._turn_lock:
            try:
                if self._con is None or self._con.closed:
                    self._con = connect(self.url)
                if self.log is not None:
                    self._clicks(self._con)
                if self.settings is not None:
                    self._tombstones, erased = pull_tombstones(self._con, self.settings, self._tombstones)
                    self.stats["optouts_erased"] += erased
                    self.stats["forwarded_optouts"] += forward_optouts(self._con, self.settings)
                self.stats.update(state="ok", last_error=None)
                self._wait = self.every_s
            except (psycopg.Error, OSError) as exc:
                self._drop("_con")
                self.stats.update(state="unavailable", last_error=f"{exc.__class__.__name__}: {exc}".strip()[:300])
                self.stats["backlog"] = self._backlog() if self.log is not None else 0
                self._wait = min(max(self._wait, self.every_s) * 2, 10.0)
            return self._wait

    def _clicks(self, con: psycopg.Connection) -> None:
        if not self._started:
            self._load_all_links(con)
        self._pull_links(con)
        self._pull_erasures(con)
        today = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc).date()
        if self._salted != today:
            share_salts(con, self.log, today)
            self._salted = today
        sent = forward(con, self.log, serving=True)
        self.stats["forwarded_hits"] += sent["hits"]
        self.stats["forwarded_conversions"] += sent["conversions"]
        self._hits_upto = sent["hits_upto"]
        self.stats["backlog"] = 0
        if self.clock() - self._pruned > 3600:
            self.log.prune_hits(sent["hits_upto"], self.clock() - KEEP_LOCAL_HITS_S)
            self._pruned = self.clock()

    def _backlog(self) -> int:
        """Committed hits not yet forwarded (as far as this process knows the mark)."""
        return self.log.db.execute("SELECT count(*) FROM hits WHERE id > ?", [self._hits_upto]).fetchone()[0]

    def _drop(self, name: str) -> None:
        con = getattr(self, name)
        setattr(self, name, None)
        if con is not None:
            try:
                con.close()
            except psycopg.Error:
                pass

    def _load_all_links(self, con: psycopg.Connection) -> None:
        """Every link of the store into the log; local links of shares gone from the store (erased while this
        replica was stopped) deleted, unless made in the last look-back (a share being recorded now)."""
        rows = con.execute(_LINKS).fetchall()
        self.stats["links_added"] += self.log.add_links((code, share, target) for code, share, target, _ in rows)
        self._pulled = {code for code, *_ in rows}
        known = {share for _, share, _, _ in rows}
        cutoff = self.clock() - self.lookback_s
        gone = [share for (share,) in self.log.db.execute("SELECT DISTINCT share_id FROM links WHERE created_at < ?",
                                                          [cutoff]) if share not in known]
        self._forget(gone)
        self._links_since = max((at for *_, at in rows if at is not None), default=None)
        self._erasures_since = con.execute("SELECT coalesce(max(erased_at), 0) FROM click_erasures").fetchone()[0]
        self._started = True

    def _pull_links(self, con: psycopg.Connection) -> None:
        if self._links_since is None:
            rows = con.execute(_LINKS).fetchall()
        else:
            rows = con.execute(_LINKS + " AND shared_at >= %s",
                               [self._links_since - dt.timedelta(seconds=self.lookback_s)]).fetchall()
        fresh = [(c, s, t) for c, s, t, _ in rows if c not in self._pulled]
        if fresh:  # the look-back returns the same shares every turn: only new codes take the log's write lock
            self.stats["links_added"] += self.log.add_links(fresh)
            self._pulled.update(c for c, _, _ in fresh)
        if rows:
            newest = max((at for *_, at in rows if at is not None), default=None)
            if newest is not None and (self._links_since is None or newest > self._links_since):
                self._links_since = newest

    def _pull_erasures(self, con: psycopg.Connection) -> None:
        rows = con.execute("SELECT erased_share, erased_at FROM click_erasures WHERE erased_at >= %s",
                           [self._erasures_since - self.lookback_s]).fetchall()
        fresh = [share for share, _ in rows if share not in self._erased]
        for share, at in rows:
            self._erased[share] = at
            self._erasures_since = max(self._erasures_since, at)
        horizon = self._erasures_since - 2 * self.lookback_s
        self._erased = {s: at for s, at in self._erased.items() if at >= horizon}
        self._forget(fresh)

    def _forget(self, shares: Iterable[str]) -> None:
        shares = list(shares)
        if shares:
            self.log.forget_shares(shares)
            self.log.scrub()
            self.stats["shares_erased"] += len(shares)

    # --- lookups for requests ---------------------------------------------------------------------------

    def _ask(self, sql: str, params: list) -> tuple | None:
        """One row from the store for a request thread; raises ``psycopg.Error`` while it is unavailable."""
        with self._lookup_lock:
            try:
                if self._lookup is None or self._lookup.closed:
                    self._lookup = connect(self.url, timeout_s=2.0)
                return self._lookup.execute(sql, params).fetchone()
            except psycopg.Error:
                self._drop("_lookup")
                raise

    def link(self, code: str) -> tuple[str, str] | None:
        """``(share_id, target)`` of a code the log does not know yet, from the store (kept in the log); None
        when the store has none. Raises ``psycopg.Error`` while the store is unavailable."""
        row = self._ask("SELECT id, tracked_url FROM shares WHERE short_code = %s AND tracked_url IS NOT NULL",
                        [code])
        if row is None:
            return None
        self.log.add_links([(code, row[0], row[1])])
        return row[0], row[1]

    def share_of_click(self, click_id: str) -> str | None:
        """The share of a click answered by another replica (forwarded, or already folded), or None."""
        row = self._ask("SELECT share_id FROM click_hits WHERE click_id = %s UNION ALL "
                        "SELECT share_id FROM engagement_events WHERE click_id = %s LIMIT 1", [click_id, click_id])
        return row[0] if row else None

    # --- lifetime ----------------------------------------------------------------------------------------

    def start(self) -> "Replica":
        if self._job is None:
            self._job = periodic.every("porte-voix-click-replica", self.every_s, self.turn, first_s=0.0)
        return self

    def stop(self) -> dict:
        """Stop the thread and forward what is left (one try: what fails waits in the log for the next start)."""
        if self._job is not None:
            self._job.stop()
            self._job = None
        self.turn()
        self._drop("_con")
        self._drop("_lookup")
        return dict(self.stats)
