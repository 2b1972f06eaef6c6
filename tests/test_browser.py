"""End to end in a real browser: `streamlit run app.py` driven by headless Chromium (Playwright).

A demo employee signs in, asks for drafts, edits one, sees the authenticity
score change while typing, and shares; then each role's pages are opened.
Screenshots of every page go to tests/artifacts/ (not committed).

Needs Debian's ``chromium`` (``make test`` installs it when it can) and the
``playwright`` Python package (dev extra); skips with the reason otherwise.
Models are the deterministic fakes, the data a temporary demo home.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "porte-voix-demo"
CAMILLE = "camille.durand@nordlys-energie.example"


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    if chromium_path() is None:
        pytest.skip("Chromium not found: run `apt-get install -y chromium` (make test tries it when it runs as root)")
    home = tmp_path_factory.mktemp("browser-home")
    env = {**os.environ, "PORTE_VOIX_HOME": str(home), "PORTE_VOIX_EMBEDDER": "fake", "PORTE_VOIX_GENERATOR": "fake",
           "PORTE_VOIX_BCRYPT_ROUNDS": "4"}
    subprocess.run([sys.executable, "-m", "assistant.cli", "demo"], env=env, check=True, cwd=ROOT,
                   capture_output=True)
    port = free_port()
    log = open(home / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not start: {(home / 'streamlit.log').read_text()[-2000:]}")
    yield {"url": url, "home": home, "env": env, "proc": proc}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)
    # Streamlit scrolls inside its main block, so grow the window to the content before the shot.
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
                           "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 1000)")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 6000)})
    page.wait_for_timeout(200)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def sign_in(browser, server, username: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server["url"])
    page.get_by_label("E-mail").fill(username)
    page.get_by_label("Mot de passe · Password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter · Sign in").click()
    page.get_by_text("Connecté·e · Signed in").wait_for(timeout=30_000)
    return page


def authenticity_score(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="Authenticité · Authenticity")
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_employee_drafts_edits_sees_the_score_move_and_shares(browser, server):
    pytest.importorskip("assistant.drafting", reason="assistant.drafting is not there yet")
    page = sign_in(browser, server, CAMILLE)
    page.get_by_role("heading", name="Mon fil · My feed").wait_for()
    page.get_by_role("button", name="Draft for me").first.wait_for(timeout=30_000)
    shot(page, "1-feed")
    page.get_by_role("button", name="Draft for me").first.click()
    page.get_by_text("Choisissez votre point de départ").wait_for(timeout=60_000)
    editor = page.locator("textarea.pv-text")
    editor.wait_for(timeout=30_000)
    page.get_by_test_id("stMetric").filter(has_text="Authenticité").wait_for(timeout=30_000)
    shot(page, "2-drafts")
    before = authenticity_score(page)
    editor.click()
    editor.press("End")
    editor.press_sequentially(" Je travaille chez Nordlys et j'ai vécu ce projet de l'intérieur : "
                              "je suis convaincue que c'est la bonne voie. Et vous ?", delay=5)
    typed = time.perf_counter()
    deadline = typed + 10
    while authenticity_score(page) == before and time.perf_counter() < deadline:
        page.wait_for_timeout(50)
    after = authenticity_score(page)
    assert after != before, "the score follows the typing without leaving the text area"
    print(f"score {before} -> {after} {time.perf_counter() - typed:.2f} s after the last keystroke")
    shot(page, "3-editing")
    share = page.get_by_role("button", name="Partager · Share")
    assert share.is_enabled()
    share.click()
    page.get_by_text("Shared!").wait_for(timeout=30_000)
    assert "utm_medium=employee-advocacy" in page.get_by_test_id("stCode").inner_text()
    assert page.get_by_role("link", name="Publier sur LinkedIn · Post on LinkedIn").get_attribute("href").startswith(
        "https://www.linkedin.com/sharing/share-offsite/?url=")
    shot(page, "4-shared")
    page.get_by_role("link", name="Mon profil · My profile").click()
    page.get_by_role("heading", name="Mon profil · My profile").wait_for()
    shot(page, "5-profile")
    page.close()


@pytest.mark.parametrize("user, link, heading, name", [
    ("lea.fontaine@nordlys-energie.example", "Authenticité · Authenticity", "Authenticité · Authenticity",
     "6-authenticity"),
    ("thomas.girard@nordlys-energie.example", "Experts", "Experts", "7-experts"),
    ("nadia.benali@nordlys-energie.example", "Bibliothèque · Library", "Bibliothèque · Library", "8-library"),
    ("nadia.benali@nordlys-energie.example", "Personnes et règles · People and rules",
     "Personnes et règles · People and rules", "9-people-and-rules"),
])
def test_each_role_opens_its_page(browser, server, user, link, heading, name):
    page = sign_in(browser, server, user)
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading).wait_for(timeout=30_000)
    if name == "7-experts":
        page.get_by_label("Sujet (français ou anglais) · Topic (French or English)").fill("cybersécurité industrielle")
        page.get_by_role("button", name="Chercher · Search").click()
        page.get_by_text("Export the list (CSV)").wait_for(timeout=30_000)
    if name == "6-authenticity":
        page.locator("canvas, svg.marks").first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, name)
    page.close()


def test_shares_were_stored(server, browser):
    """After the run: the share made in the browser is in the database (read once the server stops)."""
    pytest.importorskip("assistant.drafting", reason="assistant.drafting is not there yet")
    server["proc"].terminate()
    server["proc"].wait(timeout=20)
    code = ("from assistant.store import open_store; s = open_store(); "
            f"print(s.value('SELECT count(*) FROM shares WHERE email = ?', ['{CAMILLE}']))")
    out = subprocess.run([sys.executable, "-c", code], env=server["env"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1"
