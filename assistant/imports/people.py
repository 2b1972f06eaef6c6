"""Employees: import, profile, past posts, consent.

The email (lower-cased) is the key. Re-importing the same person changes
nothing; a changed profile is updated. Past posts are added, never removed by
an import (a post is keyed by its author and normalised text), so posts the
employee added in the app survive. Consent belongs to the employee: an import
never sets it. A new person starts with every consent false whatever the file
says (the report notes the ignored columns), and an existing person's choices
are never touched; only ``set_consent`` (the employee's own action) changes
them. Every field has a size limit (``LIMITS``).

    >>> report = import_people(store, ["data/demo/people.jsonl"])    # doctest: +SKIP
    >>> normalise_email(" Alice.Martin@Example.com ")
    'alice.martin@example.com'
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Callable, Iterable

from .. import language
from ..storage import erased
from ..storage.store import Store
from .fields import Rejected, check_value, as_bool, as_int, as_list, as_text, digest, extra_json, normalise_text, shown
from .files import scan
from .importing import ImportReport, Staged, Target, run_import, staged_table, write_staged
from .readers import BadFile, Record, read_file

CONSENTS = ("consent_program", "consent_leaderboard", "consent_interviews")
KNOWN_FIELDS = {"email", "name", "role", "team", "languages", "expertise", "skills", "posts", "network_size",
                "gender_fr", *CONSENTS}
# Largest accepted value of each field, in characters (README "Import formats"); lists also have a length limit.
LIMITS = {"email": 254, "name": 200, "role": 200, "team": 200, "expertise": 5_000, "skill": 200, "language": 35,
          "post": 10_000, "gender_fr": 10}
MAX_SKILLS, MAX_LANGUAGES, MAX_POSTS = 100, 20, 1_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROW_START = re.compile(r"^\s*\"?[^@\s,;\t\"]+@[^@\s,;\t\"]+\.[^@\s,;\t\"]+\"?\s*[,;\t]", re.M)
_GENDER = {"f": "f", "femme": "f", "female": "f", "m": "m", "homme": "m", "male": "m", "": None}


def normalise_email(value) -> str:
    email = (as_text(value, "email", LIMITS["email"]) or "").lower()
    if not _EMAIL.match(email):
        raise Rejected("errors.invalid_email", value=shown(value)) if value else Rejected("errors.missing_email")
    return email


def _swallowed(record: Record, email: str, name: str, value: str | None) -> None:
    """A CSV field over several lines that holds what looks like the next person's row: an unclosed quote."""
    if record.format == "csv" and value and "\n" in value and _ROW_START.search(value.split("\n", 1)[1]):
        raise Rejected("errors.swallowed", email=email, name=name)


def parse_person(record: Record) -> dict:
    f = record.fields
    invalid = check_value(f)
    if invalid:
        raise invalid
    email = normalise_email(f.get("email"))
    name = as_text(f.get("name"), "name", LIMITS["name"])
    if not name:
        raise Rejected("errors.missing_name", email=email)
    gender = _GENDER.get(str(f.get("gender_fr") or "").strip().lower()[: LIMITS["gender_fr"]], "?")
    if gender == "?":
        raise Rejected("errors.bad_gender", email=email, value=shown(f.get("gender_fr")))
    posts = f.get("posts") or []
    if isinstance(posts, str):
        posts = [posts]
    if not isinstance(posts, list):
        raise Rejected("errors.posts_list", email=email)
    if len(posts) > MAX_POSTS:
        raise Rejected("errors.too_many_posts", email=email, n=len(posts), limit=MAX_POSTS)
    texts = [as_text(p.get("text") if isinstance(p, dict) else p, "post", LIMITS["post"], one_line=False)
             for p in posts]
    expertise = as_text(f.get("expertise"), "expertise", LIMITS["expertise"], one_line=False)
    for label, value in [("expertise", expertise)] + [("posts", t) for t in texts]:
        _swallowed(record, email, label, value)
    codes = as_list(f.get("languages"), "languages", item_limit=LIMITS["language"], max_items=MAX_LANGUAGES)
    languages = [language.normalise(x) for x in codes]
    person = {
        "email": email,
        "name": name,
        "role": as_text(f.get("role"), "role", LIMITS["role"]),
        "team": as_text(f.get("team"), "team", LIMITS["team"]),
        "languages": [x for x in dict.fromkeys(languages) if x],
        "expertise": expertise,
        "skills": as_list(f.get("skills"), "skills", item_limit=LIMITS["skill"], max_items=MAX_SKILLS),
        "network_size": as_int(f.get("network_size"), "network_size"),
        "gender_fr": gender,
        "extra": extra_json(f, KNOWN_FIELDS),
        "posts": [t for t in texts if t and t != "None"],
    }
    if not person["languages"]:
        detected = {language.detect(t) for t in person["posts"] + [person["expertise"] or ""]}
        person["languages"] = [x for x in language.SUPPORTED if x in detected] or list(language.SUPPORTED)
    person["record_hash"] = digest(*(person[k] for k in sorted(person) if k != "posts"))
    return person


