"""The demo installation: the content, people, policy and accounts under ``data/demo``.

The demo's accounts share one public password, so the demo is loaded only into
a home that holds nothing but demo data: a fresh home (``make run`` on a fresh
clone) or one the demo filled before. A home with people or accounts of its
own (any employee outside the demo's ``nordlys-energie.example`` domain, any
account that is not a demo account) is refused with :class:`NotADemoHome`
before anything is written.

Imports never set consent; the demo's fictional employees opted in as part of
its story, so the first load applies the choices recorded in its people files
(``people.apply_recorded_opt_ins``); later loads leave them as the demo users set them.

The demo's policy (and its company's disclosure) belongs to the demo only:
loading the demo copies it into the home when that home has no policy yet; a
real installation starts with none and its admin is told so.

    >>> DEMO_DIR.name
    'demo'
    >>> foreign_data(store)
    {'people': 0, 'accounts': 0}
"""

from __future__ import annotations

from pathlib import Path

from . import demo_accounts
from .context import Context
from .imports.catalog import ingest
from .imports.people import apply_recorded_opt_ins, import_people
from .storage import audit, erased
from .storage.store import Store

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"


class NotADemoHome(ValueError):
    """The home holds real people or accounts: loading the demo (public password) there is refused."""


def foreign_data(store: Store) -> dict[str, int]:
    """How many people and accounts of this store are not demo data."""
    demo_users = [username for username, _ in demo_accounts.DEMO_ACCOUNTS]
    suffix = "@" + demo_accounts.DOMAIN
    return {
        "people": store.value("SELECT count(*) FROM employees WHERE NOT ends_with(lower(email), ?)", [suffix]),
        "accounts": store.value("SELECT count(*) FROM accounts WHERE NOT list_contains(?::VARCHAR[], username)",
                                [demo_users]),
    }


def is_demo_home(store: Store) -> bool:
    """True when the store holds only demo people and accounts (or nothing)."""
    return not any(foreign_data(store).values())


def _expect_erased(report) -> None:
    """Demo people who erased themselves stay erased: a note in the report, not a rejection
    (``make run`` reloads the demo each time and must not fail for it)."""
    gone = [p for p in report.problems if erased.REJECTION in p]
    if gone:
        report.problems = [p for p in report.problems if erased.REJECTION not in p]
        report.counts["rejected"] -= len(gone)
        report.notes.append(f"{len(gone)} demo people erased at their request were not imported again "
                            "(porte-voix people readmit EMAIL brings one back)")


def load(ctx: Context, actor: str | None = None) -> dict:
    """Import the demo content and people, its policy (when none is set) and demo accounts and shares.

    Idempotent: a second call adds nothing. Returns the two import reports and the demo counts.
    Raises ``NotADemoHome`` when the home holds people or accounts that are not the demo's.
    """
    found = foreign_data(ctx.store)
    if any(found.values()):
        raise NotADemoHome(
            f"{ctx.settings.home} holds {found['people']} people and {found['accounts']} accounts that are not demo "
            "data; the demo (whose accounts share a public password) is only loaded into an empty home or a demo "
            "home: set PORTE_VOIX_HOME to another folder")
    mb = ctx.settings.max_file_mb
    content = ingest(ctx.store, [DEMO_DIR / "content"], max_file_mb=mb)
    people_files = sorted(DEMO_DIR.glob("people.*"))
    persons = import_people(ctx.store, people_files, max_file_mb=mb)
    if persons.counts["added"]:  # first load: the demo's fictional employees opted in as part of the story
        apply_recorded_opt_ins(ctx.store, people_files, max_file_mb=mb)
    _expect_erased(persons)
    policy = ctx.settings.ensure().policy_path
    if not policy.exists():
        policy.write_text((DEMO_DIR / "policy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    activity = demo_accounts.load_demo(ctx)
    if activity.get("accounts") or content.counts["added"] or persons.counts["added"]:
        audit.record(ctx.store, actor or "demo", "demo.load", str(ctx.settings.home),
                     {"accounts": activity.get("accounts", 0), "content_added": content.counts["added"],
                      "people_added": persons.counts["added"]}, now=ctx.now())
    return {"content": content, "people": persons, "activity": activity}
