"""The digest schedule (in-app thread), the templates, the admin page and the preferences section."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from streamlit.testing.v1 import AppTest

from assistant.context import open_context
from assistant.digest import digests, log, preferences, render, schedule
from tests.conftest import ROOT
from tests.digest.conftest import CAMILLE, NOW, SARAH, only
from tests.digest.digest_servers import start_smtp


@pytest.fixture
def smtp_ctx(embedded_demo, settings):
    import shutil

    controller, mailbox, port = start_smtp()
    shutil.copytree(embedded_demo, settings.home)
    clock = {"now": NOW - dt.timedelta(hours=1)}            # Monday 8:30: before the 9:00 schedule
    ctx = open_context(settings.but(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", digest_backoff_s=0.0,
                                    smtp_from="digests@nordlys.example"),
                       clock=lambda: clock["now"])
    ctx.move_to = lambda when: clock.update(now=when)
    only(ctx.store, CAMILLE, SARAH)
    yield ctx, mailbox
    schedule.stop_background(ctx)
    controller.stop()


def test_tick_waits_for_the_configured_hour(smtp_ctx):
    ctx, mailbox = smtp_ctx
    assert schedule.tick(ctx) is None and not mailbox.messages
    assert ctx.store.value("SELECT count(*) FROM text_languages") == 4, "languages detected ahead of the run"
    ctx.move_to(NOW)
    assert schedule.tick(ctx).sent == 2
    assert schedule.tick(ctx).due == 0                 # same week: nothing more


def test_background_thread_sends_once_however_often_it_wakes(smtp_ctx, monkeypatch):
    ctx, mailbox = smtp_ctx
    ctx.move_to(NOW)
    ticks = threading.Semaphore(0)
    real_tick = schedule.tick
    monkeypatch.setattr(schedule, "tick", lambda c: (real_tick(c), ticks.release())[0])
    thread = schedule.start_background(ctx, every_s=0.05)
    assert schedule.start_background(ctx, every_s=0.05) is thread   # one per process and store
    assert ticks.acquire(timeout=60), "the schedule ticked"
    assert len(mailbox.messages) == 2, "the first tick sent the digests due"
    for _ in range(5):                                       # several more ticks, each counted
        assert ticks.acquire(timeout=30)
    schedule.stop_background(ctx)
    assert not thread.is_alive()
    assert sorted(m["To"] for m in mailbox.messages) == sorted([CAMILLE, SARAH])
    runs = log.runs(ctx.store)
    assert [r["trigger"] for r in runs] == ["schedule"], "later ticks found nobody due and recorded no run"


def test_texts_have_the_same_keys_in_both_languages():
    fr, en = render.strings("fr"), render.strings("en")
    assert set(fr) == set(en) and set(fr["goal_metrics"]) == set(en["goal_metrics"])
    assert len(fr["months"]) == len(en["months"]) == 12
    from assistant.reporting.goals import METRICS

    assert set(METRICS) <= set(fr["goal_metrics"])


def test_html_is_escaped_and_markdown_mentions_teams_recipients():
    digest = digests.Digest(
        email="ana@example.com", name="Ana <b>", first_name="Ana", language="en", channel="teams", period="2026-W50",
        frequency="weekly", subject="s",
        items=[{"id": "x", "title": "<script>alert(1)</script>", "reason": "Matches your skills: \"a & b\"",
                "link": "https://app.example/?item=x", "campaign": None, "kind": "news", "language": "en"}],
        posts=[], goal=None, links={"preferences": "https://app.example/?page=profile", "unsubscribe": "https://u/1"})
    html = digest.body("html")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html and "Hi Ana," in html and "https://u/1" in html
    assert digest.body("md").startswith("<at>ana@example.com</at>")


def test_a_template_fails_on_a_missing_value_rather_than_leaving_a_blank():
    """Jinja2's StrictUndefined: a digest whose view lacks a field the template names is not sent half-empty."""
    import jinja2

    view = {"first_name": "Ana", "items": [], "posts": [], "goal": None, "links": {}, "test": False}
    with pytest.raises(jinja2.UndefinedError):
        render.render(view, "en", "html")


