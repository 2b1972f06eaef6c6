"""Scale test of the deployment in deploy/, on one machine (slow): the real app, replicas, an import, a backup.

What runs, each started as deploy/ says (a broken deploy file fails this test):

- a PostgreSQL server of its own (``evals/postgres_server.py``) with ``deploy/postgresql.conf``'s settings
  set by ``ALTER SYSTEM`` (the server checks every name and value; the listening address and the memory sizes
  are the test's);
- the environment of every process read from ``deploy/porte-voix.env`` (each key must be a setting
  ``assistant/config.py`` knows), with the test's database URL, home, addresses and ports put in, the fake
  models (``PORTE_VOIX_GENERATOR=openai`` needs ``porte-voix-model.service``'s GPU machine) and cheap
  password hashes;
- three ``streamlit run serve.py`` app processes from ``porte-voix-app@.service``'s ExecStart (``%i``: a free
  port), two ``porte-voix links serve`` replicas from ``porte-voix-links.service``'s, as two click hosts:
  each with its own home, the unit's two environment files (``porte-voix-links.env`` last) and the click role
  that deploy/README.md's SQL creates; one is killed with SIGKILL once half the sessions have shared and
  started again a second later (``Restart=always``, ``RestartSec=1``: it forwards what its log still held);
  and ``deploy/nginx.conf`` in front (nginx run unprivileged,
  plain HTTP on free ports: the TLS lines are taken out; ``ip_hash`` becomes the ``hash $cookie_pv_route``
  the file names as its alternative, because every client here comes from 127.0.0.1 and ip_hash would send
  them all to one process; each browser carries its own route cookie);
- 20 scripted employees in one headless Chromium (20 tabs: Playwright and Debian's chromium, as
  ``evals/load/ui_bench.py``, whose helpers they use), through nginx: sign in, open an item, type their own
  words, draft, edit the draft (typing a sentence of their own), share, confirm the post, visit their short
  link through nginx's click-service host; they start again with the next item until ``PV_SCALE_SECONDS``
  (default 60) have passed since the first started; meanwhile the public clicks the latest short links on
  each replica's port, a ``porte-voix ingest`` imports the demo library, and ``porte-voix engagement sync`` runs
  every 10 s (the app processes' own sync too);
- at the end, the replicas stopped (SIGTERM: they forward their last hits) and a last ``porte-voix engagement
  sync``; then ``porte-voix backup`` (it points to pg_dump on PostgreSQL) and ``porte-voix-backup.service``'s
  ExecStart (pg_dump and the app home's tarball), restored with ``pg_restore`` into a second database.

Then: no session saw an error or failed a step; no server's log holds a traceback; nginx kept each browser on
one app process and used all three; every share a session confirmed is in the store, posted, with the words
that session typed, and no autosave is left; every redirect answered (the public's, the killed replica's
included, and the sessions' own visits through nginx) is counted exactly once; the restored database has
every share.

Why a browser and not a protocol client: 20 tabs and three servers fit the 2 cores in about 4 minutes even
with the machine's other jobs (figures in the README, "Several processes: PostgreSQL"). Homes: each app
process and each replica has its own (on PostgreSQL the keys, the erasure salt and the policy are the
database's); the CLI commands (demo, ingest, sync) run with a fourth, as an operator's machine would. Nothing
but the database is shared. Not run: ``porte-voix-model.service`` (a 7B model on a
GPU machine); systemd itself (users, sandboxing); TLS; the click role's password (the test's server trusts
local connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.click_server import click_role, free_port, request, wait_until
from tests.conftest import DEMO, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SECONDS = float(os.environ.get("PV_SCALE_SECONDS", "60"))
SESSIONS = 20
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent  # the units' /opt/porte-voix/.venv/bin
BOT_FREE = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}


def env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of an EnvironmentFile (comments and blank lines skipped)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
            out[key.strip()] = value.strip()
    return out


def unit_service(name: str) -> dict[str, str]:
    """The ``[Service]`` section of ``deploy/systemd/<name>``, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "systemd" / name).read_text())
    section, out = None, {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = f"{out[key]}\n{value}" if key == "EnvironmentFile" and key in out else value
    return out


def exec_start(name: str, **subs: str) -> list[str]:
    """A unit's ExecStart as an argument list: /opt/porte-voix's paths become this checkout's, systemd's ``%%``
    a ``%``, then ``subs`` (``{"%i": "8501"}``). systemd would expand ``${VAR}``: the units use none."""
    line = unit_service(name)["ExecStart"]
    assert "${" not in line, f"{name}: ${{VAR}} is expanded by systemd, not by the shell"
    line = line.replace("/opt/porte-voix/.venv/bin/", f"{BIN}/").replace("/opt/porte-voix", str(ROOT))
    for old, new in subs.items():
        line = line.replace(old, new)
    return shlex.split(line.replace("%%", "%"))


def deploy_env(unit: str, **subs: str) -> dict[str, str]:
    """A unit's environment: its EnvironmentFiles read from deploy/ in order (a later one wins), with the test's
    values put in (``subs``: keys without ``PORTE_VOIX_``, each one the files set), plus what only a test sets
    (the fake models, cheap hashes)."""
    from assistant.config import load_settings

    values: dict[str, str] = {}
    for ref in unit_service(unit)["EnvironmentFile"].splitlines():
        assert ref.lstrip("-").startswith("/etc/porte-voix/"), f"{unit}: {ref}"
        values.update(env_file(DEPLOY / Path(ref.lstrip("-")).name))
    for key in subs:
        assert f"PORTE_VOIX_{key}" in values or key in TEST_ONLY, f"{unit}'s files set no PORTE_VOIX_{key}"
    values.update({f"PORTE_VOIX_{k}": v for k, v in subs.items()})
    assert load_settings(values).extra == {}, f"{unit}'s files set variables the product does not know"
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
            "PYTHONPATH": str(ROOT), **values}


