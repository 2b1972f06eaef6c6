"""A goal the domain refuses (``goals.GoalError``: a code and what it quotes) is explained to the admin from
the catalogue, in French or in English, never as the domain's English sentence."""

import datetime as dt
import re

import pytest

from assistant.access import preferences
from assistant.reporting import goals
from assistant.ui import i18n
from tests.ui.conftest import app, msg

NADIA = "nadia.benali@nordlys-energie.example"  # an admin of the demo


def test_add_goal_refuses_with_a_code_and_the_values_it_quotes(store):
    refused = {}
    for args in (("green-week", "likes", 3), ("green-week", "shares", 0), ("  ", "shares", 3)):
        with pytest.raises(goals.GoalError) as caught:
            goals.add_goal(store, *args)
        refused[caught.value.code] = caught.value
    assert set(refused) == set(goals.ERRORS) == {"unknown_metric", "target_too_low", "no_campaign"}
    assert refused["unknown_metric"].values == {"metric": "likes", "metrics": ", ".join(goals.METRICS)}
    assert str(refused["target_too_low"]) == "the target must be at least 1", "English for logs and the command line"
    assert isinstance(refused["no_campaign"], ValueError) and store.value("SELECT count(*) FROM campaign_goals") == 0


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_refusal_has_its_sentence_in_the_catalogue_with_the_same_values(lang):
    for code, english in goals.ERRORS.items():
        text = i18n.catalogue(lang).get(f"goals.error.{code}")
        assert text and set(re.findall(r"{(\w+)", str(text))) == set(re.findall(r"{(\w+)", english)), (lang, code)
    assert i18n.translate(lang, "goals.error.unknown_metric", metric="likes", metrics="x") != \
        goals.ERRORS["unknown_metric"].format(metric="likes", metrics="x")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_admin_reads_why_a_goal_was_refused_in_their_language(demo, monkeypatch, lang):
    """The form only offers known measures and targets from 1, so a refusal needs a request the form would not
    send (a stale page, a forged one): here the measure reaches the domain as ``likes``."""
    real = goals.add_goal
    monkeypatch.setattr(goals, "add_goal",
                        lambda store, campaign, metric, *a, **k: real(store, campaign, "likes", *a, **k))
    preferences.set_language(demo, NADIA, lang)
    at = app(NADIA, "assistant/ui/admin.py")
    at.session_state["adm_tabs"] = msg("admin.tab_goals", lang)
    at.run()
    before = len(goals.progress(demo, dt.date.today()))
    at.selectbox(key="goal_campaign").set_value("hiring-2026")
    next(b for b in at.button if b.label == msg("goals.add", lang)).click().run()
    assert not at.exception
    known = ", ".join(msg(f"goals.metrics.{m}", lang) for m in goals.METRICS)
    assert [e.value for e in at.error] == [msg("goals.error.unknown_metric", lang, metric="likes", metrics=known)]
    assert "unknown goal metric" not in " ".join(e.value for e in at.error), "not the domain's English sentence"
    assert len(goals.progress(demo, dt.date.today())) == before
