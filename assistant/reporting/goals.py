"""Campaign goals an admin sets ("20 personal shares of green-week by Friday") and everyone's progress.

A goal counts one measure over the campaign's posted shares made up to its due
date (inclusive), in SQL over the shares and their totals. A share whose text is
empty once its links are left out (whitespace, a bare link) counts nowhere: it
is no post (``has_words``, which the marketing figures apply too).

| metric | counts |
|---|---|
| ``personal_shares`` | shares with an authenticity score ≥ ``min_score`` (default 60) |
| ``shares`` | every share |
| ``sharers`` | distinct people who shared |
| ``unique_human_clicks`` | unique human clicks on the shares |
| ``conversions`` | leads, sign-ups, sales and applications |

    >>> goal = add_goal(store, "green-week", "personal_shares", 20, due=dt.date(2030, 6, 7))
    >>> progress(store, dt.date(2030, 6, 1))[0]["progress"]
    {'value': 0, 'target': 20, 'ratio': 0.0, 'days_left': 6, 'status': 'open'}
"""

from __future__ import annotations

import datetime as dt

from ..links.tracked import ALWAYS_ON
from ..sharing.posting import posted
from ..storage.store import Store

PERSONAL_SCORE = 60.0
METRICS = {
    "personal_shares": "count(*) FILTER (s.score >= ?)",
    "shares": "count(s.id)",
    "sharers": "count(DISTINCT s.email)",
    "unique_human_clicks": "coalesce(sum(t.unique_human_clicks), 0)",
    "conversions": "coalesce(sum(t.leads + t.signups + t.sales + t.applications), 0)",
}
LABELS = {  # stable English names (CSV exports, the command line); the app shows the catalogue's goals.metrics
    "personal_shares": "personal shares",
    "shares": "shares",
    "sharers": "sharers",
    "unique_human_clicks": "unique human clicks",
    "conversions": "conversions",
}
NO_WORDS = r"https?://[^\s\pZ]+|[\s\pZ]+"  # links and white space (Unicode spaces too): what is left is the post
ERRORS = {  # GoalError codes → the English message (logs, the command line); the app shows goals.error.<code>
    "unknown_metric": "unknown goal metric {metric!r}; use {metrics}",
    "target_too_low": "the target must be at least 1",
    "no_campaign": "a goal needs a campaign",
}


class GoalError(ValueError):
    """A goal that cannot be set. ``code`` (a key of :data:`ERRORS`) says why and ``values`` what the
    message quotes, so the app words it from its catalogue (``goals.error.<code>``) in the reader's
    language; ``str()`` is the English message.

    >>> GoalError("unknown_metric", metric="likes", metrics="shares, sharers").values["metric"]
    'likes'
    """

    def __init__(self, code: str, **values):
        self.code, self.values = code, values
        super().__init__(ERRORS[code].format(**values))


def has_words(column: str = "text") -> str:
    """SQL condition: ``column`` has something besides links and white space; it takes one parameter,
    :data:`NO_WORDS` (values are always parameters, even constant ones).

    >>> has_words("s.text")
    "regexp_replace(s.text, ?, '', 'g') <> ''"
    """
    return f"regexp_replace({column}, ?, '', 'g') <> ''"


def add_goal(store: Store, campaign: str, metric: str, target: int, due: dt.date | None = None,
             min_score: float | None = None, by: str | None = None) -> int:
    """Define a goal; returns its id. :class:`GoalError` (a ``ValueError``) on an unknown metric, a target
    below 1 or no campaign."""
    if metric not in METRICS:
        raise GoalError("unknown_metric", metric=metric, metrics=", ".join(METRICS))
    if int(target) < 1:
        raise GoalError("target_too_low")
    if not (campaign or "").strip():
        raise GoalError("no_campaign")
    return store.value("""INSERT INTO campaign_goals (campaign, metric, target, due, min_score, created_by)
                          VALUES (?, ?, ?, ?, ?, ?) RETURNING id""",
                       [campaign.strip(), metric, int(target), due, min_score, by])


def remove_goal(store: Store, goal_id: int) -> bool:
    return bool(store.execute("DELETE FROM campaign_goals WHERE id = ? RETURNING id", [goal_id]).fetchall())


def _value_query(goal: dict) -> tuple[str, list]:
    """The SQL (and its parameters) of a goal's value: its metric over its campaign's posted shares with words,
    made up to its due date, with their totals. The campaign is a plain equality on ``shares.campaign`` (no
    ``coalesce``), so on PostgreSQL the filter runs in the server and only that campaign's shares travel to
    DuckDB (reading the 100,000 shares of every campaign for each goal made the goals the slowest figure)."""
    campaign = "(s.campaign = ? OR s.campaign IS NULL)" if goal["campaign"] == ALWAYS_ON else "s.campaign = ?"
    params = [goal["campaign"]]
    if goal["due"]:
        campaign += " AND s.shared_at < ?"
        params.append(dt.datetime.combine(goal["due"] + dt.timedelta(days=1), dt.time()))
    if goal["metric"] == "personal_shares":
        params.insert(0, PERSONAL_SCORE if goal["min_score"] is None else goal["min_score"])
    return (f"""SELECT {METRICS[goal['metric']]} FROM shares s LEFT JOIN share_totals t ON t.share_id = s.id
                WHERE {campaign} AND {posted('s')} AND {has_words('s.text')}""", params + [NO_WORDS])


def progress(store: Store, today: dt.date) -> list[dict]:
    """Every goal with ``progress = {value, target, ratio (≤ 1), days_left, status}``; status is
    ``reached``, ``open`` or ``missed`` (due date passed before reaching it). Soonest due first."""
    goals = store.rows("SELECT * FROM campaign_goals ORDER BY due NULLS LAST, id")
    for goal in goals:
        value = int(store.value(*_value_query(goal)) or 0)
        days_left = (goal["due"] - today).days if goal["due"] else None
        status = ("reached" if value >= goal["target"] else
                  "missed" if days_left is not None and days_left < 0 else "open")
        goal["label"] = LABELS[goal["metric"]]
        goal["progress"] = {"value": value, "target": goal["target"], "ratio": round(min(1.0, value / goal["target"]), 3),
                            "days_left": days_left, "status": status}
    return goals