TEST_ONLY = {"EMBEDDER", "TRANSLATOR", "PLUGINS", "BCRYPT_ROUNDS"}


def configure_postgres(server) -> list[str]:
    """deploy/postgresql.conf's settings on the test's server (``ALTER SYSTEM``: PostgreSQL rejects an unknown
    name or a bad value), but for the listening address and the memory sizes; returns the settings applied."""
    import psycopg
    from psycopg import sql

    skip = {"listen_addresses", "shared_buffers", "effective_cache_size", "maintenance_work_mem", "max_wal_size"}
    applied = []
    with psycopg.connect(server.url(), autocommit=True) as con:
        for line in (DEPLOY / "postgresql.conf").read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, _, value = (part.strip() for part in line.partition("="))
            if name in skip:
                continue
            con.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value.strip("'"))))
            applied.append(name)
        con.execute("SELECT pg_reload_conf()")
    return applied


class Nginx:
    """deploy/nginx.conf, unprivileged (the ``nobody`` user under root), plain HTTP on two free ports."""

    def __init__(self, app_ports: list[int], link_ports: list[int]):
        self.folder = Path(tempfile.mkdtemp(prefix="pv-nginx-"))
        self.app_port, self.links_port = free_port(), free_port()
        conf = (DEPLOY / "nginx.conf").read_text()
        conf = re.sub(r"^\s*ssl_certificate.*\n", "", conf, flags=re.MULTILINE)
        listens = iter((self.app_port, self.links_port))
        conf, n = re.subn(r"listen 443 ssl http2;", lambda m: f"listen 127.0.0.1:{next(listens)};", conf)
        assert n == 2, "nginx.conf: the app's and the click service's server blocks"
        for deployed, port in zip((8501, 8511, 8521), app_ports):
            conf = _one(conf, f"server 127.0.0.1:{deployed};", f"server 127.0.0.1:{port};")
        conf = _one(conf, "ip_hash;", "hash $cookie_pv_route consistent;")
        links = re.search(r"server 127\.0\.0\.1:8502( [^;]*);", conf)
        assert links, "nginx.conf: the click service's upstream"
        conf = conf.replace(links.group(0), " ".join(f"server 127.0.0.1:{p}{links.group(1)};" for p in link_ports))
        f = self.folder
        (f / "nginx.conf").write_text(
            f"daemon off;\nworker_processes 1;\npid {f}/nginx.pid;\nerror_log {f}/error.log;\n"
            "events { worker_connections 1024; }\nhttp {\n"
            "  log_format route '$cookie_pv_route|$request_uri|$status|$upstream_addr';\n"
            f"  access_log {f}/access.log route;\n"
            + "".join(f"  {kind}_temp_path {f}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + conf + "\n}\n")
        command = [nginx_path(), "-p", str(f), "-e", str(f / "error.log"), "-c", str(f / "nginx.conf")]
        if os.geteuid() == 0:  # unprivileged, as the test's PostgreSQL: nobody owns the folder
            for path in [f, *f.iterdir()]:
                os.chown(path, 65534, 65534)
            command = ["runuser", "-u", "nobody", "--", *command]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def routes(self) -> dict[str, set[str]]:
        """Which app processes served each route cookie's websocket (Streamlit's /_stcore/stream)."""
        out: dict[str, set[str]] = {}
        for line in (self.folder / "access.log").read_text().splitlines():
            route, uri, _status, upstream = line.split("|", 3)
            if uri.startswith("/_stcore/stream") and route != "-":
                out.setdefault(route, set()).add(upstream)
        return out

    def errors(self) -> str:
        return (self.folder / "error.log").read_text() if (self.folder / "error.log").exists() else ""

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)
        shutil.rmtree(self.folder, ignore_errors=True)


