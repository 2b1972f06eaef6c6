"""What one signed-in employee may read and change: their own profile, posts, drafts and shares.

Every function takes the signed-in ``Account`` and the email it acts on, and
checks ownership first (``accounts.require_self``), so a page can never show
or change another employee's data by passing a different email. This is the
server-side half of "an employee sees only their own drafts"; the pages
simply never offer anyone else's.

    >>> account = Account("sam@example.com", "sam@example.com", ("employee",))
    >>> drafts_of(store, account, "someone.else@example.com")
    Traceback (most recent call last):
    ...
    assistant.access.accounts.Forbidden: sam@example.com may only read or change their own data
"""

from __future__ import annotations

import json

from .. import language
from ..access.accounts import Account, require_self
from ..imports import people
from ..reporting.metrics import share_metrics
from ..storage.store import Store
from ..words.worded import Worded

GENDERS = (None, "f", "m")
_PROFILE_FIELDS = ("expertise", "skills", "languages", "gender_fr", "network_size")


def profile(store: Store, account: Account, email: str) -> dict | None:
    return people.get_person(store, require_self(account, email))


def update_profile(store: Store, account: Account, email: str, **fields) -> None:
    """Change ``expertise``, ``skills`` (list), ``languages`` (fr/en list), ``gender_fr`` (f, m, None), ``network_size``."""
    email = require_self(account, email)
    unknown = set(fields) - set(_PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))} here")
    if "languages" in fields:
        langs = [language.normalise(x) for x in fields["languages"]]
        fields["languages"] = [x for x in dict.fromkeys(langs) if x in language.SUPPORTED]
        if not fields["languages"]:
            raise Worded("errors.choose_language")
    if "skills" in fields:
        fields["skills"] = [s.strip() for s in fields["skills"] if s and s.strip()]
    if "gender_fr" in fields and fields["gender_fr"] not in GENDERS:
        raise Worded("errors.gender")
    if "expertise" in fields:
        fields["expertise"] = (fields["expertise"] or "").strip() or None
    if "network_size" in fields and fields["network_size"] is not None and int(fields["network_size"]) < 0:
        raise Worded("errors.network_size")
    people.update_fields(store, email, fields)


def set_consent(store: Store, account: Account, email: str, **flags: bool) -> None:
    people.set_consent(store, require_self(account, email), **flags)


def posts(store: Store, account: Account, email: str) -> list[dict]:
    return people.posts_of(store, require_self(account, email))


def add_posts(store: Store, account: Account, email: str, texts) -> int:
    return people.add_posts(store, require_self(account, email), texts)


def remove_post(store: Store, account: Account, email: str, post_id: str) -> bool:
    email = require_self(account, email)
    found = store.value("SELECT 1 FROM employee_posts WHERE id = ? AND email = ?", [post_id, email])
    store.execute("DELETE FROM employee_posts WHERE id = ? AND email = ?", [post_id, email])
    return bool(found)


def split_posts(text: str) -> list[str]:
    """Posts from a pasted or uploaded text: JSON lines / a JSON list, else blocks separated by blank lines
    or lines of ``---``."""
    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            data = json.loads(text)
            return [str(p.get("text") if isinstance(p, dict) else p).strip() for p in data if p]
        except ValueError:
            pass
    if text.startswith("{"):
        out = []
        for line in text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            out.append(str(item.get("text") if isinstance(item, dict) else item).strip())
        if out:
            return [p for p in out if p]
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip() in ("", "---"):
            if current:
                blocks.append("\n".join(current).strip())
                current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current).strip())
    return [b for b in blocks if b]


def drafts_of(store: Store, account: Account, email: str, content_id: str | None = None) -> list[dict]:
    """The employee's drafts (latest request first), optionally for one item."""
    email = require_self(account, email)
    if content_id is None:
        return store.rows("SELECT * FROM drafts WHERE email = ? ORDER BY created_at DESC, variant", [email])
    return store.rows("SELECT * FROM drafts WHERE email = ? AND content_id = ? ORDER BY created_at DESC, variant",
                      [email, content_id])


def latest_drafts(store: Store, account: Account, email: str, content_id: str) -> list[dict]:
    """The variants of the most recent drafting request for one item (empty when none)."""
    rows = drafts_of(store, account, email, content_id)
    if not rows:
        return []
    request = rows[0]["request_id"]
    latest = sorted((r for r in rows if r["request_id"] == request), key=lambda r: r["variant"])
    for row in latest:  # the sentences to verify, as the drafting step found them (see proofreading.to_check)
        row["to_check"] = _to_check(row.get("checks"))
    return latest


def _to_check(checks) -> list[str]:
    try:
        found = (json.loads(checks) if isinstance(checks, str) else checks or {}).get("to_check") or []
    except (ValueError, AttributeError):
        return []
    return [s for s in found if isinstance(s, str)]


def shares(store: Store, account: Account, email: str) -> list[dict]:
    return share_metrics(store, require_self(account, email))
