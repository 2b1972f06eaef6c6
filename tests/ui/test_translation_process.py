"""Where key points are translated: at import (``translate_pending``, run by ``porte-voix ingest``, ``demo`` and
``translate``), and for the app in a low-priority child process (``ChildTranslator``, ``porte-voix translate
--stdio``), never in the app's own process (20 concurrent sessions lost their CPU to the model there)."""

from __future__ import annotations

import io
import json
import time

import pytest

from assistant import cli
from assistant.context import Context
from assistant.writing import translation
from models.translator import register_translator
from tests import fakes
from tests.conftest import ROOT, write
from tests.ui.conftest import CAMILLE, app

ITEM = """---
id: plant-en
title: Our new plant opens in Lyon
kind: news
language: en
---
Our new plant opens in Lyon on 3 March 2026. The team hired 120 engineers and revenue grew by 12% in the first
quarter. The plant treats 4,000 cubic metres of water a day for the region's farms.
"""


def _stored(store, content_id: str, lang: str) -> dict | None:
    rows = store.rows("SELECT title, details FROM translations WHERE content_id = ? AND lang = ?", [content_id, lang])
    return rows[0] if rows else None


def test_an_import_translates_the_key_points_of_items_with_no_version_in_the_other_language(ctx, tmp_path, capsys):
    path = write(tmp_path / "plant.md", ITEM)
    assert cli.main(["ingest", str(path), "--json"], ctx=ctx) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["translations_stored"] == 1
    row = _stored(ctx.store, "plant-en", "fr")
    assert row and row["title"] == "Notre nouveau usine ouvre à Lyon", row
    assert any("4,000" in d and "eau" in d for d in json.loads(row["details"])), "a fact phrase, its figure kept"
    assert translation.pending(ctx.store, ctx.today()) == []
    calls = len(ctx.translator.calls)
    assert cli.main(["ingest", str(path), "--json"], ctx=ctx) == 0
    assert json.loads(capsys.readouterr().out)["translations_stored"] == 0 and len(ctx.translator.calls) == calls, \
        "an unchanged item is not translated again"


def test_the_demo_is_loaded_with_its_translations(ctx, capsys):
    assert cli.main(["demo", "--json"], ctx=ctx) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["translations_stored"] >= 30, out
    assert translation.pending(ctx.store, ctx.today()) == []
    assert _stored(ctx.store, "art-a11y-en", "fr"), "an English-only article has its French key point"
    assert _stored(ctx.store, "art-a11y-en", "en") is None, "never into its own language"


def test_porte_voix_translate_does_what_an_import_left(ctx, tmp_path, capsys):
    path = write(tmp_path / "plant.md", ITEM)
    assert cli.main(["ingest", str(path), "--no-translate", "--json"], ctx=ctx) == 0
    assert json.loads(capsys.readouterr().out)["translations_stored"] == 0
    assert [(i["id"], lang) for i, lang in translation.pending(ctx.store, ctx.today())] == [("plant-en", "fr")]
    assert cli.main(["translate", "--json"], ctx=ctx) == 0
    assert json.loads(capsys.readouterr().out) == {"pending": 1, "translations_stored": 1, "seconds": pytest.approx(0, abs=5)}
    assert _stored(ctx.store, "plant-en", "fr")
    assert cli.main(["translate"], ctx=ctx) == 0
    assert capsys.readouterr().out.startswith("0 of 0 key points translated")


def test_porte_voix_translate_without_a_translator_says_so(ctx, tmp_path, capsys):
    path = write(tmp_path / "plant.md", ITEM)
    bare = Context(ctx.settings.but(translator="none"), ctx.store)
    assert cli.main(["ingest", str(path), "--json"], ctx=bare) == 0
    assert json.loads(capsys.readouterr().out)["translations_stored"] == 0
    assert cli.main(["translate"], ctx=bare) == 2
    assert "1 key points to translate, but no translator (PORTE_VOIX_TRANSLATOR=none)" in capsys.readouterr().err


def test_the_stdio_side_answers_each_request_and_survives_a_bad_one():
    lines = io.StringIO('{"texts": ["Our new plant"], "source": "en", "target": "fr"}\n'
                        'not json\n'
                        '{"texts": ["Hello"], "source": "de", "target": "fr"}\n'
                        '{"texts": ["revenue grew"], "source": "en", "target": "fr"}\n')
    out = io.StringIO()
    assert translation.serve_stdio(fakes.FakeTranslator(), lines, out) == 4
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert answers[0] == {"texts": ["Notre nouveau usine"]} and answers[3] == {"texts": ["revenu progresse"]}
    assert "JSONDecodeError" in answers[1]["error"] and "not de→fr" in answers[2]["error"]
    out = io.StringIO()
    translation.serve_stdio(None, io.StringIO('{"texts": ["x"], "source": "en", "target": "fr"}\n'), out)
    assert json.loads(out.getvalue())["unavailable"] is True


@pytest.fixture
def child_env(monkeypatch, tmp_path):
    """The environment the app's child inherits: the fake translator, importable from the repository."""
    monkeypatch.setenv("PORTE_VOIX_HOME", str(tmp_path / "child-home"))
    monkeypatch.setenv("PORTE_VOIX_TRANSLATOR", "fake")
    monkeypatch.setenv("PORTE_VOIX_PLUGINS", "tests.fakes")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return tmp_path / "child-home"