def nginx_path() -> str | None:
    """Debian's nginx (in /usr/sbin, which a user's PATH may lack), or None."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def _one(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"nginx.conf: expected one {old!r}"
    return text.replace(old, new)


def _healthy(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def _store_ok(port: int, seen: dict) -> bool:
    """Whether the replica on ``port`` answers and its last turn with the store went through (``seen``: its
    ``/healthz``, for the message)."""
    try:
        seen[port] = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2))
    except (OSError, ValueError):
        return False
    return seen[port].get("store", {}).get("state") == "ok"


def _click_accounts(store, tmp_path: Path, link_ports: list[int]) -> dict:
    """Each replica's hits: in its local log, its mark in the store, and the forwarded rows not yet folded."""
    accounts = {}
    for port in link_ports:
        with contextlib.closing(sqlite3.connect(tmp_path / f"links-{port}" / "clicks.sqlite3")) as log:
            (replica,) = log.execute("SELECT id FROM replica").fetchone()
            local = log.execute("SELECT count(*), max(id) FROM hits").fetchone()
        accounts[port] = {"local_hits": local[0], "local_max_id": local[1], "forwarded_upto": store.value(
            "SELECT hits_upto FROM click_replicas WHERE replica = ?", [replica]), "unfolded": store.value(
            "SELECT count(*) FROM click_hits WHERE replica = ?", [replica])}
    return accounts


# --- one employee, in a browser tab ------------------------------------------------------------------------

