"""Imports never lose good rows: each known crasher, refusal and limit, next to good data that must survive."""

import json
import os
import time

import pytest
from tests.conftest import write

from assistant.imports import catalog, importing
from assistant.imports.catalog import LIMITS, get_item, ingest
from assistant.imports.files import scan
from assistant.imports.importing import StoreFailed
from assistant.imports.library import import_uploads
from assistant.imports.people import get_person, import_people
from assistant.imports.readers import BadFile, read_file

GOOD = {"title": "Parc solaire", "text": "Le parc produit 12 MWc depuis novembre 2026.", "language": "fr"}


def good(n: int, prefix: str = "good") -> list[dict]:
    return [dict(GOOD, id=f"{prefix}-{i}", text=f"{GOOD['text']} Lot {prefix} {i}.") for i in range(n)]


def jsonl(rows) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def stored_ids(store) -> set[str]:
    return {r["id"] for r in store.rows("SELECT id FROM content")}


@pytest.mark.parametrize("bad_line, reason", [
    ('{"id": "x", "title": "t", "text": "words here", "priority": "inf"}', "priority must be a whole number"),
    ('{"id": "x", "title": "t", "text": "words here", "priority": 1e300}', "priority must be"),
    ('{"id": "x", "title": "t", "text": "words here", "priority": ' + "9" * 40 + "}", "priority must be between"),
    ('{"id": "x", "title": "t", "text": "words here", "network": ' + "1" * 5000 + "}", "number too long"),
    ('{"a": ' * 1000 + "1" + "}" * 1000, "broken JSON: nested too deeply"),
    ('{"id": "x", "title": "t", "text": "words", "extra": ' + "[" * 100 + "]" * 100 + "}", "nested too deeply"),
    ('{"id": "x", "title": "t\\ud800", "text": "words here"}', "lone surrogate U+D800"),
    ('{"id": "x", "title": "t", "text": "words\\u0000here"}', "NUL character"),
    ('{"id": "x", "title": "t", "text": "words", "score": NaN}', "broken JSON: NaN is not a JSON number"),
    ('{"id": "x", "title": {"nested": 1}, "text": "words"}', "title must be a text"),
    ('{"id": "x", "title": "t", "text": "words", "url": "javascript:alert(1)"}', "url must be an http(s) address"),
    ('{"id": "x", "title": "t", "text": "words", "url": "data:text/html,<b>x</b>"}', "url must be an http(s)"),
    ('{"id": "x", "title": "t", "text": "words", "url": "mailto:a@b.example"}', "url must be an http(s)"),
    ('{"id": "x", "title": "t", "text": "words", "url": "//evil.example/a"}', "url must be an http(s)"),
    ('{"id": "x", "title": "t", "text": "words", "url": "http://[::1"}', "url must be an http(s)"),
    ('{"id": "' + "i" * 201 + '", "title": "t", "text": "words"}', "id too long"),
    ('{"id": "x", "title": "' + "t" * 501 + '", "text": "words"}', "title too long"),
    ('{"id": "x", "title": "t", "text": "words", "campaign": "' + "c" * 101 + '"}', "campaign too long"),
    ('{"id": "x", "title": "t", "text": "words", "blob": "' + "b" * 30000 + '"}', "unknown fields too large"),
    ('{"id": "x", "title": "two\\nlines", "text": "words"}', "title must be one line"),
])
def test_one_bad_json_line_costs_only_itself(store, tmp_path, bad_line, reason):
    rows = good(2, "a") + [bad_line] + good(2, "b")
    report = ingest(store, [write(tmp_path / "mixed.jsonl", jsonl(rows))])
    assert report.counts["added"] == 4 and report.counts["rejected"] == 1, report.problems
    assert reason in report.problems[0] and "mixed.jsonl:3" in report.problems[0]
    assert stored_ids(store) == {"a-0", "a-1", "b-0", "b-1"}
    assert report.exit_code == 1


