"""Employees: import, profile, past posts, consent.

The email (lower-cased) is the key. Re-importing the same person changes
nothing; a changed profile is updated. Past posts are added, never removed by
an import (a post is keyed by its author and normalised text), so posts the
employee added in the app survive. Consent belongs to the employee: an
import sets the flags of a new person (default: not enrolled), and never
overrides what an existing person chose.

    >>> report = import_people(store, ["data/demo/people.jsonl"])
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Callable, Iterable

from . import language
from .fields import as_bool, as_int, as_list, digest, extra_json, normalise_text
from .importing import ImportReport, Rejected, run_import
from .readers import Record
from .store import Store

CONSENTS = ("consent_program", "consent_leaderboard", "consent_interviews")
KNOWN_FIELDS = {"email", "name", "role", "team", "languages", "expertise", "skills", "posts", "network_size",
                "gender_fr", *CONSENTS}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GENDER = {"f": "f", "femme": "f", "female": "f", "m": "m", "homme": "m", "male": "m", "": None}


def normalise_email(value) -> str:
    email = str(value or "").strip().lower()
    if not _EMAIL.match(email):
        raise Rejected(f"invalid or missing email {value!r}" if value else "missing email")
    return email


def parse_person(record: Record) -> dict:
    f = record.fields
    email = normalise_email(f.get("email"))
    name = str(f.get("name") or "").strip()
    if not name:
        raise Rejected(f"{email}: missing name")
    gender = _GENDER.get(str(f.get("gender_fr") or "").strip().lower(), "?")
    if gender == "?":
        raise Rejected(f"{email}: gender_fr must be f, m or empty, got {f.get('gender_fr')!r}")
    posts = f.get("posts") or []
    if isinstance(posts, str):
        posts = [posts]
    if not isinstance(posts, list):
        raise Rejected(f"{email}: posts must be a list of texts")
    texts = [str(p.get("text") if isinstance(p, dict) else p).strip() for p in posts]
    languages = [language.normalise(x) for x in as_list(f.get("languages"), "languages")]
    person = {
        "email": email,
        "name": name,
        "role": str(f.get("role") or "").strip() or None,
        "team": str(f.get("team") or "").strip() or None,
        "languages": [x for x in dict.fromkeys(languages) if x],
        "expertise": str(f.get("expertise") or "").strip() or None,
        "skills": as_list(f.get("skills"), "skills"),
        "network_size": as_int(f.get("network_size"), "network_size"),
        "gender_fr": gender,
        "extra": extra_json(f, KNOWN_FIELDS),
        "posts": [t for t in texts if t and t != "None"],
    }
    if not person["languages"]:
        detected = {language.detect(t) for t in person["posts"] + [person["expertise"] or ""]}
        person["languages"] = [x for x in language.SUPPORTED if x in detected] or list(language.SUPPORTED)
    person["consents"] = {c: as_bool(f.get(c), c, default=False) for c in CONSENTS}
    person["record_hash"] = digest(*(person[k] for k in sorted(person) if k not in ("posts", "consents")))
    return person


_COLUMNS = ("name", "role", "team", "languages", "expertise", "skills", "network_size", "gender_fr", "extra",
            "record_hash")


def post_id(email: str, text: str) -> str:
    return hashlib.sha256(f"{email}\n{normalise_text(text)}".encode()).hexdigest()[:24]


def add_posts(store: Store, email: str, texts: Iterable[str], content_id: str | None = None) -> int:
    """Add past posts not already stored for ``email``; return how many were new."""
    added = 0
    for text in texts:
        text = text.strip()
        if not text:
            continue
        pid = post_id(email, text)
        if store.value("SELECT 1 FROM employee_posts WHERE id = ?", [pid]):
            continue
        lang = language.detect(text)
        store.execute(
            "INSERT INTO employee_posts (id, email, text, language, language_supported, content_id) VALUES (?, ?, ?, ?, ?, ?)",
            [pid, email, text, lang, language.is_supported(lang), content_id],
        )
        added += 1
    return added


def upsert_person(store: Store, record: Record) -> tuple[str, str]:
    person = parse_person(record)
    email = person["email"]
    current = store.rows("SELECT record_hash FROM employees WHERE email = ?", [email])
    if current:
        changed = current[0]["record_hash"] != person["record_hash"]
        if changed:
            sets = ", ".join(f"{c} = ?" for c in _COLUMNS)
            store.execute(f"UPDATE employees SET {sets}, source = ?, updated_at = current_timestamp WHERE email = ?",
                          [person[c] for c in _COLUMNS] + [record.where, email])
        new_posts = add_posts(store, email, person["posts"])
        return ("updated" if changed or new_posts else "unchanged"), email
    columns = ("email",) + _COLUMNS + CONSENTS + ("source",)
    values = [email] + [person[c] for c in _COLUMNS] + [person["consents"][c] for c in CONSENTS] + [record.where]
    store.execute(f"INSERT INTO employees ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", values)
    add_posts(store, email, person["posts"])
    return "added", email


def import_people(store: Store, paths: Iterable[str | Path], on_file: Callable[[Path], None] | None = None) -> ImportReport:
    return run_import(store, "people", paths, upsert_person, on_file)


def get_person(store: Store, email: str) -> dict | None:
    rows = store.rows("SELECT * FROM employees WHERE email = ?", [email.strip().lower()])
    return rows[0] if rows else None


def posts_of(store: Store, email: str) -> list[dict]:
    return store.rows("SELECT * FROM employee_posts WHERE email = ? ORDER BY created_at, id", [email])


def update_fields(store: Store, email: str, fields: dict) -> None:
    """Write validated employee columns; names come from the callers' allow-lists, values go as parameters."""
    if not fields:
        return
    sets = ", ".join(f"{name} = ?" for name in fields)
    store.execute(f"UPDATE employees SET {sets}, updated_at = current_timestamp WHERE email = ?",
                  list(fields.values()) + [email])


def set_consent(store: Store, email: str, **flags: bool) -> None:
    """Change consent flags (the employee's own choice)."""
    unknown = set(flags) - set(CONSENTS)
    if unknown:
        raise ValueError(f"unknown consent flags: {', '.join(sorted(unknown))}")
    for name, value in flags.items():
        store.execute(f"UPDATE employees SET {name} = ?, updated_at = current_timestamp WHERE email = ?",
                      [bool(value), email])


def profile_texts(person: dict, posts: list[dict]) -> list[tuple[str, str]]:
    """What represents a person for matching, as ``(label, text)`` pairs.

    The expertise statement and skills say what they know; past posts say what
    they talk about. Labels feed the human-readable reasons.
    """
    out: list[tuple[str, str]] = []
    if person.get("expertise"):
        out.append(("expertise", person["expertise"]))
    if person.get("skills"):
        out.append(("skills", ", ".join(person["skills"])))
    for post in posts:
        if post["text"].strip():
            out.append(("post", post["text"]))
    return out
