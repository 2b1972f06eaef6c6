"""Scale test on the shared PostgreSQL store (slow): app processes, click-service replicas and an import at once.

Three processes play three app processes (the product's services, as the pages call them, with the fake
models): 20 scripted people in all sign in, open a session, type (autosaves), share (the click log gets the
short link) and confirm the post, over and over. Meanwhile two ``porte-voix links serve`` processes on two
ports answer clicks on the short links made so far, a ``porte-voix ingest`` imports the demo library, and
this process folds the click log into the store every second (``engagement sync``, one process at a time);
halfway, one replica is killed with SIGKILL and the clicks go to the other. For ``PV_SCALE_SECONDS``
(default 60). Then: no process reported an error, every share each process recorded is in the store,
posted, with no autosave left, and every redirect answered counted exactly once, the killed replica's
included (a replica answers once the hit is committed to the click log).

The real app is in ``test_postgres_scale_app.py`` (Streamlit processes, browsers, nginx, each process with its
own home); replicas with their own homes in ``tests/links/test_click_replicas.py``. Here the replicas share
one home's click log, as two on one machine do.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from assistant.access.accounts import create_account
from assistant.links.clicklog import open_log
from assistant.reporting import sync
from tests.click_server import free_port, request, wait_until
from tests.conftest import DEMO, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.store_backends]
SECONDS = float(os.environ.get("PV_SCALE_SECONDS", "60"))

APP = textwrap.dedent("""
    import sys, time, traceback
    from assistant.access import accounts, sessions
    from assistant.config import Settings
    from assistant.context import open_context
    from assistant.sharing import posting
    from assistant.writing import autosave
    home, url, worker, people, item, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(","), \\
        sys.argv[5], float(sys.argv[6])
    ctx = open_context(Settings(home=home, database_url=url, embedder="fake", generator="fake", translator="none",
                                bcrypt_rounds=4, plugins=("tests.fakes",)))
    store, made, errors, n = ctx.store, [], 0, 0
    store.value("SELECT count(*) FROM shares")  # opened: the load starts now, for ``seconds``
    until = time.time() + seconds
    while time.time() < until:
        for email in people:
            n += 1
            try:
                assert accounts.authenticate(store, email, "correct horse battery", rounds=4, client=f"10.1.{worker}.1")
                token = sessions.create(store, email)
                assert sessions.account_for(store, token).username == email
                text = f"Ce que je retiens de ce projet, numéro {n} : une équipe qui apprend vite et partage."
                for cut in (20, 50, len(text)):
                    autosave.save(store, email, item, text[:cut], network="linkedin")
                share_id = f"scale-{worker}-{n}"
                posting.share(ctx, email, item, autosave.restore(store, email, item)["text"], "linkedin", share_id)
                posting.confirm(store, email, share_id)
                autosave.clear(store, email, item)
                sessions.revoke(store, token)
                made.append(share_id)
            except Exception:
                errors += 1
                traceback.print_exc()
    print(len(made), errors)