def test_line_separators_inside_json_strings_do_not_split_a_line(store, tmp_path):
    row = dict(GOOD, id="sep", text="Une ligne\u2028puis une autre\x85et la fin du texte.")
    report = ingest(store, [write(tmp_path / "sep.jsonl", jsonl([row]).replace("\n", "\r"))])
    assert report.counts["added"] == 1 and "\u2028" in get_item(store, "sep")["text"]


def test_csv_with_cr_only_line_endings_and_a_stray_quote(store, tmp_path):
    text = ("id,title,text,language\r" + "".join(f"c{i},T{i},Texte numéro {i} du lot CR.,fr\r" for i in range(3))
            + 'bad,"unclosed,Texte,fr\r' + "c9,T9,Texte numéro 9 du lot CR.,fr\r")
    report = ingest(store, [write(tmp_path / "cr.csv", text)])
    assert stored_ids(store) == {"c0", "c1", "c2", "c9"}
    assert report.counts["rejected"] == 1 and "cr.csv:5-6: broken CSV" in report.problems[0]


def test_symlinks_and_special_files_are_refused(store, tmp_path):
    secret = write(tmp_path / "secret.md", "# Secret\n\nNot for import: the payroll of everyone.")
    folder = tmp_path / "in"
    write(folder / "ok.jsonl", jsonl(good(1)))
    os.symlink(secret, folder / "link.md")
    os.symlink(tmp_path, folder / "loop")  # a symlinked folder: never followed
    os.mkfifo(folder / "pipe.csv")
    (folder / "dir.csv").mkdir()  # a folder named like a file, inside a folder: scanned, holds nothing
    os.symlink(secret, tmp_path / "arg.md")
    (tmp_path / "empty.csv").mkdir()
    start = time.monotonic()
    report = ingest(store, [folder, tmp_path / "arg.md", tmp_path / "empty.csv", tmp_path / "missing.csv"])
    assert time.monotonic() - start < 10  # the FIFO is never opened for a blocking read
    text = "\n".join(report.problems)
    assert f"{folder / 'link.md'}: symbolic link, not followed" in text
    assert f"{folder / 'loop'}: symbolic link, not followed" in text
    assert f"{folder / 'pipe.csv'}: not a regular file" in text
    assert f"{tmp_path / 'arg.md'}: symbolic link, not followed" in text
    assert f"{tmp_path / 'empty.csv'}: folder has no importable file" in text
    assert f"{tmp_path / 'missing.csv'}: file not found" in text
    assert stored_ids(store) == {"good-0"}
    assert "payroll" not in json.dumps(store.rows("SELECT text FROM content"))


def test_a_file_replaced_by_a_symlink_after_the_scan_is_refused(tmp_path):
    target = write(tmp_path / "t.jsonl", jsonl(good(1)))
    link = tmp_path / "x.jsonl"
    os.symlink(target, link)
    with pytest.raises(BadFile, match="symbolic link"):
        read_file(link)
    assert scan([link]).files == []


def test_yaml_alias_bomb_is_rejected_quickly(store, tmp_path):
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)
    ) + "title: Bomb\n---\nBody text of the bomb file.\n"
    assert len(bomb) < 800
    write(tmp_path / "bomb.md", bomb)
    write(tmp_path / "ok.md", "---\ntitle: Fine\nid: fine\nlanguage: en\n---\nA fine body about wind turbines.\n")
    start = time.monotonic()
    report = ingest(store, [tmp_path])
    assert time.monotonic() - start < 5
    assert "broken front matter: found an alias" in report.problems[0]
    assert stored_ids(store) == {"fine"}


# Hang bounds only (5 s, the fuzz suite's): the times themselves are measured by `python -m evals import_speed`.

