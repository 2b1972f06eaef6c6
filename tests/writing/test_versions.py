"""One story, two languages: versions are found (by link or by shared figures) and shown once."""

from assistant.writing.versions import one_per_story, same_story, version_in


def test_every_demo_story_published_in_both_languages_is_paired_and_nothing_else(demo_store):
    rows = demo_store.rows("SELECT id, title, text, kind, language, extra FROM content")
    pairs = {tuple(sorted((a["id"], b["id"]))) for i, a in enumerate(rows) for b in rows[i + 1:] if same_story(a, b)}
    stems = {tuple(sorted((f"{s}-en", f"{s}-fr"))) for s in ("art-forecast", "art-phishing", "art-storage",
                                                             "ev-gridtech", "job-data-eng", "news-flex4grid",
                                                             "news-flux42", "news-greenweek", "news-iso")}
    assert stems <= pairs, stems - pairs
    assert len(pairs - stems) <= 1, "one more pair at most: the Drôme pilot's two pages (no id of their own)"
    assert not any("greenweek" in a and "u-" in b for a, b in pairs), "a story that cites another's figures is not it"


def test_the_feed_keeps_one_version_in_the_employees_language(demo_store):
    english = demo_store.rows("SELECT * FROM content WHERE id = 'news-flux42-en'")[0]
    feed = [{"id": "news-flux42-en", "title": english["title"], "url": english["url"], "language": "en",
             "excerpt": "…"}, {"id": "job-ml-en", "title": "ML", "url": None, "language": "en"},
            {"id": "news-flux42-fr", "title": "FR", "url": None, "language": "fr"}]
    shown = one_per_story(demo_store, feed, "fr")
    assert [i["id"] for i in shown] == ["news-flux42-fr", "job-ml-en"]
    assert shown[0]["other_versions"] == [{"id": "news-flux42-en", "language": "en"}]
    assert shown[0]["excerpt"] != "…", "the excerpt is the shown version's"
    assert version_in(demo_store, english, "fr")["id"] == "news-flux42-fr"
