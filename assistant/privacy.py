"""One person's data: export it all as JSON, or erase it from every table.

Participation is voluntary, so leaving must be complete and one click away.
``export_person`` gathers every row that names the person; ``erase_person``
deletes them. Erasure deletes, it does not anonymise: a share's text is the
person's own words and its tracked link carries their share id, so an
"anonymised" share would still identify them. Campaign aggregates therefore
shrink when someone leaves; that is the honest number.

Tables touched (keep in sync with store.py when a table holding personal data is added):

| table | rows | export | erase |
|---|---|---|---|
| employees | the person | yes | delete |
| employee_posts | their past posts | yes | delete |
| drafts | drafts made for them | yes | delete |
| shares | their shares | yes | delete |
| engagement_events | events on their shares | yes | delete |
| accounts | accounts with their email | yes, without the password hash | delete |
| import_log | lines whose item is their email | yes | delete |
| embeddings | vectors of their profile texts and posts (derived data) | no (numbers) | delete |

    >>> data = export_person(store, "camille.durand@nordlys-energie.example")
    >>> sorted(data["tables"])
    ['accounts', 'drafts', 'employee_posts', 'employees', 'engagement_events', 'import_log', 'shares']
    >>> erase_person(store, "camille.durand@nordlys-energie.example")["employees"]   # nobody by that email here
    0
"""

from __future__ import annotations

import datetime as dt
import json

from . import people
from .embeddings import text_hash
from .store import Store

PERSONAL_TABLES = ("employees", "employee_posts", "drafts", "shares", "engagement_events", "accounts", "import_log")

_SELECT = {
    "employees": "SELECT * FROM employees WHERE email = ?",
    "employee_posts": "SELECT * FROM employee_posts WHERE email = ? ORDER BY created_at, id",
    "drafts": "SELECT * FROM drafts WHERE email = ? ORDER BY created_at, id",
    "shares": "SELECT * FROM shares WHERE email = ? ORDER BY shared_at, id",
    "engagement_events": """SELECT * FROM engagement_events
                            WHERE share_id IN (SELECT id FROM shares WHERE email = ?) ORDER BY id""",
    "accounts": "SELECT username, email, roles, created_at FROM accounts WHERE email = ? ORDER BY username",
    "import_log": "SELECT * FROM import_log WHERE lower(item) = ? ORDER BY id",
}

_DELETE = (  # children first
    ("engagement_events", "DELETE FROM engagement_events WHERE share_id IN (SELECT id FROM shares WHERE email = ?)"),
    ("shares", "DELETE FROM shares WHERE email = ?"),
    ("drafts", "DELETE FROM drafts WHERE email = ?"),
    ("employee_posts", "DELETE FROM employee_posts WHERE email = ?"),
    ("accounts", "DELETE FROM accounts WHERE email = ?"),
    ("import_log", "DELETE FROM import_log WHERE lower(item) = ?"),
    ("employees", "DELETE FROM employees WHERE email = ?"),
)


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def export_person(store: Store, email: str) -> dict:
    """Every row naming ``email``: ``{"email", "exported_at", "tables": {table: [row, ...]}}``."""
    email = email.strip().lower()
    tables = {name: [{k: _jsonable(v) for k, v in row.items()} for row in store.rows(sql, [email])]
              for name, sql in _SELECT.items()}
    return {"email": email, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tables": tables}


def export_json(store: Store, email: str) -> str:
    return json.dumps(export_person(store, email), ensure_ascii=False, indent=2, default=str)


def _profile_hashes(store: Store, email: str) -> list[str]:
    """Hashes of the texts embedded for this person (see people.profile_texts), excluding shared ones."""
    person = people.get_person(store, email)
    if person is None:
        return []
    mine = {text_hash(t) for _, t in people.profile_texts(person, people.posts_of(store, email))}
    if not mine:
        return []
    others = set()
    for other in store.rows("SELECT * FROM employees WHERE email <> ?", [email]):
        others |= {text_hash(t) for _, t in people.profile_texts(other, people.posts_of(store, other["email"]))}
    return sorted(mine - others)


def erase_person(store: Store, email: str) -> dict[str, int]:
    """Delete every row naming ``email`` (one transaction); returns rows deleted per table."""
    email = email.strip().lower()
    hashes = _profile_hashes(store, email)
    counts: dict[str, int] = {}
    with store.transaction():
        for table, sql in _DELETE:
            counts[table] = store.value(f"SELECT count(*) FROM ({_SELECT[table]})", [email])
            store.execute(sql, [email])
        counts["embeddings"] = store.value("SELECT count(*) FROM embeddings WHERE list_contains(?, text_hash)", [hashes]) if hashes else 0
        if hashes:
            store.execute("DELETE FROM embeddings WHERE list_contains(?, text_hash)", [hashes])
    return counts


def remaining(store: Store, email: str) -> dict[str, int]:
    """Rows still naming ``email`` per table (all zero after ``erase_person``)."""
    email = email.strip().lower()
    return {name: store.value(f"SELECT count(*) FROM ({sql})", [email]) for name, sql in _SELECT.items()}
