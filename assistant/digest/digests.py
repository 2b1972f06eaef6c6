"""Weekly digests: who gets one this period, and what it says, in their language.

Scope: a digest goes only to enrolled employees (``consent_program``) whose
preferences ask for one this period (weekly; every two weeks: when the last
one was sent two or more ISO weeks ago; never: never) and who have not had
this period's yet. It holds their top 3 recommendations with the reason
(``batch_ranking.recommend_many``: the same items and reasons as the feed),
each with a deep link into the app (``<app>/?item=<id>``, which survives
sign-in), how their last posts did (tracked clicks; reactions, comments and
reshares when the network's figures were imported), the goal of a campaign
they can help with, and links to their preferences and to unsubscribe.

    >>> period_of(dt.date(2026, 12, 7)), weeks_between("2026-W50", "2027-W01")   # 2026 has 53 ISO weeks
    ('2026-W50', 4)

Sending, retries and the record of deliveries are in ``sending``; the words
and layouts in ``render``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..optouts import tokens
from ..reporting import goals
from ..retrieval.batch_ranking import recommend_many
from ..sharing.posting import posted
from ..storage.store import Store
from . import log, preferences, render

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

ITEMS = 3          # recommendations per digest
POSTS = 3          # last posts reported
PROFILE_PAGE = "profile"   # the app page holding the digest preferences (``?page=profile``)


def period_of(day: dt.date) -> str:
    """The ISO week of ``day``, e.g. ``2026-W50``: the period a digest is sent once for."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_start(period: str) -> dt.date:
    year, week = period.split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 1)


def weeks_between(earlier: str, later: str) -> int:
    return (period_start(later) - period_start(earlier)).days // 7


def item_link(base_url: str, content_id: str) -> str:
    """Deep link to an item in the app; the app keeps it through sign-in."""
    return f"{base_url}/?item={quote(content_id, safe='')}"


def preferences_link(base_url: str) -> str:
    return f"{base_url}/?page={PROFILE_PAGE}"


def language_of(person: dict) -> str:
    """The digest's language: the employee's first language when French or English, else English."""
    first = (person.get("languages") or ["en"])[0]
    return first if first in render.LANGUAGES else "en"


@dataclass
class Digest:
    email: str
    name: str
    first_name: str
    language: str
    channel: str
    period: str
    frequency: str
    subject: str
    items: list[dict]                 # {"id", "title", "reason", "link", "campaign", "kind", "language"}
    posts: list[dict]                 # {"title", "date", "stats", "clicks", ...}
    goal: dict | None
    links: dict                       # {"preferences", "unsubscribe"}
    test: bool = False
    bodies: dict = field(default_factory=dict)

    def view(self) -> dict:
        """What the templates see."""
        words = render.strings(self.language)
        mention = f"<at>{self.email}</at>" if self.channel == "teams" else ""
        return {**asdict(self), "mention": mention,
                "frequency_note": words["frequency_biweekly" if self.frequency == "biweekly" else "frequency_weekly"]}

    def body(self, kind: str) -> str:
        """``html`` (e-mail) or ``md`` (Slack, Teams), rendered once."""
        if kind not in self.bodies:
            self.bodies[kind] = render.render(self.view(), self.language, kind)
        return self.bodies[kind]

    def summary(self) -> dict:
        """What ``porte-voix digest send --json`` prints for this message."""
        return {"email": self.email, "language": self.language, "channel": self.channel, "subject": self.subject,
                "period": self.period,
                "items": [{k: i[k] for k in ("id", "title", "reason", "link")} for i in self.items]}


def due(ctx: Context, period: str, max_attempts: int | None = None) -> list[dict]:
    """Enrolled employees who get a digest this period: ``{"email", "name", "languages", "frequency", "channel"}``.

    A delivery of this period that failed is due again (a later run retries it) until ``max_attempts``.
    """
    store = ctx.store
    prefs = preferences.all_preferences(store)
    taken = log.taken(store, period, max_attempts)
    last = log.last_sent(store)
    out = []
    for person in store.rows("SELECT email, name, languages FROM employees WHERE consent_program ORDER BY email"):
        pref = prefs.get(person["email"], preferences.DEFAULT)
        if pref["frequency"] == "never" or person["email"] in taken:
            continue
        if pref["frequency"] == "biweekly" and person["email"] in last and weeks_between(last[person["email"]], period) < 2:
            continue
        out.append({**person, "frequency": pref["frequency"],
                    "channel": preferences.effective_channel(ctx.settings, pref["channel"])})
    return out


