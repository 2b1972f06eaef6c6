"""The demo installation: the content, people, policy and accounts under ``data/demo``.

The demo's policy (and its company's disclosure) belongs to the demo only: loading
the demo copies it into the home when that home has no policy yet; a real
installation starts with none and its admin is told so.

    >>> DEMO_DIR.name
    'demo'
"""

from __future__ import annotations

from pathlib import Path

from . import demo_accounts
from .catalog import ingest
from .context import Context
from .people import import_people

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"


def load(ctx: Context) -> dict:
    """Import the demo content and people, its policy (when none is set) and demo accounts and shares.

    Idempotent: a second call adds nothing. Returns the two import reports and the demo counts.
    """
    content = ingest(ctx.store, [DEMO_DIR / "content"], max_file_mb=ctx.settings.max_file_mb)
    persons = import_people(ctx.store, sorted(DEMO_DIR.glob("people.*")), max_file_mb=ctx.settings.max_file_mb)
    policy = ctx.settings.ensure().policy_path
    if not policy.exists():
        policy.write_text((DEMO_DIR / "policy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return {"content": content, "people": persons, "activity": demo_accounts.load_demo(ctx)}
