import json

from tests.conftest import DEMO, write

from assistant.imports.catalog import active_items, get_item, ingest

MD = """---
title: Notre parc solaire de la Drôme
url: https://example.test/solaire
kind: news
campaign: green-week
priority: 2
published_at: 2026-11-01
expires_at: 2026-12-31
owner: comms
---
Le parc produit 12 MWc depuis le 3 novembre 2026, soit la consommation de 4 000 foyers.
"""

HTML = """<html lang="en"><head><title>Phishing drill results</title>
<style>body{color:red}</style><script>alert('x')</script>
<meta name="kind" content="article"></head>
<body><nav>Home | Jobs</nav><main><h1>Phishing drill results</h1>
<p>In October 2026, 312 colleagues reported the fake email within an hour.</p></main>
<footer>© company</footer></body></html>"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>New office in Nantes</title><link>https://example.test/nantes</link>
<description>&lt;p&gt;We open an office in Nantes on 5 January 2027 with 40 seats.&lt;/p&gt;</description>
<pubDate>Tue, 10 Nov 2026 09:00:00 +0100</pubDate><guid>news-nantes</guid></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Events</title>
<entry><id>evt-1</id><title>Meetup données à Lyon</title><link href="https://example.test/meetup"/>
<summary>Rendez-vous le 4 décembre 2026 à 18h30 pour parler de qualité des données.</summary>
<category term="event"/><published>2026-11-12T10:00:00Z</published></entry></feed>"""

CSV = """id,title,text,kind,language,priority,skills_needed
job-1,Data engineer (F/H),"Nous recrutons une ingénieure ou un ingénieur données à Lyon, CDI, 45-55 k€.",job_offer,fr,2,"sql, python"
job-2,Security analyst,We are hiring a security analyst in Grenoble to run our SOC.,job,,1,
"""


def _files(tmp_path):
    write(tmp_path / "in" / "solaire.md", MD)
    write(tmp_path / "in" / "phishing.html", HTML)
    write(tmp_path / "in" / "news.xml", RSS)
    write(tmp_path / "in" / "events.atom", ATOM)
    write(tmp_path / "in" / "jobs.csv", CSV)
    write(tmp_path / "in" / "items.jsonl", json.dumps({"title": "Hackathon", "text": "Our spring hackathon gathered 80 people.", "kind": "event"}) + "\n")
    return tmp_path / "in"


def test_every_format_imports_with_its_fields(store, tmp_path):
    report = ingest(store, [_files(tmp_path)])
    assert report.counts == {"added": 7, "updated": 0, "unchanged": 0, "rejected": 0}
    md = store.rows("SELECT * FROM content WHERE url = ?", ["https://example.test/solaire"])[0]
    assert (md["kind"], md["language"], md["campaign"], md["priority"]) == ("news", "fr", "green-week", 2)
    assert json.loads(md["extra"]) == {"owner": "comms"}
    html = store.rows("SELECT * FROM content WHERE title = ?", ["Phishing drill results"])[0]
    assert "alert" not in html["text"] and "color" not in html["text"] and "Home | Jobs" not in html["text"]
    assert "312 colleagues" in html["text"] and html["language"] == "en"
    rss = get_item(store, "news-nantes")
    assert rss["kind"] == "news" and str(rss["published_at"]) == "2026-11-10" and "<p>" not in rss["text"]
    atom = get_item(store, "evt-1")
    assert atom["kind"] == "event" and atom["url"] == "https://example.test/meetup" and atom["language"] == "fr"
    job2 = get_item(store, "job-2")
    assert job2["kind"] == "job_offer" and job2["language"] == "en"
    assert json.loads(get_item(store, "job-1")["extra"]) == {"skills_needed": "sql, python"}


def test_reimport_changes_nothing_and_changed_item_is_updated(store, tmp_path):
    folder = _files(tmp_path)
    ingest(store, [folder])
    again = ingest(store, [folder])
    assert again.counts == {"added": 0, "updated": 0, "unchanged": 7, "rejected": 0}
    write(folder / "solaire.md", MD.replace("12 MWc", "14 MWc"))
    changed = ingest(store, [folder])
    assert changed.counts["updated"] == 1 and changed.counts["added"] == 0
    assert store.value("SELECT count(*) FROM content") == 7
    assert "14 MWc" in store.value("SELECT text FROM content WHERE url = ?", ["https://example.test/solaire"])