async def employee(browser, front: str, links_base: str, user: str, n: int, until: list[float], tally: dict) -> dict:
    """Rounds of: open an item, their words, draft, edit, share, confirm, visit the short link, until the time is
    up (one round at least); returns what they confirmed and what went wrong."""
    from playwright.async_api import expect

    from evals.load.ui_bench import LABELS, _sign_in, label
    from tests.browser.conftest import ARTIFACTS

    await asyncio.sleep(0.5 * n)  # a ramp-up, as ui_bench: then all at once
    context = await browser.new_context()
    await context.add_cookies([{"name": "pv_route", "value": f"s{n}", "url": front}])
    out = {"user": user, "confirmed": [], "errors": [], "answered": 0, "step": "sign in"}
    try:
        page = await _sign_in(context, front, user)
        for rnd in itertools.count():
            words = f"Retour d'expérience {n}-{rnd} : notre équipe a testé ce sujet sur le terrain cette semaine"
            edit = f" Je travaille chez Nordlys ; l'essai {n}-{rnd} m'a appris beaucoup. Et vous ?"
            out["step"] = "open"
            await page.get_by_role("button", name=label(LABELS["draft"])).first.click()
            question = page.get_by_label(label(LABELS["words"]))
            again = page.get_by_role("button", name=label(LABELS["other_words"]))
            await question.or_(again).first.wait_for()
            if not await question.count():  # an item drafted before opens on its drafts: other words
                await again.click()
                await question.wait_for()
            out["step"] = "draft"
            await question.fill(words)
            await page.get_by_role("button", name=label(LABELS["compose"])).click()
            editor = page.locator("textarea.pv-text")
            await expect(editor).not_to_have_value("", timeout=240_000)  # their words lead it, in the item's language
            out["step"] = "edit"
            metric = page.get_by_test_id("stMetric").filter(has_text=label(LABELS["score"]))
            before = await metric.get_by_test_id("stMetricValue").inner_text()
            await editor.click()
            await editor.press("Control+End")
            await editor.press_sequentially(edit, delay=5)
            await expect(metric.get_by_test_id("stMetricValue")).not_to_have_text(before, timeout=180_000)
            out["step"] = "share"
            share = page.get_by_role("button", name=label(LABELS["share"])).first
            await expect(share).to_be_enabled(timeout=180_000)
            await share.click()
            confirm = page.get_by_role("button", name=label("share.confirm")).first
            await confirm.wait_for()
            text = await page.locator("[data-testid=stCode]").first.inner_text()
            assert edit.strip() in " ".join(text.split()), f"the shared text lost the edit: …{text[-300:]!r}"
            out["step"] = "confirm"
            out["pending"] = edit.strip()
            await confirm.click()
            await page.get_by_text(label("share.posted")).first.wait_for()
            out["confirmed"].append(out.pop("pending"))
            tally["confirmed"] += 1
            if await page.get_by_test_id("stException").count():
                out["errors"].append("an exception shown")
            out["step"] = "visit"
            link = re.search(re.escape(links_base) + r"/\S+", text)
            assert link, f"no short link in the shared text: {text[:300]!r}"
            visit = await context.request.get(link.group(0).rstrip(".,)"), max_redirects=0, headers=BOT_FREE)
            if 300 <= visit.status < 400:
                out["answered"] += 1
            else:
                out["errors"].append(f"short link: {visit.status}")
            if time.monotonic() > until[0]:
                break
            await page.goto(front)
    except Exception as exc:  # reported, not raised: every session is counted
        out["errors"].append(f"{out['step']}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        with contextlib.suppress(Exception):  # what the page showed instead, and a screenshot in tests/artifacts
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"scale-{n}-FAILED.png"), full_page=True)
            shown = await page.locator("[data-testid=stMain]").inner_text(timeout=5000)
            out["errors"].append(f"{page.url} shows: {' '.join(shown.split())[:400]!r}")
    finally:
        await context.close()
    return out


async def employees(front: str, links_base: str, users: list[str], until: list[float], tally: dict) -> list[dict]:
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(employee(browser, front, links_base, u, n, until, tally)
                                          for n, u in enumerate(users)))
        finally:
            await browser.close()


# --- the test ----------------------------------------------------------------------------------------------