def test_forty_thousand_brackets_do_not_hang(tmp_path):
    for body in ("[" * 40_000, "![" * 20_000, "[a](" * 10_000, "*_" * 20_000):
        path = write(tmp_path / "b.md", "---\ntitle: Brackets\n---\n" + body)
        start = time.process_time()
        read = read_file(path)
        assert time.process_time() - start < 5, body[:4]
        assert read.records[0].fields["title"] == "Brackets"


def test_html_that_is_quadratic_for_html_parser_does_not_hang(tmp_path):
    for body in ("<a b=" * 20_000, "<!--" * 25_000, '<a href="' * 10_000, "<a" * 50_000):
        path = write(tmp_path / "h.html", "<html><body><p>Texte de la page.</p>" + body)
        start = time.process_time()
        read_file(path)
        assert time.process_time() - start < 5, body[:6]


def test_feed_refusals_keep_their_messages(store, tmp_path):
    laughs = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">' for i in range(9)) +
        ']><rss><channel><item><title>&j;</title><description>x</description></item></channel></rss>')
    xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           "<rss><channel><item><title>t</title><description>&x;</description></item></channel></rss>")
    write(tmp_path / "laughs.xml", laughs)
    write(tmp_path / "xxe.rss", xxe)
    write(tmp_path / "html.xml", "<html><body>not a feed</body></html>")
    write(tmp_path / "empty.atom", '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>')
    write(tmp_path / "prolog.xml", "<!--" + "\n<!ENTITY" * 2000 + "-->\n<rss><channel><item><title>t</title>"
          "<description>Texte.</description></item></channel></rss>")
    write(tmp_path / "hostile-item.rss", "<rss><channel>"
          "<item><title>Bad</title><link>javascript:alert(1)</link><description>Texte un.</description></item>"
          "<item><guid>ok-1</guid><title>Good</title><description>Le texte du bon élément.</description></item>"
          "<item><guid>d</guid><title>Date</title><description>Texte trois.</description>"
          "<pubDate>" + "Tue, " * 20000 + "</pubDate></item></channel></rss>")
    start = time.monotonic()
    report = ingest(store, [tmp_path])
    assert time.monotonic() - start < 20
    text = "\n".join(report.problems)
    assert "laughs.xml: broken XML" in text
    assert "xxe.rss" not in text or "passwd" not in json.dumps(store.rows("SELECT text FROM content"))
    assert "html.xml: XML root <html> is neither an RSS nor an Atom feed" in text
    assert "empty.atom: feed has no items" in text
    assert "prolog.xml: XML prolog too long" in text
    assert "hostile-item.rss#1: url must be an http(s) address" in text
    assert "hostile-item.rss#3: published_at must be a date" in text
    assert "ok-1" in stored_ids(store)
    assert "root:" not in json.dumps(store.rows("SELECT title, text FROM content"))


def test_duplicate_ids_in_one_import_are_reported(store, tmp_path):
    write(tmp_path / "a.jsonl", jsonl([dict(GOOD, id="dup")]))
    write(tmp_path / "b.csv", "id,title,text\ndup,Autre,Un autre texte pour le même identifiant.\n")
    report = ingest(store, [tmp_path / "a.jsonl", tmp_path / "b.csv"])
    assert report.counts["added"] == 1 and report.counts["rejected"] == 1
    assert "b.csv:2: duplicate id 'dup' in this import (first at" in report.problems[0]
    assert get_item(store, "dup")["title"] == "Parc solaire"


def test_priority_is_bounded_as_documented(store, tmp_path):
    rows = [dict(GOOD, id=f"p{p}", text=f"{GOOD['text']} Priorité {p}.", priority=p) for p in (0, 3, 4, -1, "2")]
    report = ingest(store, [write(tmp_path / "p.jsonl", jsonl(rows))])
    assert stored_ids(store) == {"p0", "p3", "p2"} and report.counts["rejected"] == 2
    assert get_item(store, "p2")["priority"] == 2


