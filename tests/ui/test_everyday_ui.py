"""Every day in the app: text copied as written, one language at a time, figures that fit and say what they count.

AppTest and plain functions; what only a browser shows (copied text, cut-off figures, Streamlit's own
uploader texts) is checked in test_browser.py.
"""

import time
import unicodedata
from pathlib import Path

import pytest
import yaml

from assistant.language import detect
from assistant.ui.i18n import one_language
from assistant.ui.safe import md
from tests.ui.conftest import app, msg, plain

LEA = "lea.fontaine@nordlys-energie.example"
NADIA = "nadia.benali@nordlys-energie.example"
DEMO_POLICY = Path(__file__).resolve().parents[2] / "data" / "demo" / "policy.yaml"


@pytest.mark.parametrize("text", [
    "camille.durand@nordlys-energie.example", "Nordlys : bilan 2026", "Lire https://n.example/a?x=1 ou www.n.example",
    "note :smile: :streamlit: :material/home: a -> b <- c -- d >= e", "![x](https://t.example/p.gif) *gras* `code`",
    "C:\\temp\\x | y", "mailto:ana@x.example",
])
def test_escaped_text_reads_and_copies_as_written(text):
    shown = md(text)
    assert not [c for c in shown if unicodedata.category(c) in ("Cf", "Zs") and c != " "], "no invisible character"
    assert plain(shown) == text


def test_policy_messages_written_in_both_languages_show_one():
    rules = yaml.safe_load(DEMO_POLICY.read_text(encoding="utf-8"))
    messages = [t["message"] for t in rules["prohibited_terms"]] + [rules[k]["message"] for k in
                                                                    ("disclosure", "max_hashtags", "tracked_link")]
    both = [m for m in messages if " / " in m]
    assert len(both) >= 5
    for message in both:
        fr, en = one_language(message, "fr"), one_language(message, "en")
        assert fr != en and " / " not in fr and " / " not in en, message
        assert {fr, en} == set(message.split(" / ")) and detect(en) == "en" and detect(fr) != "en", message
    built_in = "Too long for x: 312 characters > 280. / Trop long pour x : 312 caractères > 280."
    assert one_language(built_in, "fr") == "Trop long pour x : 312 caractères > 280."
    assert one_language("Les prévisions financières ne sont pas publiques.", "en") == \
        "Les prévisions financières ne sont pas publiques.", "a message in one language stays as written"


@pytest.mark.parametrize("lang, expected", [
    ("fr", "ce n'est pas du YAML valide, ligne 3 (colonne 4)"), ("en", "not valid YAML at line 3 (column 4)")])
def test_an_invalid_policy_says_which_line_in_the_interface_language(demo, lang, expected):
    at = app(NADIA, run=False)
    at.session_state["ui_lang_choice"] = lang
    at.run()
    at.switch_page("assistant/ui/admin.py").run()
    at.session_state["adm_tabs"] = msg("admin.tab_policy", lang)
    at.run()
    at.text_area(key="adm_policy_text").input("prohibited_terms:\n  - term: x\n   severity: warn\n")
    at.button(key="adm_policy_check").click().run()
    [error] = [e.value for e in at.error]
    assert expected in plain(error) and "\n" not in error
    assert "<unicode string>" not in error and "block mapping" not in error, "no raw PyYAML text"


def test_tables_leave_empty_cells_empty(demo):
    at = app(NADIA, "assistant/ui/library.py")
    at.session_state["lib_tabs"] = msg("library.tab_items")
    at.run()
    tables = list(at.dataframe)
    at = app(NADIA, "assistant/ui/admin.py")
    tables += list(at.dataframe)
    at.session_state["adm_tabs"] = msg("admin.tab_accounts")
    tables += list(at.run().dataframe)
    tables += list(app(LEA, "assistant/ui/marketing.py").dataframe)
    assert len(tables) >= 4 and not at.exception
    for table in tables:
        assert table.proto.HasField("placeholder") and table.proto.placeholder in ("", "—"), table.key


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_headline_figures_are_short_explained_and_counters_say_what_they_count(demo, lang):
    at = app(LEA, run=False)
    at.session_state["ui_lang_choice"] = lang
    at.run()
    at.switch_page("assistant/ui/marketing.py").run()
    assert not at.exception
    metrics = list(at.metric)
    assert len(metrics) == 7
    for metric in metrics:
        assert len(metric.label) <= 22 and len(metric.value) <= 7, (metric.label, metric.value)
        assert metric.help, f"{metric.label} says what it counts"
    assert msg("mkt.posted_only", lang, start="", end="").split(".")[-2].strip() in plain(at.caption[0].value)
    at.session_state["mkt_tabs"] = msg("mkt.tabs.engagement", lang)
    at.run()
    assert msg("mkt.service_none", lang) in [c.value for c in at.caption]
    # replicas on other hosts (PostgreSQL) forward to the store: each is listed, a silent one as a warning
    now = time.time()
    demo.execute("INSERT INTO click_replicas (replica, hits_upto, conversions_upto, host, first_seen, last_seen, "
                 "served_at) VALUES ('r-up', 0, 0, 'click1', ?, ?, ?), ('r-down', 0, 0, 'click2', ?, ?, ?), "
                 "('an-app-home', 0, 0, 'app1', ?, ?, NULL)",  # forwarded by its sync only: not a replica
                 [now - 3600, now - 2, now - 2, now - 3600, now - 1800, now - 1800, now - 3600, now - 1800])
    at.run()
    assert not at.exception
    up = {msg("mkt.replica", lang, host="click1", seconds=s, waiting=0) for s in range(2, 10)}  # seconds pass
    assert up & {c.value for c in at.caption}
    assert [w.value for w in at.warning] == [msg("mkt.replica_silent", lang, host="click2", minutes=30, waiting=0)]
    demo.execute("DELETE FROM click_replicas")


def test_the_click_service_counter_gives_its_start_and_scope():
    import datetime as dt

    from assistant.ui import marketing

    runs = [{"started_at": 1_790_000_000.0, "received": 2, "written": 2, "lost": 0},
            {"started_at": 1_795_000_000.0, "received": 5, "written": 4, "lost": 1}]
    since = dt.datetime.fromtimestamp(1_790_000_000.0).date().isoformat()
    assert marketing._service_line(runs) == msg("mkt.service", since=since, received=7, written=6, lost=1)
    assert marketing._service_line([]) == msg("mkt.service_none")