def test_the_deployment_on_one_machine_under_twenty_browser_sessions(tmp_path):
    pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install -e '.[dev]')")
    pytest.importorskip("duckdb_extension_postgres")
    from evals.postgres_server import PostgresServer, binaries
    from tests.browser.conftest import chromium_path

    if chromium_path() is None or binaries() is None or nginx_path() is None:
        pytest.skip("needs Debian's chromium, postgresql and nginx (make system-deps installs them)")
    from assistant.access import accounts
    from assistant.config import Settings
    from assistant.context import open_context
    from assistant.storage.store import close_all
    from evals.load.ui_bench import PASSWORD, cpu_seconds

    started = time.monotonic()
    server = PostgresServer.start()
    procs: list[subprocess.Popen] = []
    nginx = None
    try:
        applied = configure_postgres(server)
        url = server.create_database("porte_voix")
        home = tmp_path / "home"
        app_ports, link_ports = [free_port() for _ in range(3)], [free_port() for _ in range(2)]
        nginx = Nginx(app_ports, link_ports)
        front, links_base = f"http://127.0.0.1:{nginx.app_port}", f"http://127.0.0.1:{nginx.links_port}"
        env = deploy_env("porte-voix-app@.service", DATABASE_URL=url, HOME=str(home), APP_BASE_URL=front, LINKS_BASE_URL=links_base,
                         TRUSTED_PROXIES="127.0.0.1", GENERATOR="fake", EMBEDDER="fake", TRANSLATOR="none",
                         PLUGINS="tests.fakes", BCRYPT_ROUNDS="4")
        run = dict(cwd=unit_service("porte-voix-app@.service")["WorkingDirectory"].replace("/opt/porte-voix",
                                                                                         str(ROOT)))

        def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
            done = subprocess.run([f"{BIN}/porte-voix", *args], env=env, capture_output=True, text=True, timeout=300,
                                  check=False, **run)
            assert done.returncode == 0 or not ok, f"porte-voix {' '.join(args)}: {done.stderr[-2000:]}"
            return done

        cli("demo")
        ctx = open_context(Settings(home=home, database_url=url, embedder="fake", generator="fake",
                                    translator="none", bcrypt_rounds=4, plugins=("tests.fakes",)))
        store = ctx.store
        users = [r["email"] for r in store.rows(
            "SELECT email FROM employees WHERE consent_program ORDER BY email LIMIT ?", [SESSIONS])]
        assert len(users) == SESSIONS
        for email in users:
            accounts.create_account(store, email, PASSWORD, ["employee"], replace=True, rounds=4)

        logs = {}
        def start(name: str, command: list[str], extra: dict | None = None) -> subprocess.Popen:  # extra: its env
            logs[name] = tmp_path / f"{name}.log"
            proc = subprocess.Popen(command, env=extra or env, stdout=logs[name].open("a"),
                                    stderr=subprocess.STDOUT, preexec_fn=lambda: os.umask(0o077), **run)
            procs.append(proc)
            return proc

        apps = [start(f"app-{port}", exec_start("porte-voix-app@.service", **{"%i": str(port)}),  # a home each
                      {**env, "PORTE_VOIX_HOME": str(tmp_path / f"app-{port}")}) for port in app_ports]
        links_url = click_role(server.url("porte_voix"), "scale-test")

        def replica(port: int) -> subprocess.Popen:  # a click host: its own home, the click role
            return start(f"links-{port}", exec_start("porte-voix-links.service"), deploy_env(
                "porte-voix-links.service", DATABASE_URL=links_url, HOME=str(tmp_path / f"links-{port}"),
                LINKS_BASE_URL=links_base, LINKS_PORT=str(port), TRUSTED_PROXIES="127.0.0.1",
                EMBEDDER="fake", PLUGINS="tests.fakes"))

        replicas = [replica(port) for port in link_ports]
        for port in app_ports:
            assert wait_until(lambda port=port: _healthy(f"http://127.0.0.1:{port}/_stcore/health"), 120), \
                logs[f"app-{port}"].read_text()[-2000:]
        for port in link_ports:
            assert wait_until(lambda port=port: _healthy(f"http://127.0.0.1:{port}/healthz"), 60), \
                logs[f"links-{port}"].read_text()[-2000:]
        assert wait_until(lambda: _healthy(f"{front}/_stcore/health"), 30), nginx.errors()
        assert _healthy(f"{links_base}/healthz")
        cpu_before = {p.pid: cpu_seconds(p.pid) for p in apps + replicas}
        ready = time.monotonic()

        importer = start("ingest", [f"{BIN}/porte-voix", "ingest", str(DEMO / "content")])
        tally, stop = {"confirmed": 0}, threading.Event()
        public = {port: 0 for port in link_ports}  # redirects each replica answered the public
        refused: list = []
        syncs: list[int] = []
        killed = []

        def the_public():  # clicks on the latest posts' short links, straight to each replica's port (a click on a
            # link not yet confirmed would confirm it first, as the product does, and the session's own "I posted
            # it" would then meet a post already confirmed)
            dead = set()
            for port in itertools.cycle(link_ports):
                if stop.is_set():
                    return
                codes = [r["short_code"] for r in store.rows(
                    "SELECT short_code FROM shares WHERE status = 'posted' AND short_code IS NOT NULL AND id NOT LIKE 'demo-%' "
                    "ORDER BY shared_at DESC LIMIT 10")]
                for code in [] if port in dead else codes:
                    try:
                        status = request(port, "GET", f"/{code}", BOT_FREE)[0]
                    except OSError:  # the killed replica: the balancer sends the rest to the other one
                        dead.add(port)
                        break
                    if 300 <= status < 400:
                        public[port] += 1
                    else:
                        refused.append(status)
                stop.wait(0.2)

        def operator():  # the CLI sync every 10 s
            last = time.monotonic()
            while not stop.wait(1):
                if time.monotonic() - last > 10:
                    syncs.append(cli("engagement", "sync", ok=False).returncode)
                    last = time.monotonic()

        def kill_one():  # SIGKILL to a replica once half the sessions have shared, on its own thread: a sync that
            # takes long under load must not delay it past the load's end (a CI run once never killed it)
            while True:
                ended = stop.wait(0.2)
                if tally["confirmed"] >= SESSIONS // 2:
                    replicas[0].kill()
                    killed.append(public[link_ports[0]])
                    replicas[0].wait()
                    time.sleep(1)  # Restart=always, RestartSec=1: it forwards what its log still holds
                    replicas[0] = replica(link_ports[0])
                    return
                if ended:
                    return

        threads = [threading.Thread(target=target) for target in (the_public, operator, kill_one)]
        for thread in threads:
            thread.start()
        until = [time.monotonic() + SECONDS]
        try:
            sessions = asyncio.run(employees(front, links_base, users, until, tally))
        finally:
            stop.set()
            for thread in threads:
                thread.join(180)
        load_s = time.monotonic() - ready
        cpu = {p.pid: cpu_seconds(p.pid) - cpu_before.get(p.pid, 0) for p in apps + replicas if p.poll() is None}
        assert importer.wait(300) == 0, logs["ingest"].read_text()[-2000:]
        # as systemd's Restart=always keeps it: the restarted replica up and its first turn done (it forwarded
        # what its log held when it was killed) before the operator stops the service
        health = {}
        for port in link_ports:
            assert wait_until(lambda port=port: _store_ok(port, health), 120), \
                (health.get(port), logs[f"links-{port}"].read_text()[-2000:])
        for proc in replicas:  # SIGTERM: each commits and forwards its last hits, then exits
            proc.send_signal(signal.SIGTERM)
        codes = [proc.wait(60) for proc in replicas]
        assert set(codes) <= {0, -signal.SIGTERM}, [(code, logs[f"links-{port}"].read_text()[-1500:])
                                                    for code, port in zip(codes, link_ports)]
        cli("engagement", "sync")

        # the sessions: no error, every share they confirmed posted with their words, no autosave left
        errors = {s["user"]: (s["errors"], len(s["confirmed"]), store.value(  # an unconfirmed share's state
            "SELECT max(status) FROM shares WHERE contains(text, ?)", [s["pending"]]) if "pending" in s else None)
            for s in sessions if s["errors"]}
        assert not errors, f"{len(errors)} sessions failed: {errors}"
        assert syncs and set(syncs) == {0}, syncs
        confirmed = sum(len(s["confirmed"]) for s in sessions)
        for s in sessions:
            assert s["confirmed"], s["user"]
            for words in s["confirmed"]:
                assert store.value("SELECT count(*) FROM shares WHERE email = ? AND status = 'posted' AND "
                                   "contains(text, ?)", [s["user"], words]) == 1, (s["user"], words)
        assert store.value("SELECT count(*) FROM shares WHERE list_contains(?, email) AND id NOT LIKE 'demo-%'",
                           [users]) == confirmed
        assert store.value("SELECT count(*) FROM autosaves WHERE list_contains(?, email)", [users]) == 0
        # the logs: no traceback in any server, nginx started cleanly
        for name, path in logs.items():
            text = path.read_text()
            assert "Traceback" not in text and "Uncaught app exception" not in text, f"{name}: {text[-3000:]}"
        # nginx: each browser stayed on one app process; all three served
        routes = nginx.routes()
        assert len(routes) == SESSIONS and all(len(upstreams) == 1 for upstreams in routes.values()), routes
        spread = {u for upstreams in routes.values() for u in upstreams}
        assert spread == {f"127.0.0.1:{p}" for p in app_ports}, routes
        # the clicks: a replica was killed mid-load; every redirect answered is counted once
        assert killed and public[link_ports[0]] > 0, (killed, public)
        assert refused == []
        answered = sum(public.values()) + sum(s["answered"] for s in sessions)
        hits = store.value("SELECT sum(hits) FROM share_totals WHERE share_id NOT LIKE 'demo-%'")
        assert hits == answered, (f"{answered} redirects answered, {hits} counted; replicas at the end: {health}; "
                                  f"their logs against the store: {_click_accounts(store, tmp_path, link_ports)}")
        assert store.value("SELECT count(*) FROM content") > 50
        # the marketing page's replicas: the two click hosts (one restarted under its id), not the app processes'
        # nor the operator's homes, whose logs only their sync forwarded
        from assistant.reporting import sync

        listed = sync.replicas(store)
        assert len(listed) == 2 and store.value("SELECT count(*) FROM click_replicas") > 2, listed

        # the backup unit's command; what it writes restores
        shares = store.value("SELECT count(*) FROM shares")
        told = cli("backup", str(tmp_path / "home-backup"), ok=False)
        assert "pg_dump" in told.stdout + told.stderr
        backups, app_home = tmp_path / "backups", tmp_path / f"app-{app_ports[0]}"  # on the first app machine
        files = {f"./{p.relative_to(app_home)}" for p in app_home.rglob("*")
                 if p.is_file() and p.relative_to(app_home).parts[0] not in ("models", "duckdb_extensions")
                 and ".sqlite3" not in p.name}  # live SQLite files: forwarded to the store, left out
        made = subprocess.run(exec_start("porte-voix-backup.service", **{"/var/backups/porte-voix": str(backups)}),
                              env=deploy_env("porte-voix-backup.service", DATABASE_URL=url, HOME=str(app_home)),
                              check=False, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr[-2000:]
        (day,) = backups.iterdir()
        assert {p.name for p in day.iterdir()} == {"porte-voix.dump", "home.tar.gz"}
        listing = subprocess.run(["tar", "-tzf", str(day / "home.tar.gz")], check=True, capture_output=True,
                                 text=True).stdout
        assert "./" in listing.splitlines() and files <= set(listing.splitlines()), (files, listing)  # models aside
        assert not [name for name in listing.splitlines() if ".sqlite3" in name], listing
        restored = server.create_database("restored")
        subprocess.run(["pg_restore", "--no-owner", "--dbname", restored, str(day / "porte-voix.dump")],
                       check=True, capture_output=True, timeout=300)
        import psycopg

        with psycopg.connect(restored) as con:
            assert con.execute("SELECT count(*) FROM shares").fetchone()[0] == shares
        total = time.monotonic() - started
        print(f"\nscale (deploy/): {SESSIONS} browser sessions over 3 app processes behind nginx "
              f"({sorted(len([r for r in routes.values() if u in r]) for u in spread)} sessions each), "
              f"{confirmed} shares confirmed and posted, {answered} redirects answered ({public} to the public, "
              f"the first replica SIGKILLed after {killed[0]}), {hits} counted; load {load_s:.0f} s, whole test "
              f"{total:.0f} s; CPU s of the apps {[round(cpu.get(p.pid, 0), 1) for p in apps]}, of the replicas "
              f"{[round(cpu.get(p.pid, 0), 1) for p in replicas]}; load average {os.getloadavg()[0]:.1f}; "
              f"postgresql.conf settings applied: {len(applied)}")
    finally:
        close_all()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if nginx:
            nginx.stop()
        server.stop()