def last_posts(store: Store, emails: list[str], per_person: int = POSTS) -> dict[str, list[dict]]:
    """Each employee's latest posted shares with their tracked clicks and, when reported, the network's figures."""
    out: dict[str, list[dict]] = {e: [] for e in emails}
    rows = store.rows(
        f"""WITH recent AS (
               SELECT s.id, s.email, s.content_id, s.network, coalesce(s.posted_at, s.shared_at) AS at,
                      row_number() OVER (PARTITION BY s.email ORDER BY coalesce(s.posted_at, s.shared_at) DESC, s.id) AS n
               FROM shares s JOIN (SELECT unnest(?::TEXT[]) AS email) w USING (email)
               WHERE {posted('s')})
           SELECT r.email, r.id, coalesce(c.title, r.content_id) AS title, r.network, r.at,
                  coalesce(t.unique_human_clicks, 0) AS clicks, coalesce(t.reactions, 0) AS reactions,
                  coalesce(t.comments, 0) AS comments, coalesce(t.reshares, 0) AS reshares,
                  (k.share_id IS NOT NULL) AS reported
           FROM recent r LEFT JOIN content c ON c.id = r.content_id LEFT JOIN share_totals t ON t.share_id = r.id
           LEFT JOIN (SELECT DISTINCT share_id FROM engagement_events
                      WHERE kind IN ('reaction', 'comment', 'reshare', 'impression')) k ON k.share_id = r.id
           WHERE r.n <= ? ORDER BY r.email, r.n""", [emails, per_person])
    for row in rows:
        out[row["email"]].append(row)
    return out


def open_goals(store: Store, today: dt.date) -> list[dict]:
    """Campaign goals still open today, soonest due first."""
    return [{"campaign": g["campaign"], "metric": g["metric"], "due": g["due"], **g["progress"]}
            for g in goals.progress(store, today) if g["progress"]["status"] == "open"]


def pick_goal(open_: list[dict], items: list[dict]) -> dict | None:
    """The goal of the first recommended item's campaign that has one, else the soonest open goal."""
    for item in items:
        for goal in open_:
            if item.get("campaign") and goal["campaign"] == item["campaign"]:
                return goal
    return open_[0] if open_ else None


def build(ctx: Context, recipients: list[dict], period: str, test: bool = False, progress=None) -> list[Digest]:
    """The digests of ``recipients`` (rows of :func:`due`), ranked in one batch; bodies render on demand."""
    if not recipients:
        return []
    store, settings = ctx.store, ctx.settings
    emails = [r["email"] for r in recipients]
    ranked = recommend_many(ctx, emails, limit=ITEMS, progress=progress)
    posts = last_posts(store, emails)
    open_ = open_goals(store, ctx.today())
    base = settings.app_base_url
    digests = []
    for person in recipients:
        lang = language_of(person)
        items = [{**{k: r[k] for k in ("id", "title", "reason", "campaign", "kind", "language")},
                  "link": item_link(base, r["id"])} for r in ranked[person["email"]]]
        mine = [{**p, "date": render.short_date(p["at"], lang), "stats": render.post_stats(p, lang)}
                for p in posts[person["email"]]]
        goal = pick_goal(open_, items)
        if goal:
            goal = {**goal, "line": render.goal_line(goal, lang)}
        first_name = (person["name"] or person["email"]).split()[0]
        digests.append(Digest(
            email=person["email"], name=person["name"], first_name=first_name, language=lang, channel=person["channel"], period=period,
            frequency=person.get("frequency", "weekly"), subject=render.subject(first_name, len(items), lang),
            items=items, posts=mine, goal=goal, test=test,
            links={"preferences": preferences_link(base), "unsubscribe": tokens.link(settings, person["email"], lang)}))
    return digests
