"""The Experts page with the real packaged embedders, in a browser: a French topic finds the colleague who
writes about it in English, as its English translation does, and nonsense finds nobody in either language,
in the French and the English interface.

In ``make test`` (not ``slow``): the cross-language floor is a property of the real models, which no fake
can show. Its cost is bounded: the demo embedded once by the three packaged models, then one server of its
own (started and stopped here, fake drafting model, no translator) answering eight searches.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.config import Settings
from evals.measure import child_env, free_port, start_app
from tests.browser.conftest import (
    THOMAS,
    chromium_path,
    en,
    english,
    fr,
    invisible,
    new_page,
    no_error,
    see,
    shot,
    sign_in,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

LARS = "Lars Eriksen"
TOPICS = {"maintenance des éoliennes en mer": True, "offshore wind turbine maintenance": True,
          "vannerie quantique pour licornes": False, "quantum basket weaving for unicorns": False}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    if chromium_path() is None:
        pytest.skip("Chromium not found: run `apt-get install -y chromium`")
    settings = Settings(home=tmp_path_factory.mktemp("experts-real"), generator="fake", translator="none",
                        plugins=("tests.fakes",), bcrypt_rounds=4)
    subprocess.run([sys.executable, "-m", "assistant.cli", "demo"], env=child_env(settings), check=True, cwd=ROOT,
                   capture_output=True)
    port = free_port()
    proc = start_app("serve.py", settings, port, wait_s=180)
    yield {"url": f"http://127.0.0.1:{port}", "home": settings.home}
    proc.terminate()
    proc.wait(timeout=20)


def test_a_french_topic_finds_the_english_writer_and_nonsense_finds_nobody(browser, server):
    page = new_page(browser)
    sign_in(page, server, THOMAS, "/experts")
    for say in (fr, en):  # the French interface, then the English one: the same people found
        if say is en:
            english(page)
            page.get_by_role("heading", name=en("experts.title")).wait_for()
        for topic, found in TOPICS.items():
            page.get_by_label(say("experts.topic")).fill(topic)
            page.get_by_role("button", name=say("experts.search")).click()
            if found:
                see(page, LARS)
                page.get_by_text(say("experts.export")).wait_for()
            else:
                see(page, say("experts.nobody"))
                assert page.get_by_text(LARS).count() == 0, topic
            assert invisible(page) == [], "names and emails copy as they read"
            no_error(page)
        shot(page, f"16-experts-real-models-{'fr' if say is fr else 'en'}")
    page.get_by_text("Français", exact=True).click()  # back, for the account's next sign-in
    page.context.close()
