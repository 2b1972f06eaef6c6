"""UI performance: server time per page and interaction, warm page loads and 20 concurrent sessions.

``python -m evals ui_bench [--sessions 20] [--skip-browser] [--embedder fake]``

1. Server time (``AppTest``, in process, fake models by default): each page's
   first and warm runs, and interactions that call no model (filters,
   toggles, navigation), plus the editor's rescoring (calls the embedder).
   Target: warm page under 2 s, model-free interaction under 300 ms.
2. Browser (``streamlit run`` + headless Chromium): warm navigation to each
   page, then ``--sessions`` employees at once, each signing in, drafting,
   editing and sharing. Target: no error, no lost share (all are in the
   database afterwards).

Writes ``evals/reports/ui_bench.json`` and prints a summary.

The browser finds buttons, fields and headings by their text, taken from the
interface's catalogues (``assistant/words``) rather than written here: a
page speaks one language, the signed-in employee's, so :func:`label` matches a
key's text in either language.

The installation is a throw-away home prepared in process through the
services (``assistant.demo.load``, ``indexing.embed_pending``, ``translation.translate_pending``
with the configured translator, as ``porte-voix demo`` does, accounts). The
app reads its configuration from the environment, so both the ``AppTest`` runs
and the server run in child processes whose environment is written from the
settings (:func:`evals.measure.child_env`), with ``PORTE_VOIX_PLUGINS=tests.fakes``
and the repository on ``PYTHONPATH`` when a fake model is asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import streamlit as st
from playwright.async_api import async_playwright
from streamlit.testing.v1 import AppTest

from assistant import demo
from assistant.access import accounts
from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.retrieval.indexing import embed_pending
from assistant.storage.store import close_all
from assistant.ui import i18n
from assistant.writing.translation import translate_pending

from evals.measure import ROOT, child_env, start_app

PASSWORD = "quartz-maree-vent-2026"  # passes the password policy (not a username, not a common password)
LABELS = {  # what the browser looks for → catalogue key (matched in either language: see ``label``)
    "email": "signin.email", "password": "signin.password", "sign_in": "signin.submit", "signed_in": "auth.signed_in",
    "draft": "feed.draft_for_me", "score": "score.title", "share": "feed.share", "shared": "share.ready",
    "words": "ask.label", "compose": "ask.draft", "other_words": "ask.other_words",
}
NAVIGATION = {  # page → (catalogue key of its menu link, of its heading)
    "feed": ("nav.feed", "feed.title"), "profile": ("nav.profile", "profile.title"),
    "authenticity": ("nav.authenticity", "mkt.title"), "experts": ("nav.experts", "experts.title"),
    "library": ("nav.library", "library.title"), "people": ("nav.people", "admin.title"),
}
PAGES = {"feed": ("employee", "assistant/ui/feed.py"), "profile": ("employee", "assistant/ui/profile.py"),
         "authenticity": ("marketing", "assistant/ui/marketing.py"), "experts": ("content", "assistant/ui/experts.py"),
         "library": ("admin", "assistant/ui/library.py"), "people": ("admin", "assistant/ui/admin.py")}


def label(key: str, exact: bool = False) -> re.Pattern:
    """The text of catalogue ``key`` in French or English, as a pattern for Playwright's locators; a
    placeholder (``{network}``) matches any text. ``exact``: the whole text, else found within it.

    >>> bool(label("feed.share", exact=True).search("Partager")), bool(label("feed.share", exact=True).search("Shared"))
    (True, False)
    >>> bool(label("draft.variant_k").search("✍️ Brouillon 2 sur 3"))
    True
    """
    def pattern(text: str) -> str:
        literals = [literal for literal, *_ in string.Formatter().parse(text)]
        return ".+?".join(re.escape(literal) for literal in literals)

    either = "|".join(pattern(i18n.translate(lang, key)) for lang in i18n.LANGUAGES)
    return re.compile(f"^(?:{either})$" if exact else f"(?:{either})")


def prepare_home(settings: Settings, sessions: int) -> tuple[list[str], int]:
    """Demo data (embedded, key points translated) in ``settings.home``, one bench account per ambassador
    (``sessions`` of them) and an all-roles account; returns the ambassadors' emails and the translations stored."""
    ctx = open_context(settings)
    try:
        demo.load(ctx)
        embed_pending(ctx.store, ctx.embedder, today=ctx.today())
        translated = translate_pending(ctx)  # at import, as `porte-voix demo` does: never in the app's process
        store, rounds = ctx.store, settings.bcrypt_rounds
        people = [r["email"] for r in store.rows("SELECT email FROM employees WHERE consent_program ORDER BY email")]
        users = people[:sessions]
        for email in users:
            accounts.create_account(store, email, PASSWORD, ["employee"], replace=True, rounds=rounds)
        accounts.create_account(store, "bench@nordlys-energie.example", PASSWORD, list(accounts.ROLES),
                                email=users[0], replace=True, rounds=rounds)
    finally:
        close_all()
    return users, translated


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def server_times_in_child(settings: Settings, repeat: int = 5, timeout: float = 1800) -> dict:
    """:func:`server_times` in a child process running the app under ``settings``."""
    proc = subprocess.run([sys.executable, "-m", "evals.load.ui_bench", "--server-times", "--repeat", str(repeat)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=child_env(settings))
    if proc.returncode != 0:
        raise RuntimeError(f"server timings failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def server_times(repeat: int = 5) -> dict:
    """Median/max script time per page (warm) and per interaction, measured with AppTest in this process
    (the app configures itself from this process's environment: run it through :func:`server_times_in_child`)."""
    st.set_option("client.showErrorDetails", "full")  # a failing page is reported with its traceback
    def timed(at, action=None):
        start = time.perf_counter()
        (action(at) if action else at).run()
        assert not at.exception, [(e.message, "".join(e.stack_trace[-4:])) for e in at.exception]
        return time.perf_counter() - start

    out: dict = {"pages": {}, "interactions": {}}
    for name, (_, path) in PAGES.items():
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["auth_username"] = "bench@nordlys-energie.example"
        at.run()
        at.switch_page(path)
        first = timed(at)
        warm = [timed(at) for _ in range(repeat)]
        out["pages"][name] = {"first_ms": _ms(first), "warm_median_ms": _ms(statistics.median(warm)),
                              "warm_max_ms": _ms(max(warm))}

    def interaction(name, path, action, model=False, state=None):
        """Time ``action`` on page ``path``; ``state(at)`` gives session values to set first (after sign-in)."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["auth_username"] = "bench@nordlys-energie.example"
        at.run()
        for key, value in (state(at) if state else {}).items():
            at.session_state[key] = value
        at.switch_page(path).run()
        samples = [timed(at, lambda a, i=i: action(a, i)) for i in range(repeat)]
        out["interactions"][name] = {"median_ms": _ms(statistics.median(samples)), "max_ms": _ms(max(samples)),
                                     "calls_a_model": model}

    interaction("authenticity: change the campaign filter", "assistant/ui/marketing.py",
                lambda a, i: a.selectbox(key="mkt_campaign").set_value([None, "green-week", "hiring-2026"][i % 3]))
    interaction("authenticity: move the score slider", "assistant/ui/marketing.py",
                lambda a, i: a.slider(key="mkt_score").set_value((i * 5, 100)))
    interaction("profile: toggle a consent", "assistant/ui/profile.py",
                lambda a, i: a.toggle(key="profile_consent_leaderboard").set_value(i % 2 == 0))
    interaction("library: filter the items", "assistant/ui/library.py",
                lambda a, i: a.text_input(key="lib_search").input(["green", "job", ""][i % 3]),
                state=lambda at: {"lib_tabs": i18n.translate(at.session_state[i18n.SESSION_KEY], "library.tab_items")})
    interaction("authenticity: open the near-copies tab", "assistant/ui/marketing.py",
                lambda a, i: a.session_state.__setitem__("mkt_tabs", i18n.translate(
                    a.session_state[i18n.SESSION_KEY], ["mkt.tabs.near_copies", "mkt.tabs.distribution"][i % 2])) or a)
    interaction("feed: change the number of items", "assistant/ui/feed.py",
                lambda a, i: a.slider(key="feed_limit").set_value(5 + i))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["auth_username"] = "bench@nordlys-energie.example"
    at.run()
    button = next(b for b in at.button if b.key.startswith("feed_draft_"))
    item = button.key.removeprefix("feed_draft_")
    out["interactions"]["feed: open an item (the question)"] = {"median_ms": _ms(timed(at, lambda a: button.click())),
                                                                "calls_a_model": False}
    at.text_input(key=f"feed_words_{item}").input("La semaine dernière j'en ai parlé une heure avec mon équipe")
    out["interactions"]["feed: draft with my words (3 variants)"] = {
        "median_ms": _ms(timed(at, lambda a: a.button(key=f"feed_compose_{item}").click())), "calls_a_model": False}
    key = f"feed_text_{item}_{at.radio(key=f'feed_pick_{item}').value}"
    samples = []
    for i in range(repeat):
        at.session_state[key] = {"text": f"Je travaille chez Nordlys, et voici mon avis n°{i} : c'est utile. Et vous ?"}
        samples.append(timed(at))
    out["interactions"]["feed: rescore while typing"] = {"median_ms": _ms(statistics.median(samples)),
                                                         "max_ms": _ms(max(samples)), "calls_a_model": True}
    return out


# --- browser --------------------------------------------------------------------------

async def _sign_in(context, url: str, user: str):
    page = await context.new_page()
    page.set_default_timeout(180_000)  # 20 Chromium tabs share 2 cores with the server
    await page.goto(url, wait_until="domcontentloaded")
    await page.get_by_label(label(LABELS["email"], exact=True)).fill(user)
    await page.get_by_label(label(LABELS["password"], exact=True)).fill(PASSWORD)
    await page.get_by_role("button", name=label(LABELS["sign_in"], exact=True)).click()
    await page.get_by_text(label(LABELS["signed_in"])).first.wait_for(timeout=120_000)
    return page


async def _idle(page):
    """Wait until Streamlit reports no script running."""
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=120_000)


async def warm_navigation(browser, url: str) -> dict:
    context = await browser.new_context()
    page = await _sign_in(context, url, "bench@nordlys-energie.example")
    start = time.perf_counter()
    await page.goto(url)
    await page.get_by_label(label(LABELS["email"], exact=True)).wait_for()
    out = {"sign-in page (new session)": _ms(time.perf_counter() - start)}
    page = await _sign_in(context, url, "bench@nordlys-energie.example")
    for rnd in range(2):  # the first round warms caches; the second is reported
        for name, (link, heading) in NAVIGATION.items():
            start = time.perf_counter()
            await page.get_by_role("link", name=label(link)).click()
            await page.get_by_role("heading", name=label(heading)).first.wait_for(timeout=120_000)
            await _idle(page)
            if rnd == 1:
                out[name] = _ms(time.perf_counter() - start)
    await context.close()
    return out


async def one_session(browser, url: str, user: str, delay: float = 0.0) -> dict:
    await asyncio.sleep(delay)  # ramp-up: sessions start a moment apart, then all run at once
    context = await browser.new_context()
    result = {"user": user, "ok": False}
    try:
        start = time.perf_counter()
        page = await _sign_in(context, url, user)
        await page.get_by_role("button", name=label(LABELS["draft"])).first.click()
        words = page.get_by_label(label(LABELS["words"]))  # the question first: their sentence leads the drafts
        again = page.get_by_role("button", name=label(LABELS["other_words"]))
        await words.or_(again).first.wait_for(timeout=120_000)
        if not await words.count():  # drafted before (the AppTest part drafts as the first ambassador): the item
            await again.click()      # opens on its kept drafts, and the employee starts again with other words
            await words.wait_for(timeout=120_000)
        await words.fill("La semaine dernière j'en ai parlé une heure avec mon équipe")
        await page.get_by_role("button", name=label(LABELS["compose"])).click()
        editor = page.locator("textarea.pv-text")
        await editor.wait_for(timeout=240_000)
        metric = page.get_by_test_id("stMetric").filter(has_text=label(LABELS["score"]))
        await metric.wait_for(timeout=120_000)
        before = await metric.get_by_test_id("stMetricValue").inner_text()
        await editor.click()
        await editor.press("End")
        await editor.press_sequentially(" Je travaille chez Nordlys ; j'ai vécu ce projet et j'en suis fier. Et vous ?",
                                        delay=5)
        typed = time.perf_counter()
        while await metric.get_by_test_id("stMetricValue").inner_text() == before:
            if time.perf_counter() - typed > 60:
                raise TimeoutError("score did not change")
            await page.wait_for_timeout(50)
        result["rescore_s"] = round(time.perf_counter() - typed, 2)
        await page.get_by_role("button", name=label(LABELS["share"])).first.click()
        await page.get_by_text(label(LABELS["shared"])).first.wait_for(timeout=120_000)
        result["exceptions"] = await page.get_by_test_id("stException").count()
        result["total_s"] = round(time.perf_counter() - start, 1)
        result["ok"] = result["exceptions"] == 0
    except Exception as exc:  # reported, not raised: the point is to count failures
        result["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        await context.close()
    return result


async def browser_bench(url: str, users: list[str], chromium: str) -> dict:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, headless=True,
                                          args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        navigation = await warm_navigation(browser, url)
        start = time.perf_counter()
        sessions = await asyncio.gather(*(one_session(browser, url, u, 0.5 * n) for n, u in enumerate(users)))
        wall = time.perf_counter() - start
        await browser.close()
    return {"warm_navigation_ms": navigation, "sessions": sessions, "concurrent_wall_s": round(wall, 1)}


def count_shares(settings: Settings, users: list[str]) -> int:
    """Shares made by the bench users in this run (the demo's seeded shares have ids ``demo-…``)."""
    try:
        return open_context(settings).store.value(
            "SELECT count(*) FROM shares WHERE list_contains(?, email) AND id NOT LIKE ?", [users, "demo-%"])
    finally:
        close_all()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its children it has waited for (Linux: a translation
    process the app ran counts), to tell server load from browser load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    """The machine's 1-minute load average (what ``uptime`` prints first): the bench shares 2 cores."""
    return os.getloadavg()[0]


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--embedder", default="fake")
    ap.add_argument("--generator", default="fake")
    ap.add_argument("--bcrypt-rounds", type=int, default=10, help="cost of the bench accounts' hashes (not measured)")
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--repeat", type=int, default=5, help="runs per page and interaction (AppTest)")
    ap.add_argument("--server-times", action="store_true", help=argparse.SUPPRESS)  # the child side
    args = ap.parse_args(argv)
    if args.server_times:
        print(json.dumps(server_times(args.repeat)))
        return 0
    fakes = ("tests.fakes",) if "fake" in (args.embedder, args.generator) else ()
    home = Path(tempfile.mkdtemp(prefix="porte-voix-ui-bench-"))
    bench = settings.but(home=home, embedder=args.embedder, generator=args.generator, bcrypt_rounds=args.bcrypt_rounds,
                         plugins=tuple(dict.fromkeys([*settings.plugins, *fakes])))
    started = time.perf_counter()
    users, translated = prepare_home(bench, args.sessions)
    report = {"embedder": args.embedder, "generator": args.generator, "translator": bench.translator,
              "setup": {"seconds": round(time.perf_counter() - started, 1), "translations_stored": translated},
              "cpus": os.cpu_count(), "load_average_1m": {"start": round(load_average(), 1)},
              "server": server_times_in_child(bench, args.repeat)}
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not args.skip_browser and chromium:
        proc = start_app("app.py", bench, args.port)
        try:
            cpu = cpu_seconds(proc.pid)
            report["load_average_1m"]["browser_start"] = round(load_average(), 1)
            report["browser"] = asyncio.run(browser_bench(f"http://127.0.0.1:{args.port}", users, chromium))
            report["browser"]["server_cpu_s"] = round(cpu_seconds(proc.pid) - cpu, 1)
            report["load_average_1m"]["browser_end"] = round(load_average(), 1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        sessions = report["browser"]["sessions"]
        report["browser"]["summary"] = {
            "sessions": len(sessions), "ok": sum(s["ok"] for s in sessions),
            "errors": [s.get("error") for s in sessions if not s["ok"]],
            "shares_stored": count_shares(bench, users),
            "rescore_s_median": statistics.median([s["rescore_s"] for s in sessions if "rescore_s" in s] or [0]),
            "session_s_max": max([s.get("total_s", 0) for s in sessions] or [0])}
    out = ROOT / "evals" / "reports" / "ui_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(json.dumps({k: v for k, v in report.items() if k != "browser"}, indent=2, ensure_ascii=False))
    if "browser" in report:
        print(json.dumps({"warm_navigation_ms": report["browser"]["warm_navigation_ms"],
                          "concurrent_wall_s": report["browser"]["concurrent_wall_s"],
                          "server_cpu_s": report["browser"]["server_cpu_s"],
                          **report["browser"]["summary"]}, indent=2, ensure_ascii=False))
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
