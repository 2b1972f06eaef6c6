"""Installation keys: random secrets created once under the home, readable by its owner only.

Three are needed: the key that turns share ids into short-link codes (so codes
cannot be enumerated), the HMAC secret of the conversions endpoint (unless
``PORTE_VOIX_CONVERSIONS_SECRET`` sets one, e.g. the value already typed into
the CRM) and the key that signs backups (``backup``, never copied into one).
They live in ``<home>/keys/`` with mode 0600, so the app, the CLI and the
click service of one installation agree without any configuration. With the
store on PostgreSQL (``where`` is the installation's ``Settings`` or store, with a
database URL), every key but ``backup`` lives in the database instead
(``installation``: machines with homes of their own agree), the home's file
adopted when it has one; the backup key stays in the home, with the operator
(it must not travel inside the data it vouches for).

    >>> import tempfile, pathlib
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> key(home, "links") == key(home, "links") and len(key(home, "links"))
    32
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from . import installation

HOME_ONLY = {"backup"}  # never in the database (see the module's docstring)


def key(where: installation.Settings | Path, name: str) -> bytes:
    """The 32-byte key ``name`` of the installation at ``where`` (its settings, its store, or a home), created
    on first use."""
    home, url = installation.locate(where)
    if url and name not in HOME_ONLY:
        return installation.secret(url, name, adopt=lambda: _file(home, name))
    found = _file(home, name)
    if found is not None:
        return found
    try:  # when processes race, the first key written wins for all
        return install(home, name, secrets.token_bytes(32))
    except FileExistsError:
        return _file(home, name)


def _file(home: Path, name: str) -> bytes | None:
    path = Path(home) / "keys" / f"{name}.key"
    return bytes.fromhex(path.read_text().strip()) if path.exists() else None


def install(home: Path, name: str, value: bytes) -> bytes:
    """Write ``value`` as the key ``name`` (0600, in a 0700 folder), e.g. the backup key a restore was given;
    ``FileExistsError`` when the installation already has that key (a key is never replaced)."""
    folder = Path(home) / "keys"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    temp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value.hex())
    try:  # link() is atomic and refuses an existing name
        os.link(temp, folder / f"{name}.key")
    finally:
        temp.unlink()
    return value


def conversions_secret(where: installation.Settings | Path, configured: str | None) -> bytes:
    """The conversions HMAC secret: the configured one, else the installation's own (see ``key``)."""
    if configured:
        return configured.encode()
    return key(where, "conversions").hex().encode()
