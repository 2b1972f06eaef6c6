"""Digests end to end: a real SMTP server (aiosmtpd) and real webhook receivers get the messages."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from assistant.cli import main as cli_main
from assistant.context import open_context
from assistant.digest import log, preferences, sending
from assistant.optouts import inbox, tokens
from assistant.retrieval import matching
from assistant.web import unsubscribe
from tests.digest.conftest import CAMILLE, NOW, SARAH, fill_demo, only
from tests.digest.digest_servers import Webhooks, body, start_smtp

PIERRE = "pierre.lemoine@nordlys-energie.example"     # not enrolled
APP = "https://porte-voix.nordlys.example"

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL


@pytest.fixture
def smtp():
    controller, mailbox, port = start_smtp()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def dctx(prepared, settings, smtp):
    """The demo installation with an SMTP relay, an app address, no back-off wait, on a fixed Monday."""
    _, port = smtp
    prepared(settings, "digest_demo", fill_demo)
    clock = {"now": NOW}
    s = settings.but(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", smtp_from="digests@nordlys.example",
                     app_base_url=APP, links_base_url="https://go.nordlys.example", digest_backoff_s=0.0)
    ctx = open_context(s, clock=lambda: clock["now"])
    ctx.move_to = lambda when: clock.update(now=when)
    return ctx


def enrolled(store) -> list[str]:
    return [r[0] for r in store.execute("SELECT email FROM employees WHERE consent_program ORDER BY email").fetchall()]


FEW = (CAMILLE, SARAH, "antoine.lefevre@nordlys-energie.example", "mei.chen@nordlys-energie.example")


def test_each_enrolled_employee_gets_one_email_in_their_language_with_links_and_unsubscribe(dctx, smtp):
    mailbox, _ = smtp
    only(dctx.store, *FEW)
    report = sending.send(dctx)
    people = enrolled(dctx.store)
    assert PIERRE not in people and CAMILLE in people
    assert (report.due, report.sent, report.failed) == (len(people), len(people), 0)
    assert sorted(m["To"] for m in mailbox.messages) == people
    assert not mailbox.to(PIERRE), "nobody without consent_program"

    for address, lang in ((CAMILLE, "fr"), (SARAH, "en")):
        [message] = mailbox.to(address)
        html, text = body(message, "html"), body(message, "plain")
        assert message["Subject"].endswith("idées à partager cette semaine" if lang == "fr"
                                           else "things worth sharing this week")
        assert ("À partager cette semaine" if lang == "fr" else "Worth sharing this week") in html
        assert ("Vos dernières publications" if lang == "fr" else "How your last posts did") in text
        expected = matching.recommend(dctx, address, limit=3)
        for item in expected:
            link = f"{APP}/?item={item['id']}"
            assert f'href="{link}"' in html and link in text
            assert item["reason"].split(" : ")[0].split(": ")[0] in html
        assert f"{APP}/?page=profile" in html
        unsubscribe_header = message["List-Unsubscribe"]
        token = re.fullmatch(r"<https://go\.nordlys\.example/unsubscribe/([\w.-]+)\?lang=(fr|en)>",
                             unsubscribe_header)
        assert token and tokens.email_of(dctx.settings, token.group(1)) == address and token.group(2) == lang
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsubscribe_header[1:-1] in html

    rows = log.deliveries(dctx.store, status="sent")
    assert len(rows) == len(people) and {r["period"] for r in rows} == {"2026-W50"}


def test_nobody_twice_in_one_week_whoever_runs_it(dctx, smtp):
    mailbox, _ = smtp
    only(dctx.store, CAMILLE, SARAH, "julien.moreau@nordlys-energie.example")
    first = sending.send(dctx)
    dctx.move_to(NOW + dt.timedelta(days=3))                 # Thursday, same ISO week
    again = sending.send(dctx)
    assert first.sent > 0 and (again.due, again.sent) == (0, 0)
    assert len(mailbox.messages) == first.sent
    # a run that built its list before the first one sent (another process) finds every claim taken
    run_id = log.start_run(dctx.store, "2026-W50", "cron", NOW)
    assert all(log.claim(dctx.store, run_id, e, "2026-W50", "email", "fr", "s", [], NOW) is None
               for e in enrolled(dctx.store))
    dctx.move_to(NOW + dt.timedelta(days=7))                 # next week: everyone again
    assert sending.send(dctx).sent == first.sent
    dup = dctx.store.value("SELECT count(*) FROM (SELECT email, period FROM digest_deliveries GROUP BY ALL HAVING count(*) > 1)")
    assert dup == 0


def test_failing_delivery_is_retried_then_recorded_while_the_others_go_through(dctx, smtp):
    mailbox, _ = smtp
    only(dctx.store, *FEW)
    mailbox.refuse[SARAH] = None                 # always refused
    mailbox.refuse[CAMILLE] = 1                  # refused once, accepted on the second attempt
    waits = []
    report = sending.send(dctx, sleep=waits.append)
    people = enrolled(dctx.store)
    assert report.failed == 1 and report.sent == len(people) - 1
    assert mailbox.tries[SARAH] == dctx.settings.digest_attempts == 3
    assert waits == [0.0, 0.0]                   # two rounds of retries, back-off from the settings
    [failure] = log.deliveries(dctx.store, status="failed")
    assert failure["email"] == SARAH and failure["attempts"] == 3
    assert SARAH in failure["error"] or "failed" in failure["error"]
    camille = [d for d in log.deliveries(dctx.store) if d["email"] == CAMILLE][0]
    assert camille["status"] == "sent" and camille["attempts"] == 2 and len(mailbox.to(CAMILLE)) == 1
    assert len(mailbox.messages) == len(people) - 1
    run = log.runs(dctx.store)[0]
    assert (run["sent"], run["failed"]) == (len(people) - 1, 1)
    # a later run of the same week tries the failed one again, and only it
    mailbox.refuse.clear()
    later = sending.send(dctx)
    assert (later.due, later.sent) == (1, 1) and len(mailbox.to(SARAH)) == 1


def test_backoff_doubles_between_rounds(dctx):
    from assistant.digest import notify

    calls, waits = [], []

    def flaky(settings, message):
        calls.append(message.to)
        return False, "451 busy"

    messages = [notify.Message("email", f"p{i}@example.com", "s", "t") for i in range(3)]
    results = notify.deliver(dctx.settings, messages, attempts=4, backoff_s=2.0, send=flaky, sleep=waits.append)
    assert waits == [2.0, 4.0, 8.0] and len(calls) == 12
    assert [(r.ok, r.attempts, r.error) for r in results] == [(False, 4, "451 busy")] * 3


def test_preferences_never_and_every_two_weeks(dctx, smtp):
    mailbox, _ = smtp
    only(dctx.store, CAMILLE, SARAH)
    preferences.set_preferences(dctx.store, CAMILLE, frequency="never", by=CAMILLE)
    preferences.set_preferences(dctx.store, SARAH, frequency="biweekly", by=SARAH)
    weeks = []
    for n in range(4):
        dctx.move_to(NOW + dt.timedelta(weeks=n))
        sending.send(dctx)
        weeks.append(len(mailbox.to(SARAH)))
    assert not mailbox.to(CAMILLE)
    assert weeks == [1, 1, 2, 2]


def test_one_click_unsubscribe(dctx, smtp):
    from starlette.testclient import TestClient

    mailbox, _ = smtp
    only(dctx.store, CAMILLE, SARAH)
    sending.send(dctx)
    link = mailbox.to(SARAH)[0]["List-Unsubscribe"][1:-1]
    path = link.split("go.nordlys.example", 1)[1]
    client = TestClient(unsubscribe.create_app(dctx.settings))
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.text and preferences.get(dctx.store, SARAH)["frequency"] == "weekly"
    answer = client.post(path, content=b"List-Unsubscribe=One-Click",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200 and SARAH in answer.text
    assert client.post(path.replace(path.split("/")[2][:6], "AAAAAA")).status_code == 404
    dctx.move_to(NOW + dt.timedelta(weeks=1))
    report = sending.send(dctx)            # folds the opt-out first
    assert preferences.get(dctx.store, SARAH)["frequency"] == "never"
    assert SARAH not in [d["email"] for d in report.digests] and len(mailbox.to(SARAH)) == 1
    assert dctx.store.value("SELECT source FROM digest_optouts WHERE email = ?", [SARAH]) == "one-click"


def test_slack_and_teams_webhooks_receive_the_digest(dctx, tmp_path, monkeypatch):
    from apprise.plugins.slack import NotifySlack

    slack, teams = Webhooks(), Webhooks(tls_dir=tmp_path / "tls")
    only(dctx.store, CAMILLE, SARAH)
    try:
        monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{slack.port}/services")
        ctx = open_context(dctx.settings.but(
            slack_webhook_url="https://hooks.slack.com/services/T0000TEST/B0000TEST/abcdefghijklmnopqrstuvwx",
            teams_webhook_url=f"workflows://127.0.0.1:{teams.port}/wf0123/sig4567/?verify=no"), clock=lambda: NOW)
        preferences.set_preferences(ctx.store, CAMILLE, channel="slack", by=CAMILLE)
        preferences.set_preferences(ctx.store, SARAH, channel="teams", by=SARAH)
        report = sending.send(ctx)
        assert report.failed == 0
        [(slack_path, slack_payload)] = slack.received
        assert slack_path == "/services/T0000TEST/B0000TEST/abcdefghijklmnopqrstuvwx"
        slack_text = json.dumps(slack_payload, ensure_ascii=False)
        assert "idées à partager" in slack_text and f"{APP}/?item=" in slack_text
        [(teams_path, teams_payload)] = teams.received
        assert teams_path.startswith("/workflows/wf0123/triggers/manual/paths/invoke")
        card = teams_payload["attachments"][0]["content"]
        card_text = json.dumps(card, ensure_ascii=False)
        assert "things worth sharing" in card_text and f"{APP}/?item=" in card_text
        assert {"id": SARAH, "name": SARAH} in [e["mentioned"] for e in card["msteams"].get("entities", [])]
        channels = {d["email"]: d["channel"] for d in log.deliveries(ctx.store)}
        assert channels[CAMILLE] == "slack" and channels[SARAH] == "teams"
    finally:
        slack.stop()
        teams.stop()


def test_unconfigured_channel_falls_back_to_email_and_missing_smtp_fails_with_a_reason(dctx, smtp):
    mailbox, _ = smtp
    only(dctx.store, CAMILLE, SARAH)
    preferences.set_preferences(dctx.store, CAMILLE, channel="teams", by=CAMILLE)   # no Teams webhook here
    sending.send(dctx)
    assert len(mailbox.to(CAMILLE)) == 1
    bare = open_context(dctx.settings.but(smtp_host=None), clock=lambda: NOW + dt.timedelta(weeks=1))
    report = sending.send(bare)
    assert report.sent == 0 and report.failed == report.due > 0
    assert "SMTP" in report.failures[0]["error"] and report.failures[0]["attempts"] == 0


def test_dry_run_json_prints_each_message_and_sends_nothing(dctx, smtp, capsys):
    mailbox, _ = smtp
    assert cli_main(["digest", "send", "--dry-run", "--json"], ctx=dctx) == 0
    messages = json.loads(capsys.readouterr().out)
    assert len(messages) == len(enrolled(dctx.store)) and not mailbox.messages
    camille = next(m for m in messages if m["email"] == CAMILLE)
    assert {"email", "language", "channel", "items", "subject"} <= set(camille)
    assert (camille["language"], camille["channel"], camille["status"]) == ("fr", "email", "dry-run")
    assert [i["id"] for i in camille["items"]] == [r["id"] for r in matching.recommend(dctx, CAMILLE, limit=3)]
    assert all(i["link"] == f"{APP}/?item={i['id']}" for i in camille["items"])
    assert dctx.store.value("SELECT count(*) FROM digest_deliveries") == 0


def test_cli_send_status_and_test_digest(dctx, smtp, capsys):
    mailbox, _ = smtp
    only(dctx.store, CAMILLE, SARAH)
    assert cli_main(["digest", "send"], ctx=dctx) == 0
    out = capsys.readouterr().out
    assert "sent" in out and f"{len(enrolled(dctx.store))} sent" in out
    assert cli_main(["digest", "test", PIERRE, "--json"], ctx=dctx) == 0      # a test goes even without consent
    [message] = json.loads(capsys.readouterr().out)
    assert message["status"] == "sent" and len(mailbox.to(PIERRE)) == 1
    assert "résumé de test" in body(mailbox.to(PIERRE)[0], "html")
    assert cli_main(["digest", "status"], ctx=dctx) == 0
    status = capsys.readouterr().out
    assert "2026-W50" in status and "test" in status
    assert cli_main(["digest", "test", "nobody@example.com"], ctx=dctx) == 2


def test_goal_and_last_posts_appear(dctx, smtp):
    from assistant.reporting import goals

    mailbox, _ = smtp
    only(dctx.store, CAMILLE)
    item = matching.recommend(dctx, CAMILLE, limit=1)[0]
    dctx.store.execute("""INSERT INTO shares (id, email, content_id, text, network, campaign, score, shared_at, status,
                                              posted_at) VALUES (?, ?, ?, ?, 'linkedin', 'green-week', 80, ?, 'posted', ?)""",
                       ["s-dig-1", CAMILLE, item["id"], "Mon texte à moi", NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=2)])
    goals.add_goal(dctx.store, "green-week", "shares", 20, due=dt.date(2026, 12, 18))
    sending.send(dctx)
    text = body(mailbox.to(CAMILLE)[0], "plain")
    assert item["title"] in text.split("Vos dernières publications")[1]
    assert "0 clic(s)" in text
    assert "green-week : " in text and "/ 20 partages d'ici le 18 déc." in text


def test_erasure_forgets_preferences_deliveries_and_opt_outs(dctx, smtp):
    only(dctx.store, SARAH)
    sending.send(dctx)
    inbox.record(dctx.settings, SARAH, "one-click")
    preferences.fold_optouts(dctx.store, dctx.settings)
    preferences.erase(dctx.store, SARAH)
    inbox.forget(dctx.settings, SARAH)
    for table in ("digest_preferences", "digest_deliveries", "digest_optouts"):
        assert dctx.store.value(f"SELECT count(*) FROM {table} WHERE email = ?", [SARAH]) == 0
    assert preferences.fold_optouts(dctx.store, dctx.settings) == 0


def test_settings_apprise_rejects_are_reported_without_retrying(dctx):
    from assistant.digest import notify

    assert notify.check(dctx.settings, "email") is None
    assert "SMTP" in notify.check(dctx.settings.but(smtp_host=None), "email")
    assert "sender" in notify.check(dctx.settings.but(smtp_host="10.0.0.5", smtp_from=None), "email")
    assert "webhook" in notify.check(dctx.settings, "slack")
    assert "apprise" in notify.check(dctx.settings.but(slack_webhook_url="nonsense://x"), "slack")


def test_digest_settings_from_the_environment_and_the_secrets_file(tmp_path):
    from assistant.config import _secrets_file, load_settings

    s = load_settings({"PORTE_VOIX_SMTP_HOST": "smtp.nordlys.example", "PORTE_VOIX_SMTP_PASSWORD": "hunter2",
                       "PORTE_VOIX_SMTP_TLS": "SSL", "PORTE_VOIX_APP_BASE_URL": "https://pv.example/",
                       "PORTE_VOIX_TEAMS_WEBHOOK_URL": "https://x.logic.azure.com/workflows/abc",
                       "PORTE_VOIX_DIGEST_ATTEMPTS": "0"})
    assert (s.smtp_host, s.smtp_port, s.smtp_tls, s.app_base_url, s.digest_attempts) == (
        "smtp.nordlys.example", 587, "ssl", "https://pv.example", 1)
    assert "hunter2" not in repr(s) and "logic.azure" not in repr(s) and not s.extra
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nclient_id = "x"\n[porte_voix]\nsmtp_password = "from-file"\nsmtp_port = 2525\n')
    assert _secrets_file(secrets) == {"PORTE_VOIX_SMTP_PASSWORD": "from-file", "PORTE_VOIX_SMTP_PORT": "2525"}
    assert _secrets_file(tmp_path / "none.toml") == {}