def ignored_consent(record: Record) -> str | None:
    """The note for a file that carries consent columns: they are read by no import."""
    named = [c for c in CONSENTS if c in record.fields]
    if named:
        return (f"{', '.join(named)} ignored: consent is given by each employee in the app, never by an import "
                "(new people start with every consent off)")
    return None


_COLUMNS = ("name", "role", "team", "languages", "expertise", "skills", "network_size", "gender_fr", "extra",
            "record_hash")
_TYPES = {"languages": "VARCHAR[]", "skills": "VARCHAR[]", "network_size": "INTEGER", "extra": "JSON"}


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


def write_people(store: Store, staged: list[Staged]) -> list[tuple[str, str]]:
    """Store a batch of parsed people (emails unique within it) and their new posts; ``(status, email)`` each.

    Consent columns are never written: a new row takes the store's default (false).
    """
    wanted = {post_id(s.item["email"], t): (s.item["email"], t) for s in staged for t in s.item["posts"]}
    with staged_table(store, {"email": ("VARCHAR", [s.item["email"] for s in staged])}) as incoming:
        current = dict(store.execute(f"SELECT e.email, e.record_hash FROM employees e JOIN {incoming} i USING (email)")
                       .fetchall())
    with staged_table(store, {"id": ("VARCHAR", list(wanted))}) as incoming:
        stored = {row[0] for row in store.execute(f"SELECT p.id FROM employee_posts p JOIN {incoming} i USING (id)")
                  .fetchall()}
    new_posts = {pid: value for pid, value in wanted.items() if pid not in stored}
    posting = {email for email, _ in new_posts.values()}
    outcomes, inserts, updates = [], [], []
    for s in staged:
        email = s.item["email"]
        if email in current:
            changed = current[email] != s.item["record_hash"]
            if changed:
                updates.append(s)
            outcomes.append(("updated" if changed or email in posting else "unchanged", email))
        else:
            inserts.append(s)
            outcomes.append(("added", email))
    if erased.which(store, [s.item["email"] for s in inserts]):  # the batch is replayed row by row: only they fail
        raise Rejected("errors.erased")
    write_staged(store, "employees", "email", _COLUMNS, _TYPES, inserts, updates)
    if new_posts:
        langs = [language.detect(text) for _, text in new_posts.values()]
        posts = {"id": ("VARCHAR", list(new_posts)), "email": ("VARCHAR", [e for e, _ in new_posts.values()]),
                 "text": ("VARCHAR", [t for _, t in new_posts.values()]), "language": ("VARCHAR", langs),
                 "language_supported": ("BOOLEAN", [language.is_supported(x) for x in langs])}
        with staged_table(store, posts) as incoming:
            store.execute(f"INSERT INTO employee_posts (id, email, text, language, language_supported) "
                          f"SELECT id, email, text, language, language_supported FROM {incoming}")
    return outcomes


PEOPLE = Target("people", "email", parse_person, write_people, note=ignored_consent)


def apply_recorded_opt_ins(store: Store, paths: Iterable[str | Path], *, max_file_mb: float = 50.0) -> int:
    """Apply consent choices that employees made elsewhere, as recorded in people files; returns people changed.

    Not an import: HR imports never call it. It exists for the demo (its fictional employees have
    opted in as part of the story) and for moving opt-ins an employee gave in a previous advocacy
    tool. Only people already stored are touched, only the consent columns the file names, and
    values that are not clearly true or false are skipped.
    """
    changed = 0
    for path in scan(list(paths)).files:
        try:
            records = read_file(path, max_file_mb).records
        except BadFile:
            continue
        for record in records:
            try:
                email = normalise_email(record.fields.get("email"))
                flags = {c: as_bool(record.fields[c], c) for c in CONSENTS if c in record.fields}
            except Rejected:
                continue
            if flags and store.value("SELECT 1 FROM employees WHERE email = ?", [email]):
                set_consent(store, email, **flags)
                changed += 1
    return changed


def import_people(store: Store, paths: Iterable[str | Path], *, max_file_mb: float = 50.0,
                  on_file: Callable[[Path], None] | None = None) -> ImportReport:
    """Import employee files or folders; see the module docstring for the rules."""
    return run_import(store, PEOPLE, paths, max_file_mb=max_file_mb, on_file=on_file)


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