def test_same_text_under_another_id_is_a_duplicate(store, tmp_path):
    one = write(tmp_path / "a.jsonl", json.dumps({"id": "a", "title": "T", "text": "Same   words here."}) + "\n")
    two = write(tmp_path / "b.jsonl", json.dumps({"id": "b", "title": "t", "text": "same words here."}) + "\n")
    report = ingest(store, [one, two])
    assert report.counts["added"] == 1 and report.counts["unchanged"] == 1
    assert store.value("SELECT count(*) FROM content") == 1


def test_bad_files_are_rejected_one_line_each_and_the_rest_imports(store, tmp_path):
    folder = _files(tmp_path)
    ingest(store, [folder])
    before = store.value("SELECT count(*) FROM content")
    bad = tmp_path / "bad"
    write(bad / "binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    write(bad / "empty.md", "")
    write(bad / "broken.xml", "<rss><channel><item><title>oops</channel>")
    write(bad / "latin1.csv", "title,text\nCaf\xe9,Un caf\xe9 cr\xe8me\n".encode("latin-1"))
    write(bad / "rows.csv", 'title,text,kind\nok,"A fine item about the grid.",news\nx,"too",many,fields\nbad kind,"Some text here.",podcast\n')
    write(bad / "lines.jsonl", '{"title": "Fine", "text": "A second fine item about wind."}\n{not json\n{"title": "no text"}\n')
    write(bad / "notes.txt", "plain text")
    report = ingest(store, [bad, bad / "notes.txt"])
    reasons = "\n".join(report.problems)
    assert "binary.csv: binary file" in reasons
    assert "empty.md: empty file" in reasons
    assert "broken.xml: broken XML" in reasons
    assert "latin1.csv: not UTF-8" in reasons
    assert "more fields than the header" in reasons
    assert "unknown kind 'podcast'" in reasons
    assert "broken JSON" in reasons and "empty text" in reasons
    assert "unsupported file type .txt" in reasons
    assert all("\n" not in p for p in report.problems)
    assert report.counts["added"] == 2
    assert store.value("SELECT count(*) FROM content") == before + 2
    logged = store.value("SELECT count(*) FROM import_log WHERE status = 'rejected'")
    assert logged == report.counts["rejected"]


def test_huge_file_is_rejected(store, tmp_path):
    big = write(tmp_path / "big.jsonl", json.dumps({"title": "x", "text": "y" * 5000}) + "\n")
    report = ingest(store, [big], max_file_mb=0.001)
    assert report.counts["rejected"] == 1 and "file too large" in report.problems[0]


def test_unsupported_language_is_stored_and_flagged(store, tmp_path):
    item = {"title": "Neue Stelle", "text": "Wir suchen eine Datenanalystin für unser Team in Berlin und freuen uns auf Ihre Bewerbung."}
    ingest(store, [write(tmp_path / "de.jsonl", json.dumps(item) + "\n")])
    row = store.rows("SELECT language, language_supported FROM content")[0]
    assert row == {"language": "de", "language_supported": False}


def test_publish_window_filters_active_items(store, tmp_path):
    import datetime as dt

    ingest(store, [write(tmp_path / "s.md", MD)])
    assert len(active_items(store, dt.date(2026, 11, 20))) == 1
    assert active_items(store, dt.date(2026, 10, 1)) == []
    assert active_items(store, dt.date(2027, 1, 1)) == []


def test_demo_content_meets_the_brief(store):
    report = ingest(store, [DEMO / "content"])
    assert report.counts["rejected"] == 0
    rows = store.rows("SELECT kind, language, campaign FROM content")
    assert len(rows) >= 40
    assert {r["kind"] for r in rows} == {"article", "job_offer", "news", "event"}
    assert {r["language"] for r in rows} == {"fr", "en"}
    assert len({r["campaign"] for r in rows if r["campaign"]}) >= 2