def test_preferences_section_saves_frequency_and_channel(smtp_ctx):
    ctx, _ = smtp_ctx

    def script(home: str, email: str):
        from pathlib import Path

        from assistant.config import Settings
        from assistant.context import open_context
        from assistant.ui.digest_preferences import preferences_section

        preferences_section(open_context(Settings(home=Path(home), embedder="fake", generator="fake",
                                                  slack_webhook_url="https://hooks.slack.com/services/T/B/C")), email)

    at = AppTest.from_function(script, kwargs={"home": str(ctx.settings.home), "email": CAMILLE}, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.selectbox(key="digest_pref_channel").options == ["E-mail", "Slack"]
    at.radio(key="digest_pref_frequency").set_value("biweekly")
    at.selectbox(key="digest_pref_channel").set_value("slack")
    at.button[0].click().run()
    assert not at.exception and at.success
    assert preferences.get(ctx.store, CAMILLE) == {"frequency": "biweekly", "channel": "slack"}


def test_admin_page_shows_runs_failures_and_sends_a_test_digest(smtp_ctx, monkeypatch):
    ctx, mailbox = smtp_ctx
    ctx.move_to(NOW)
    mailbox.refuse[SARAH] = None
    from assistant.digest import sending

    sending.send(ctx, sleep=lambda s: None)
    monkeypatch.setattr("assistant.ui.resources.context", lambda: ctx)   # the page's context: this test's
    monkeypatch.setattr("assistant.ui.auth.require", lambda role: _Admin())
    at = AppTest.from_file(str(ROOT / "assistant" / "ui" / "digests.py"), default_timeout=60)
    at.run()
    assert not at.exception
    runs = next(d.value for d in at.dataframe if "sent" in d.value.columns)
    assert list(runs["sent"]) == [1] and list(runs["failed"]) == [1]
    failures = next(d.value for d in at.dataframe if "error" in d.value.columns and "email" in d.value.columns)
    assert list(failures["email"]) == [SARAH] and SARAH in failures["error"][0]
    at.button(key="dig_test").click().run()
    assert not at.exception and at.success
    assert len(mailbox.to(CAMILLE)) == 2 and "résumé de test" in mailbox.to(CAMILLE)[-1].get_body(("html",)).get_content()


def test_sending_the_due_digests_says_how_many_and_asks_first(smtp_ctx, monkeypatch):
    from assistant.ui.i18n import translate

    ctx, mailbox = smtp_ctx
    ctx.move_to(NOW)
    monkeypatch.setattr("assistant.ui.resources.context", lambda: ctx)
    monkeypatch.setattr("assistant.ui.auth.require", lambda role: _Admin())
    at = AppTest.from_file(str(ROOT / "assistant" / "ui" / "digests.py"), default_timeout=60).run()
    assert at.button(key="dig_send_now").label == translate("fr", "digests.send_now", n=2)
    at.button(key="dig_send_now").click().run()
    assert not at.exception and not mailbox.messages, "one click sends nothing"
    period = digests.period_of(ctx.today())
    assert translate("fr", "digests.confirm_send", n=2, period=period) in [m.value for m in at.markdown]
    at.button(key="dig_send_no").click().run()
    assert not mailbox.messages, "cancelled"
    at.button(key="dig_send_now").click().run()
    assert at.button(key="dig_send_yes").label == translate("fr", "digests.send_n", n=2)
    at.button(key="dig_send_yes").click().run()
    assert not at.exception and len(mailbox.messages) == 2
    assert at.info[0].value == translate("fr", "digests.sent", sent=2, failed=0, skipped=0)
    assert at.button(key="dig_send_now").disabled, "nobody is due any more"


class _Admin:
    username = email = CAMILLE
    roles = ["admin", "employee"]

    def has(self, role):
        return role in self.roles


def _digest_threads() -> set:
    import threading

    return {t for t in threading.enumerate() if t.name == "porte-voix-digests" and t.is_alive()}


def test_opening_the_app_starts_one_schedule_thread(home, monkeypatch):
    """The app starts the in-app schedule at its first page, once per process: a second visitor (another
    session of the same process) finds the running thread."""
    from assistant.config import load_settings

    for name, value in {"HOME": str(home), "EMBEDDER": "fake", "GENERATOR": "fake", "BCRYPT_ROUNDS": "4"}.items():
        monkeypatch.setenv(f"PORTE_VOIX_{name}", value)
    before = _digest_threads()
    ctx = open_context(load_settings())
    try:
        for _ in range(2):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
            at.run()
            assert not at.exception
        started = _digest_threads() - before
        assert len(started) == 1, "one schedule thread per process and store, however many sessions open the app"
        assert schedule.start_background(ctx) in started
    finally:
        schedule.stop_background(ctx)
    assert not any(t.is_alive() for t in started)