def test_the_child_process_translates_keeps_its_model_and_never_opens_the_store(ctx, tmp_path, child_env):
    child = translation.in_child_process(ctx.settings)
    assert child.command[:3] == ["nice", "-n", "19"] or child.command[0].endswith("/nice")
    try:
        assert child.translate_batch(["Our new plant", "", "Revenue grew by 12%"], "en", "fr") == \
            ["Notre nouveau usine", "", "Revenu progresse de 12%"]
        assert child.translate_batch(["the team"], "en", "fr") == ["le équipe"]
        assert child.started == 1, "one child for both requests: its model loads once"
        assert child.translate_batch(["same"], "fr", "fr") == ["same"] and child.started == 1
        in_app = Context(ctx.settings, ctx.store, translator=child)
        path = write(tmp_path / "plant.md", ITEM)
        assert cli.main(["ingest", str(path), "--no-translate"], ctx=in_app) == 0
        [(item, lang)] = translation.pending(ctx.store, ctx.today())
        assert translation.ensure(in_app, item, lang) and _stored(ctx.store, "plant-en", "fr")
    finally:
        child.close()
    assert child._proc is None
    assert not (child_env / "porte-voix.duckdb").exists(), "the child never opens a store (the app holds it)"


def test_a_child_without_a_translator_is_not_started_again(ctx, child_env, monkeypatch):
    monkeypatch.setenv("PORTE_VOIX_TRANSLATOR", "deepl")  # unknown in the child: no translator there
    child = translation.in_child_process(ctx.settings)
    try:
        with pytest.raises(RuntimeError, match="no translator"):
            child.translate_batch(["Our new plant"], "en", "fr")
        with pytest.raises(RuntimeError, match="no translator"):
            child.translate_batch(["Our new plant"], "en", "fr")
        assert child.started == 1
    finally:
        child.close()


def test_an_idle_child_goes_away_and_the_next_request_starts_another(ctx, child_env):
    child = translation.ChildTranslator(translation.in_child_process(ctx.settings).command, idle_s=0.2)
    try:
        assert child.translate_batch(["the plant"], "en", "fr") == ["le usine"]
        proc = child._proc
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() == 0 and child._proc is None, "closed after idle_s, the child exited on end of input"
        assert child.translate_batch(["the team"], "en", "fr") == ["le équipe"] and child.started == 2
    finally:
        child.close()


def test_the_app_never_builds_a_translator_in_its_process(demo, child_env, monkeypatch):  # noqa: F811
    """Drafting in French on an English-only item: the translation is asked of the child process; the app's
    process never builds the configured translator, and the next draft uses the translation once it lands."""
    monkeypatch.setenv("PORTE_VOIX_HOME", str(demo.path.parent))  # the app's home (the child never opens it)
    built = []
    register_translator("fake")(lambda **options: built.append(options) or fakes.FakeTranslator())
    item_id = "art-a11y-en"
    assert _stored(demo, item_id, "fr") is None
    at = app(CAMILLE, query={"item": item_id})
    at.text_input(key=f"feed_words_{item_id}").input("la première fois que j'ai vu ce sujet en réunion d'équipe")
    at.button(key=f"feed_compose_{item_id}").click().run()
    assert not at.exception, at.exception
    deadline = time.monotonic() + 60
    while _stored(demo, item_id, "fr") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _stored(demo, item_id, "fr"), "translated by the child process, stored by the app"
    assert built == [], "the app's process never built a translator"
    at.button(key=f"feed_other_words_{item_id}").click().run()
    at.text_input(key=f"feed_words_{item_id}").input("ce matin encore on en parlait devant la machine à café")
    at.button(key=f"feed_compose_{item_id}").click().run()
    assert not at.exception, at.exception
    requests = demo.rows("SELECT request_id, min(created_at) AS first_at, string_agg(text, ' ') AS texts FROM drafts "
                         "WHERE email = ? AND content_id = ? GROUP BY request_id ORDER BY first_at", [CAMILLE, item_id])
    assert len(requests) == 2
    title = _stored(demo, item_id, "fr")["title"]
    assert title and title[:30].lower() in requests[1]["texts"].lower(), "the next draft carries the translation"
    assert "(en anglais)" not in requests[1]["texts"], "not the title quoted in English any more"


def test_what_a_library_prints_in_the_child_does_not_garble_its_answers(ctx, child_env, monkeypatch, tmp_path):
    plugin = write(tmp_path / "plugins" / "chatty_translator.py", (
        "from tests.fakes import FakeTranslator\n"
        "from models.translator import register_translator\n\n"
        "class Chatty(FakeTranslator):\n"
        "    def translate_batch(self, texts, source, target):\n"
        "        print('Loading weights: 100%')\n"
        "        return super().translate_batch(texts, source, target)\n\n"
        "register_translator('chatty')(Chatty)\n"))
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}:{plugin.parent}")
    monkeypatch.setenv("PORTE_VOIX_PLUGINS", "tests.fakes,chatty_translator")
    monkeypatch.setenv("PORTE_VOIX_TRANSLATOR", "chatty")
    child = translation.in_child_process(ctx.settings)
    try:
        assert child.translate_batch(["the plant"], "en", "fr") == ["le usine"]
        assert child.translate_batch(["the team"], "en", "fr") == ["le équipe"]
    finally:
        child.close()
