"""Shared by the tests of this folder (moved here from test_browser.py): fixtures and helpers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.request

import pytest

from assistant.ui.i18n import translate
from tests.conftest import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"


PASSWORD = "porte-voix-demo"


CAMILLE = "camille.durand@nordlys-energie.example"


LEA = "lea.fontaine@nordlys-energie.example"


THOMAS = "thomas.girard@nordlys-energie.example"


NADIA = "nadia.benali@nordlys-energie.example"


DESKTOP, PHONE = 1280, 390


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


WAIT = 60_000  # ms: generous, the machine is shared


def fr(key: str, **values) -> str:
    return translate("fr", key, **values)


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
           "PORTE_VOIX_TRANSLATOR": "fake",
           "PORTE_VOIX_PLUGINS": "tests.fakes,tests.slow_fakes", "PYTHONPATH": str(ROOT), "PORTE_VOIX_BCRYPT_ROUNDS": "4"}
    subprocess.run([sys.executable, "-m", "assistant.cli", "demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    env["PORTE_VOIX_GENERATOR"] = "fake-slow"  # drafts take a few seconds, as with a model: the waiting can be seen
    port = free_port()
    log = open(home / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
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
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, width: int = DESKTOP, locale: str = "fr-FR"):
    """A fresh browser profile (no cookie) at ``width``; phones get a touch screen and a phone's scale."""
    phone = width < 600
    context = browser.new_context(viewport={"width": width, "height": 844 if phone else 900}, locale=locale,
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
    context.set_default_timeout(WAIT)
    return context.new_page()


def shot(page, name: str, settle: bool = True) -> None:
    """A full-length screenshot (Streamlit scrolls inside its main block, so the window grows to it first),
    once the app is idle unless ``settle`` is False (to show a step in progress)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if settle:
        idle(page)
    size = page.viewport_size
    height = page.evaluate("() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
                           "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 600)")
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 120, 8000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{'phone' if size['width'] < 600 else 'desktop'}.png"),
                    full_page=True)
    page.set_viewport_size(size)


def idle(page) -> None:
    """Wait until the app has finished running (no "running" indicator, nothing stale on screen)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget] [data-testid=stStatusWidgetRunningIcon],"
                           " [data-stale=true]')", timeout=WAIT)
    page.wait_for_timeout(300)


def sign_in(page, server, username: str, path: str = "") -> None:
    page.goto(server["url"] + path)
    page.get_by_label(fr("signin.email")).fill(username)
    page.get_by_label(fr("signin.password")).fill(PASSWORD)
    page.get_by_role("button", name=fr("signin.submit")).click()
    page.get_by_role("button", name=fr("auth.sign_out")).wait_for()


def signed_in_cookie(page, wait_s: float = 30.0) -> None:
    """Wait until the browser holds the session cookie (set by the page's cookie bridge after sign-in)."""
    deadline = time.time() + wait_s
    while not any(c["name"] == "pv_session" for c in page.context.cookies()) and time.time() < deadline:
        page.wait_for_timeout(100)
    assert any(c["name"] == "pv_session" for c in page.context.cookies()), "no session cookie after sign-in"


def see(page, text: str, exact: bool = False) -> None:
    """Wait for ``text``; on failure keep a screenshot and say what the page showed instead."""
    try:
        page.get_by_text(text, exact=exact).first.wait_for()
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "FAILED.png"))
        shown = page.locator("[data-testid=stMain]").inner_text(timeout=5000)[:800]
        raise AssertionError(f"{text!r} not shown at {page.url}; the page shows: {shown!r}") from None


def no_error(page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_text("Page not found").count() == 0


WORDS = "la semaine dernière, j'ai présenté ce sujet à mon équipe et on en a parlé une heure"


def answer(page, words: str) -> None:
    """Answer the editor's question with ``words`` and wait for the drafts built on them."""
    page.get_by_label(fr("ask.label")).fill(words)
    page.get_by_role("button", name=fr("ask.draft")).click()
    page.get_by_text(fr("feed.pick")).wait_for()


def filled_editor(page):
    """The draft editor once its text is in: the component sets the textarea's value just after it mounts,
    so a bare read right after the page settles can see it still empty."""
    from playwright.sync_api import expect

    editor = page.locator("textarea.pv-text")
    expect(editor).not_to_have_value("", timeout=30_000)
    return editor


def score(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=fr("score.title"))
    return metric.get_by_test_id("stMetricValue").inner_text()


def en(key: str, **values) -> str:
    return translate("en", key, **values)


def invisible(page) -> list[str]:
    """Invisible characters (Unicode format characters such as U+2060) in what the page shows."""
    text = page.locator("[data-testid=stMain]").inner_text()
    return sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cf"})


def english(page) -> None:
    page.get_by_text("English", exact=True).click()
    page.get_by_role("button", name=en("auth.sign_out")).wait_for()
