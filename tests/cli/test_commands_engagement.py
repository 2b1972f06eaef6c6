"""The engagement commands as a user runs them: `porte-voix share`, `links serve` (a real server on
127.0.0.1), `engagement sync`, `engagement stats`, `engagement import`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant import demo
from assistant.config import Settings
from assistant.context import open_context
from assistant.optouts import tokens
from assistant.storage.store import close_all, open_store
from tests.click_server import free_port, request, wait_until

ROOT = Path(__file__).resolve().parents[2]
CAMILLE = "camille.durand@nordlys-energie.example"
CLI = [sys.executable, "-m", "assistant.cli"]


@pytest.fixture
def installation(home):
    """A demo home and the environment an installation would run the commands with."""
    port = free_port()
    ctx = open_context(Settings(home=home, embedder="fake", generator="fake", bcrypt_rounds=4))
    demo.load(ctx)
    item = ctx.store.value("SELECT id FROM content WHERE url IS NOT NULL AND campaign = 'green-week' ORDER BY id LIMIT 1")
    close_all()  # the commands run in other processes: this one lets go of the database file
    env = {**os.environ, "PORTE_VOIX_HOME": str(home), "PORTE_VOIX_EMBEDDER": "fake", "PORTE_VOIX_GENERATOR": "fake",
           "PORTE_VOIX_PLUGINS": "tests.fakes", "PYTHONPATH": str(ROOT), "PORTE_VOIX_LINKS_PORT": str(port),
           "PORTE_VOIX_LINKS_BASE_URL": f"http://127.0.0.1:{port}"}
    return {"env": env, "port": port, "item": item, "home": home}


def run(installation, *args, check=True):
    done = subprocess.run(CLI + list(args), env=installation["env"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    if check and done.returncode != 0:
        raise AssertionError(f"{args}: exit {done.returncode}\n{done.stderr}")
    return done


def test_share_serve_sync_and_stats_end_to_end(installation, tmp_path):
    post = tmp_path / "post.txt"
    post.write_text("Je suis fière de notre green week : j'ai réparé mon vieux portable au repair café. Et vous ?",
                    encoding="utf-8")
    shared = json.loads(run(installation, "share", CAMILLE, installation["item"], "--network", "linkedin",
                            "--text-file", str(post), "--json").stdout)
    port = installation["port"]
    assert shared["short_url"].startswith(f"http://127.0.0.1:{port}/") and shared["short_url"] in shared["text"]
    assert f"utm_content={shared['share_id']}" in shared["tracked_url"]
    code = urlsplit(shared["short_url"]).path.lstrip("/")

    app_holds_the_database = open_store(Settings(home=installation["home"]))  # as the running app would
    service = subprocess.Popen(CLI + ["links", "serve", "--port", str(port)], env=installation["env"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: _healthy(port), timeout=60), service.stderr.read() if service.poll() else "no answer"
        status, headers, _ = request(port, "GET", f"/{code}", {"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/128.0"})
        assert status == 302
        target = urlsplit(headers["location"])
        assert parse_qs(target.query)["utm_content"] == [shared["share_id"]] and "pv_cid" in parse_qs(target.query)
        assert request(port, "HEAD", f"/{code}", {"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/128.0"})[0] == 302
        assert request(port, "GET", f"/{code}", {"User-Agent": "Slackbot-LinkExpanding 1.0"})[0] == 302
        maps = Path(f"/proc/{service.pid}/maps")
        if maps.exists():
            loaded = maps.read_text()
            assert "libtorch" not in loaded and "streamlit" not in loaded, "no model, none of the app"
    finally:
        service.send_signal(signal.SIGINT)
        out, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert "3 hits received, 3 written, 0 lost" in err
    close_all()

    synced = json.loads(run(installation, "engagement", "sync", "--json").stdout)
    assert synced["hits"] == 3  # running it again adds nothing: tests/reporting/test_sync.py
    stats = json.loads(run(installation, "engagement", "stats", "--share", shared["share_id"], "--json").stdout)
    row = stats["shares"][0]
    assert (row["hits"], row["bot_hits"], row["human_clicks"], row["unique_human_clicks"]) == (3, 2, 1, 1)
    assert row["status"] == "posted", "a human click proves the post is out"
    assert stats["click_service"]["lost"] == 0 and "unique_human_clicks" in stats["rules"]
    assert stats["click_replicas"] == [], "on the DuckDB file the service shares the home's log: no replica"
    unknown = run(installation, "links", "retire", "no-such-replica", check=False)  # PostgreSQL: test_sync.py
    assert unknown.returncode == 2 and "no click-service replica 'no-such-replica'" in unknown.stderr


def _healthy(port: int) -> bool:
    try:
        return request(port, "GET", "/healthz")[0] == 200
    except OSError:
        return False


def test_engagement_import_reports_unmatched_rows_and_exits_1(installation):
    samples = ROOT / "data" / "samples" / "engagement"
    done = run(installation, "engagement", "import", str(samples / "linkedin-posts-en.csv"), check=False)
    assert done.returncode == 1
    assert done.stderr.count("unmatched:") == 3 and "linkedin-posts-en.csv:3" in done.stderr
    assert "0 of 3 rows matched" in done.stdout  # conversions CSVs: tests/reporting/test_analytics_import.py
    missing = run(installation, "engagement", "import", "no-such-file.csv", check=False)  # named, like ingest's
    assert missing.returncode == 1 and missing.stderr == "rejected: no-such-file.csv: file not found\n"


def test_a_blocked_share_exits_1_and_records_nothing(installation, tmp_path):
    post = tmp_path / "post.txt"
    post.write_text("Je travaille chez Nordlys sur le Projet Aurore !", encoding="utf-8")
    done = run(installation, "share", CAMILLE, installation["item"], "--network", "x", "--text-file", str(post),
               check=False)
    assert done.returncode == 1 and "Aurore" in done.stderr
    started = time.perf_counter()
    assert open_store(Settings(home=installation["home"])).value(
        "SELECT count(*) FROM shares WHERE email = ?", [CAMILLE]) == 0
    assert time.perf_counter() - started < 30


def test_every_file_links_serve_creates_is_private(tmp_path):
    """The click service never opens the store (which set the private umask): it wrote optouts.sqlite3 0644."""
    home, port = tmp_path / "fresh-home", free_port()
    token = tokens.token(Settings(home=home), "ana@example.com")  # its key: 0600 whoever creates it
    env = {**os.environ, "PORTE_VOIX_HOME": str(home), "PYTHONPATH": str(ROOT), "PORTE_VOIX_LINKS_BASE_URL":
           f"http://127.0.0.1:{port}"}
    service = subprocess.Popen(CLI + ["links", "serve", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: _healthy(port), timeout=60), service.stderr.read() if service.poll() else "no answer"
        status, _, _ = request(port, "POST", f"/unsubscribe/{token}",
                               {"Content-Type": "application/x-www-form-urlencoded"}, b"List-Unsubscribe=One-Click")
        assert status == 200
    finally:
        service.send_signal(signal.SIGINT)
        service.communicate(timeout=30)
    modes = {str(p.relative_to(home)): p.stat().st_mode & 0o777 for p in home.rglob("*") if p.is_file()}
    assert "optouts.sqlite3" in modes and "clicks.sqlite3" in modes
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}


def test_the_standalone_unsubscribe_server_is_the_guarded_one(tmp_path):
    """`porte-voix digest unsubscribe-server` serves the page through the click service's guarded server: a head
    of 101 fields gets 431 (``http_guard``; plain uvicorn would take it), the page and the POST still work."""
    home, port = tmp_path / "home", free_port()
    token = tokens.token(Settings(home=home), "ana@example.com")
    env = {**os.environ, "PORTE_VOIX_HOME": str(home), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(CLI + ["digest", "unsubscribe-server", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = f"/unsubscribe/{token}?lang=en"

    def page() -> int | None:
        try:
            return request(port, "GET", path)[0]
        except OSError:
            return None

    try:
        assert wait_until(lambda: page() == 200, timeout=60), server.stderr.read() if server.poll() else "no answer"
        assert request(port, "GET", path, {f"x-field-{n}": "1" for n in range(101)})[0] == 431
        assert request(port, "GET", path, {f"x-field-{n}": "1" for n in range(60)})[0] == 200
        status, _, body = request(port, "POST", path, {"Content-Type": "application/x-www-form-urlencoded"},
                                  b"List-Unsubscribe=One-Click")
        assert status == 200 and b"ana@example.com" in body
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0
