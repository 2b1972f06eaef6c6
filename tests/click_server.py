"""Helpers for tests of the click service: a real uvicorn server on 127.0.0.1 and a plain HTTP client.

The server runs in a thread of the test process (so a test can look inside its
writer), on a free port, with the configuration ``porte-voix links serve`` uses
(``clickservice.server_config``: the guarded protocol, ``X-Forwarded-For`` from
loopback), and is stopped, with its lifespan shutdown (the last hits written),
when the ``with`` block ends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import uvicorn

from assistant.links.http_guard import Limits
from assistant.web.clickservice import server_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(app, port: int | None = None, limits: Limits | None = None,
            trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")):
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the port."""
    port = port or free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, trusted_proxies, limits=limits))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the click service did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """``(status, headers (lower-case names), body bytes)``; redirects are not followed."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.request(method, path, body=body, headers=headers or {})
        response = con.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        con.close()


def post_json(port: int, path: str, raw: bytes, headers: dict) -> tuple[int, dict]:
    status, _, body = request(port, "POST", path, {"Content-Type": "application/json", **headers}, raw)
    return status, json.loads(body)


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def click_role(url: str, password: str = "pw") -> str:
    """The click hosts' PostgreSQL role, made on the database at ``url`` by deploy/README.md's own SQL block (an
    earlier run's role dropped first), so a test fails when the documented grants fall short; the role's URL."""
    import psycopg

    block = re.search(r"```sql\n(.*?)```", (Path(__file__).parents[1] / "deploy" / "README.md").read_text(), re.DOTALL)
    assert block and "CREATE ROLE porte_voix_links" in block[1], "deploy/README.md: the click role's SQL"
    parts = urlsplit(url)
    sql = block[1].replace("'…'", f"'{password}'").replace("DATABASE porte_voix ", f'DATABASE "{parts.path[1:]}" ')
    with psycopg.connect(url, autocommit=True) as con:
        if con.execute("SELECT 1 FROM pg_roles WHERE rolname = 'porte_voix_links'").fetchone():
            con.execute("DROP OWNED BY porte_voix_links")
            con.execute("DROP ROLE porte_voix_links")
        for statement in filter(str.strip, sql.split(";")):
            con.execute(statement)
    return urlunsplit(parts._replace(netloc=f"porte_voix_links:{password}@{parts.netloc.rsplit('@', 1)[-1]}"))
