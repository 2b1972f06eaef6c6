"""Points, the opt-in leaderboard and the ambassador of the month, computed in SQL from real events.

Points reward, gently, per share: sharing (10), personalising (the authenticity
score / 10, at most 10) and what the post earned: 1 per unique human click
(bots and repeat visits earn nothing, so clicking one's own link does not pay),
1 per reaction, 2 per comment, 3 per repost, 10 per conversion (lead, sign-up,
sale, application). A share's points count in the period it was made.

Only posted shares with words count: a share the employee prepared but never
posted earns nothing (see ``posting``), nor does one whose text is empty once
links and white space are left out (``goals.has_words``, the one definition the
goals and the marketing figures use too), both in SQL. The leaderboard and the
ambassador of the month only ever list people with ``consent_leaderboard``;
everyone sees their own points.

    >>> share_points(80, {"unique_human_clicks": 3, "comments": 1})   # 10 + 8 + 3×1 + 1×2
    23
"""

from __future__ import annotations

import datetime as dt
import math

from ..sharing.posting import posted
from ..storage.store import Store
from .goals import NO_WORDS, has_words

POINTS = {"share": 10, "unique_human_clicks": 1, "reactions": 1, "comments": 2, "reshares": 3, "conversions": 10}
PERSONAL_POINTS = 10  # at most, for a fully personal post (authenticity score 100)

_SQL_POINTS = (f"{POINTS['share']} + round({PERSONAL_POINTS} * greatest(0, least(coalesce(s.score, 0), 100)) / 100)"
               + "".join(f" + {n} * coalesce(t.{col}, 0)" for col, n in POINTS.items()
                         if col not in ("share", "conversions"))
               + f" + {POINTS['conversions']} * coalesce(t.leads + t.signups + t.sales + t.applications, 0)")


def share_points(score: float | None, totals: dict[str, int]) -> int:
    """Points for one share from its score and totals (the same formula as the SQL, for display)."""
    personal = math.floor(PERSONAL_POINTS * max(0.0, min(float(score or 0), 100.0)) / 100 + 0.5)
    return POINTS["share"] + personal + sum(n * int(totals.get(k, 0)) for k, n in POINTS.items() if k != "share")


def _period(since: dt.date | None, until: dt.date | None) -> tuple[str, list]:
    """The shares that earn points, made in ``[since, until)``: posted ones with words."""
    clauses, params = [posted("s"), has_words("s.text")], [NO_WORDS]  # prepared or empty: nothing
    if since:
        clauses.append("s.shared_at >= ?")
        params.append(since)
    if until:
        clauses.append("s.shared_at < ?")
        params.append(until)
    return "WHERE " + " AND ".join(clauses), params


def points(store: Store, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, int]:
    """Points per email for shares made in ``[since, until)`` (all time when omitted)."""
    where, params = _period(since, until)
    return dict(store.execute(
        f"""SELECT s.email, sum({_SQL_POINTS})::BIGINT FROM shares s
            LEFT JOIN share_totals t ON t.share_id = s.id {where} GROUP BY s.email""", params).fetchall())


def points_of(store: Store, email: str, since: dt.date | None = None, until: dt.date | None = None) -> int:
    """One person's points (0 without shares)."""
    where, params = _period(since, until)
    where += " AND s.email = ?"
    return int(store.value(f"""SELECT coalesce(sum({_SQL_POINTS}), 0) FROM shares s
                               LEFT JOIN share_totals t ON t.share_id = s.id {where}""", params + [email]))


def leaderboard(store: Store, since: dt.date | None = None, until: dt.date | None = None,
                limit: int = 10) -> list[dict]:
    """Ranked ``{"rank", "email", "name", "team", "points", "shares"}``, only people who opted in."""
    where, params = _period(since, until)
    return store.rows(
        f"""SELECT rank() OVER (ORDER BY sum({_SQL_POINTS}) DESC) AS rank, p.email, p.name, p.team,
                   sum({_SQL_POINTS})::BIGINT AS points, count(*) AS shares
            FROM shares s JOIN employees p ON p.email = s.email AND p.consent_leaderboard
            LEFT JOIN share_totals t ON t.share_id = s.id {where}
            GROUP BY p.email, p.name, p.team ORDER BY points DESC, p.name LIMIT ?""", params + [limit])


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """First day of ``today``'s month and of the next one.

    >>> month_bounds(dt.date(2025, 12, 17))
    (datetime.date(2025, 12, 1), datetime.date(2026, 1, 1))
    """
    start = today.replace(day=1)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def ambassador_of_the_month(store: Store, today: dt.date) -> dict | None:
    """The opted-in person with the most points for shares made this calendar month, or None."""
    board = leaderboard(store, *month_bounds(today), limit=1)
    return board[0] if board else None
