"""Three Streamlit app processes over one PostgreSQL store, in a real browser (slow).

What a load balancer spreading people over several ``streamlit run serve.py`` processes needs: a person
signed in on one process is signed in on the others (the signed session cookie, checked against the
sessions in the database), and signing out on one ends the session on all. The three processes share
one home (its keys) and the tests' PostgreSQL server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.browser.conftest import (
    CAMILLE,
    CHROMIUM_ARGS,
    chromium_path,
    fr,
    free_port,
    new_page,
    sign_in,
)
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def apps(postgres_server, tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    if chromium_path() is None:
        pytest.skip("Chromium not found: run `apt-get install -y chromium`")
    home = tmp_path_factory.mktemp("three-apps")
    env = {**os.environ, "PORTE_VOIX_HOME": str(home), "PORTE_VOIX_EMBEDDER": "fake", "PORTE_VOIX_GENERATOR": "fake",
           "PORTE_VOIX_TRANSLATOR": "none", "PORTE_VOIX_PLUGINS": "tests.fakes", "PYTHONPATH": str(ROOT),
           "PORTE_VOIX_BCRYPT_ROUNDS": "4",
           "PORTE_VOIX_DATABASE_URL": postgres_server.create_database("three_apps", template="pv_template")}
    subprocess.run([sys.executable, "-m", "assistant.cli", "demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    procs, urls = [], []
    for n in range(3):
        port = free_port()
        log = open(home / f"streamlit-{n}.log", "w")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.time() + 120
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if time.time() > deadline:
                        pytest.fail(f"streamlit at {url} did not start")
                    time.sleep(0.3)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def test_signed_in_on_one_process_is_signed_in_on_the_others_and_out_everywhere(apps):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = new_page(browser)
            sign_in(page, {"url": apps[0]}, CAMILLE)
            deadline = time.time() + 30  # the page's cookie bridge sets the cookie just after sign-in
            while not any(c["name"] == "pv_session" for c in page.context.cookies()) and time.time() < deadline:
                page.wait_for_timeout(100)
            for url in apps[1:]:  # another process, the same browser: no sign-in form, the feed
                page.goto(url)
                page.get_by_role("button", name=fr("auth.sign_out")).wait_for()
                page.get_by_role("heading", name=fr("feed.title")).wait_for()
            page.get_by_role("button", name=fr("auth.sign_out")).click()  # on the third process
            page.get_by_role("button", name=fr("signin.submit")).wait_for()
            page.goto(apps[0])  # the first process no longer accepts the cookie's session
            page.get_by_role("button", name=fr("signin.submit")).wait_for()
            assert page.get_by_role("button", name=fr("auth.sign_out")).count() == 0
        finally:
            browser.close()
