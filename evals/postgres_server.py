"""A real PostgreSQL server for the tests and the benchmarks: initdb in a temporary folder, on 127.0.0.1 and a free port.

Debian's ``postgresql`` package (``make system-deps``) puts its programs in ``/usr/lib/postgresql/<version>/bin``;
without it :func:`binaries` is None and the PostgreSQL tests skip, saying why. PostgreSQL refuses to run as
root, so under root (CI) the cluster belongs to ``nobody`` and its programs run through ``runuser``; a developer's
own account runs them directly. The server trusts local connections (a throwaway cluster on the loopback) and is
stopped, its folder removed, by :meth:`PostgresServer.stop`.

    >>> server = PostgresServer.start()       # doctest: +SKIP
    >>> server.url("pv_test")                  # doctest: +SKIP
    'postgresql://porte_voix@127.0.0.1:54321/pv_test'
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

USER = "porte_voix"  # the cluster's superuser (the tests' role)


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One throwaway cluster; :meth:`start` runs it, :meth:`stop` ends it and removes its files."""

    def __init__(self, bin_dir: Path, folder: Path, port: int):
        self.bin_dir, self.folder, self.port = bin_dir, folder, port
        self.data = folder / "data"

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:  # postgres refuses root: the cluster is nobody's
            command = ["runuser", "-u", "nobody", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)

    @classmethod
    def start(cls, bin_dir: Path | None = None) -> "PostgresServer":
        bin_dir = bin_dir or binaries()
        if bin_dir is None:
            raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        folder = Path(tempfile.mkdtemp(prefix="pv-postgres-"))
        if os.geteuid() == 0:
            os.chown(folder, 65534, 65534)  # nobody
        server = cls(bin_dir, folder, _free_port())
        try:
            server._run("initdb", "-D", str(server.data), "-U", USER, "--auth=trust", "--encoding=UTF8",
                        "--locale=C", "--no-sync")
            server._pg_ctl_start()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return server

    def _pg_ctl_start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=128MB")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options, "-w", "-t", "30",
                  "start")

    def pause(self) -> None:
        """Stop the server fast, keeping its data: open connections are cut, as when PostgreSQL restarts for an
        upgrade (the tests of what the product does meanwhile)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start the paused server again on its port and data folder, as it was started; back when it answers."""
        self._pg_ctl_start()
        wait_ready(self.url())

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """A fresh database (empty, or a copy of ``template``); returns its URL."""
        copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def _admin(self, *statements: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as con:
            for statement in statements:
                con.execute(statement)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def wait_ready(url: str, timeout_s: float = 10.0) -> None:
    """Wait until ``url`` accepts connections (a server just restarted)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
