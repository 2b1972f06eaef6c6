"""Load an evaluation set (the shared JSONL layout) into a throw-away product installation.

The set goes through the product's own importers, so what is measured is what
users get: ``people.jsonl`` becomes employees (everyone accepts interviews and
reads French and English, since relevance in these sets crosses languages),
``content.jsonl`` becomes library items. Oddities in the data are counted, not
fatal: people without posts, empty texts, duplicated ids, unknown languages.

The installation is a :class:`~assistant.context.Context` over the caller's
settings with its own home (a temporary folder, or ``--home`` to keep the
embeddings between runs) and a fixed clock (:data:`EVAL_TIME`: the sets carry no
dates, and a fixed day keeps runs identical).

    >>> ds = load("../shared/evaldata/sib200-recommend", load_settings())   # doctest: +SKIP
    >>> ds.stats["people"], ds.qrels_person["fr-entertainment-0"]["fr-847"]  # doctest: +SKIP
    (42, 1)
    >>> email_for("Ana Lima (INRIA)")
    'ana-lima-inria@eval.example'
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.context import Context, open_context
from assistant.imports.catalog import ingest, parse_item
from assistant.imports.importing import Rejected
from assistant.imports.people import apply_recorded_opt_ins, import_people
from assistant.imports.readers import Record
from assistant.storage.store import Store

EVAL_TIME = dt.datetime(2026, 1, 1, 12, 0)  # "now" for every eval run: items have no dates, runs stay identical


@dataclass
class Dataset:
    name: str
    folder: Path
    people: list[dict] = field(default_factory=list)
    content: list[dict] = field(default_factory=list)
    queries: list[dict] = field(default_factory=list)
    qrels_person: dict[str, dict[str, float]] = field(default_factory=dict)   # person -> content -> grade
    qrels_query: dict[str, dict[str, float]] = field(default_factory=dict)    # query -> person -> grade
    pairs: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    ctx: Context | None = None  # set by load(): the installation the set was imported into
    email_of: dict[str, str] = field(default_factory=dict)
    person_of: dict[str, str] = field(default_factory=dict)
    content_id_of: dict[str, str] = field(default_factory=dict)  # eval id -> stored id (duplicates map to the kept one)

    @property
    def store(self) -> Store:
        return self.ctx.store

    def with_embedder(self, name: str) -> Context:
        """The same installation (home, store, clock) seen through another embedder (a baseline system)."""
        return open_context(self.ctx.settings.but(embedder=name), clock=self.ctx.clock)


def read_jsonl(path: Path) -> tuple[list[dict], int]:
    """Records of a JSONL file (missing file: none) and the number of unreadable lines."""
    if not path.exists():
        return [], 0
    out, bad = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(record, dict):
            out.append(record)
        else:
            bad += 1
    return out, bad


def email_for(person_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(person_id).lower()).strip("-") or "x"
    return f"{slug}@eval.example"


def read(folder: str | Path) -> Dataset:
    """Parse the files of a set (no store yet)."""
    folder = Path(folder)
    ds = Dataset(folder.name, folder)
    bad = 0
    ds.people, b = read_jsonl(folder / "people.jsonl"); bad += b
    ds.content, b = read_jsonl(folder / "content.jsonl"); bad += b
    ds.queries, b = read_jsonl(folder / "queries.jsonl"); bad += b
    ds.pairs, b = read_jsonl(folder / "pairs.jsonl"); bad += b
    qrels, b = read_jsonl(folder / "qrels.jsonl"); bad += b
    for row in qrels:
        grade = float(row.get("grade", 1))
        if "query" in row:
            ds.qrels_query.setdefault(str(row["query"]), {})[str(row["person"])] = grade
        elif "person" in row and "content" in row:
            ds.qrels_person.setdefault(str(row["person"]), {})[str(row["content"])] = grade
    ids = [str(p.get("id")) for p in ds.people] + [str(c.get("id")) for c in ds.content]
    ds.stats = {
        "people": len(ds.people), "content": len(ds.content), "queries": len(ds.queries), "pairs": len(ds.pairs),
        "people_without_posts": sum(1 for p in ds.people if not [t for t in p.get("posts") or [] if str(t).strip()]),
        "empty_texts": sum(1 for c in ds.content if not str(c.get("text") or "").strip())
        + sum(1 for p in ds.people for t in p.get("posts") or [] if not str(t).strip()),
        "duplicate_ids": len(ids) - len(set(ids)),
        "unreadable_lines": bad,
    }
    return ds


def load(folder: str | Path, settings: Settings, home: str | Path | None = None) -> Dataset:
    """Parse the set and import it into a fresh installation: ``settings`` with a temporary home.

    With an explicit ``home`` (``--home``) the store is kept between runs and
    its embeddings are reused (they are keyed by model and text hash, so reuse
    is exact); the import itself is idempotent.
    """
    ds = read(folder)
    home = Path(home) if home else Path(tempfile.mkdtemp(prefix=f"porte-voix-eval-{ds.name}-"))
    ctx = open_context(settings.but(home=home.resolve()), clock=lambda: EVAL_TIME)
    store = ctx.store
    work = home / "import"
    work.mkdir(parents=True, exist_ok=True)
    people_rows, content_rows = [], []
    for person in ds.people:
        pid = str(person.get("id"))
        email = ds.email_of.setdefault(pid, email_for(pid))
        ds.person_of[email] = pid
        people_rows.append({
            "email": email, "name": pid, "languages": ["fr", "en"], "expertise": person.get("profile") or None,
            "posts": [str(t) for t in person.get("posts") or [] if str(t).strip()],
            "consent_program": True, "consent_interviews": True,
        })
    for item in ds.content:
        content_rows.append({"id": str(item.get("id")), "text": item.get("text") or "", "language": item.get("lang"),
                             "kind": "article"})
    _write(work / "people.jsonl", people_rows)
    _write(work / "content.jsonl", content_rows)
    reports = {}
    if people_rows:
        reports["people"] = import_people(store, [work / "people.jsonl"], max_file_mb=settings.max_file_mb).as_dict()
        apply_recorded_opt_ins(store, [work / "people.jsonl"])  # the set's people stand for opted-in employees
    if content_rows:
        reports["content"] = ingest(store, [work / "content.jsonl"], max_file_mb=settings.max_file_mb).as_dict()
    by_hash = {r["content_hash"]: r["id"] for r in store.rows("SELECT id, content_hash FROM content")}
    for row in content_rows:
        try:
            parsed = parse_item(Record(row, "eval"))
        except Rejected:
            continue  # empty text: counted in stats, cannot be recommended
        ds.content_id_of[row["id"]] = by_hash.get(parsed["content_hash"], row["id"])
    langs = store.rows("SELECT language_supported, count(*) n FROM content GROUP BY ALL")
    ds.stats["unsupported_language_items"] = sum(r["n"] for r in langs if not r["language_supported"])
    ds.stats["unsupported_language_posts"] = store.value(
        "SELECT count(*) FROM employee_posts WHERE NOT language_supported") or 0
    ds.stats["rejected"] = sum(r["rejected"] for r in reports.values())
    ds.stats["import"] = {k: {s: v[s] for s in ("added", "updated", "unchanged", "rejected")} for k, v in reports.items()}
    ds.ctx = ctx
    return ds


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def by_language(ds: Dataset) -> dict[str, list[str]]:
    """Person ids grouped by their declared language (for per-language metrics)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for person in ds.people:
        groups[str(person.get("lang") or "und")].append(str(person.get("id")))
    return dict(groups)