""")


def test_app_processes_click_replicas_and_an_import_at_once(demo_store, settings, backend):
    if backend is None:
        pytest.skip("PostgreSQL only: the DuckDB file has one writing process by design")
    store = demo_store
    item = store.value("SELECT id FROM content WHERE url IS NOT NULL AND NOT retired ORDER BY id LIMIT 1")
    people = [r["email"] for r in store.rows("SELECT email FROM employees ORDER BY email LIMIT 20")]
    assert len(people) == 20
    for email in people:
        create_account(store, email, "correct horse battery", rounds=4)
    env = {**os.environ, "PORTE_VOIX_HOME": str(settings.home), "PORTE_VOIX_DATABASE_URL": settings.database_url,
           "PORTE_VOIX_EMBEDDER": "fake", "PORTE_VOIX_TRANSLATOR": "none", "PORTE_VOIX_PLUGINS": "tests.fakes"}
    ports = [free_port(), free_port()]
    replicas = [subprocess.Popen([sys.executable, "-m", "assistant.cli", "links", "serve", "--port", str(port)],
                                 cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                for port in ports]
    apps = [subprocess.Popen([sys.executable, "-c", APP, str(settings.home), settings.database_url, str(w),
                              ",".join(people[w::3]), item, str(SECONDS)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for w in range(3)]
    importer = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(DEMO / "content")], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    answered, refused, apps_done = [0], [], threading.Event()
    answers = {port: [] for port in ports}  # when each replica answered a redirect (monotonic clock)
    dead: set[int] = set()
    log = open_log(settings.clicklog_path)

    def click():  # until the app processes have ended (each starts in ~10 s on 2 busy cores)
        for port in itertools.cycle(ports):
            if apps_done.is_set():
                return
            if port in dead:
                continue
            codes = [r["short_code"] for r in store.rows(
                "SELECT short_code FROM shares WHERE short_code IS NOT NULL ORDER BY shared_at DESC LIMIT 50")]
            for code in codes[:10]:
                try:
                    status, _, _ = request(port, "GET", f"/{code}", {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
                except OSError:  # the replica was killed: the balancer sends the rest to the other one
                    dead.add(port)
                    break
                if status in (301, 302, 303, 307):
                    answered[0] += 1
                    answers[port].append(time.monotonic())
                else:
                    refused.append(status)
            time.sleep(0.05)

    try:
        for port in ports:
            assert wait_until(lambda: _healthy(port), 60), "a click replica did not start"
        clicker = threading.Thread(target=click)
        clicker.start()
        killed_at = None
        while any(app.poll() is None for app in apps):
            sync.sync(store, log)
            time.sleep(1)
            first = min((t[0] for t in answers.values() if t), default=None)
            if killed_at is None and first is not None and time.monotonic() - first > SECONDS / 2:
                replicas[0].kill()  # kill -9 mid-load
                killed_at = time.monotonic()
        assert killed_at is not None, "the load ended before the replica could be killed"
        outs = [app.communicate(timeout=300) for app in apps]
        apps_done.set()
        clicker.join(30)
        assert importer.wait(300) == 0, importer.stderr.read()[-2000:]
    finally:
        apps_done.set()
        for proc in replicas:  # SIGTERM: each writes its queued hits, then exits
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in replicas + apps + [importer]:
            if proc.poll() is None:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    for app, (out, err) in zip(apps, outs):
        assert app.returncode == 0, err[-3000:]
        made, errors = map(int, out.split())
        assert errors == 0, err[-3000:]
        assert made > 0
    total = sum(int(out.split()[0]) for out, _ in outs)
    sync.sync(store, log)
    assert store.value("SELECT count(*) FROM shares WHERE id LIKE 'scale-%' AND status = 'posted'") == total
    assert store.value("SELECT count(*) FROM autosaves") == 0
    assert refused == [] and answered[0] > 0
    hits = store.value("SELECT sum(hits) FROM share_totals")
    # a replica answers once the hit is committed: the killed one loses nothing, nothing is counted twice
    last_second = sum(1 for t in answers[ports[0]] if killed_at - 1.0 <= t <= killed_at)
    lost = answered[0] - hits
    assert lost == 0, f"{answered[0]} redirects answered, {hits} counted, {last_second} in the killed one's last second"
    assert store.value("SELECT count(*) FROM content") > 50
    print(f"scale: {SECONDS:.0f} s, {total} shares by 20 people in 3 processes, {answered[0]} redirects by 2 "
          f"replicas (one killed with SIGKILL mid-load after {len(answers[ports[0]])}), {hits} counted: {lost} lost, "
          f"of {last_second} it answered in its last second")


def _healthy(port: int) -> bool:
    try:
        return request(port, "GET", "/healthz")[0] == 200
    except OSError:
        return False