def test_a_batch_the_store_refuses_is_replayed_row_by_row(store, tmp_path, monkeypatch):
    real = catalog.write_items

    def picky(store, staged):  # the store refuses any batch holding "b-1"
        if any(s.item["id"] == "b-1" for s in staged):
            store.execute("SELECT CAST('not a number' AS INTEGER)")
        return real(store, staged)

    monkeypatch.setattr(catalog, "CONTENT", importing.Target("content", "id", catalog.parse_item, picky))
    report = ingest(store, [write(tmp_path / "x.jsonl", jsonl(good(3, "a") + good(3, "b")))])
    assert stored_ids(store) == {"a-0", "a-1", "a-2", "b-0", "b-2"}
    assert report.counts == {"added": 5, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "x.jsonl:5: could not be stored (ConversionException" in report.problems[0]
    assert store.value("SELECT count(*) FROM import_log WHERE status = 'added'") == 5


def test_a_failing_store_stops_the_import_with_what_was_done(store, tmp_path, monkeypatch):
    import duckdb

    calls = []

    def broken(store, staged):
        calls.append(len(staged))
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(catalog, "CONTENT", importing.Target("content", "id", catalog.parse_item, broken))
    with pytest.raises(StoreFailed, match="disk full") as failed:
        ingest(store, [write(tmp_path / "x.jsonl", jsonl(good(3)))])
    assert calls == [3] and failed.value.report.counts["added"] == 0


def test_unreadable_names_and_messages_stay_one_printable_line(store, tmp_path):
    name = os.fsencode(str(tmp_path)) + b"/bad\xffname\nx.csv"
    with open(name, "wb") as out:
        out.write(b"id,title,text\n")
    report = ingest(store, [os.fsdecode(name)])
    assert report.counts["rejected"] == 1 and "\n" not in report.problems[0]
    report.problems[0].encode("utf-8")  # printable and storable
    assert store.value("SELECT count(*) FROM import_log WHERE status = 'rejected'") == 1


def test_uploads_with_the_same_name_or_odd_names_are_all_imported(store):
    files = [("items.jsonl", jsonl(good(1, "one")).encode()), ("items.jsonl", jsonl(good(1, "two")).encode()),
             ("..", jsonl(good(1, "three")).encode()), ("../../x.jsonl", jsonl(good(1, "four")).encode())]
    report = import_uploads(store, "content", files)
    assert stored_ids(store) == {"one-0", "two-0", "four-0"}
    assert report.problems == ["upload: unsupported file type (none); use one of " +
                               ", ".join(sorted([".md", ".markdown", ".html", ".htm", ".xml", ".rss", ".atom",
                                                 ".csv", ".jsonl", ".json"]))]


def test_people_limits_and_crashers(store, tmp_path):
    rows = [{"email": "a@example.com", "name": "A", "network_size": "inf"},
            {"email": "b@example.com", "name": "B\ud800"},
            {"email": "c@example.com", "name": "C", "posts": {"not": "a list"}},
            {"email": "d@example.com", "name": "D", "skills": [["nested"]]},
            {"email": "e@example.com" + "x" * 300, "name": "E"},
            {"email": "ok@example.com", "name": "Ok", "posts": [{"text": "Mon premier post sur l'éolien."}]}]
    text = "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in rows)
    report = import_people(store, [write(tmp_path / "p.jsonl", text)])
    assert report.counts["added"] == 1 and report.counts["rejected"] == 5, report.problems
    assert get_person(store, "ok@example.com") is not None


def test_text_limit_is_exact(store, tmp_path):
    rows = [dict(GOOD, id="max", text="a" * LIMITS["text"]), dict(GOOD, id="over", text="b" * (LIMITS["text"] + 1))]
    report = ingest(store, [write(tmp_path / "t.jsonl", jsonl(rows))])
    assert stored_ids(store) == {"max"} and "text too long (100001 characters > 100000)" in report.problems[0]
