"""Settings, read from the environment in this one module and nowhere else.

Everything Porte-voix writes lives under ``PORTE_VOIX_HOME`` (default
``./.porte-voix``): the DuckDB file, DuckDB's extension directory, model
conversions, the policy file. Entry points (the app, the CLI, the evals, the
tests) call :func:`load_settings` once, build a :class:`~assistant.context.Context`
from it and hand that down; no other module reads the environment, so a test
or an eval steers the product by building ``Settings`` rather than by
rewriting ``os.environ``.

>>> s = load_settings({"PORTE_VOIX_HOME": "/tmp/pv", "PORTE_VOIX_EMBEDDER": "use"})
>>> (s.db_path.name, s.embedder, s.generator, s.max_file_mb)
('porte-voix.duckdb', 'use', 'qwen2.5-coder-0.5b', 50.0)
>>> Settings(home=Path("/tmp/pv")).policy_path.name
'policy.yaml'
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

DEFAULT_EMBEDDER = "use+e5+minilm"
DEFAULT_GENERATOR = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class Settings:
    """One installation's configuration; every field has a working default."""

    home: Path
    embedder: str = DEFAULT_EMBEDDER
    generator: str = DEFAULT_GENERATOR
    max_file_mb: float = 50.0          # largest importable file
    bcrypt_rounds: int = 12            # cost of local password hashes (tests lower it)
    brand_followers: int = 12000       # followers of the company page, for the reach baseline
    use_threads: int = 1               # threads of the USE embedder (numpy)
    plugins: tuple[str, ...] = ()      # modules imported at start that register extra models (tests: fakes)
    generator_base_url: str | None = None  # generator "openai": the company's OpenAI-compatible server
    generator_model: str | None = None
    generator_api_key: str | None = field(default=None, repr=False)  # never printed or logged
    generator_timeout_s: float = 60.0  # "openai": the longest the server may send nothing before a draft gives up
    generator_concurrency: int = 8     # "openai": requests sent at once (all employees together); the rest queue
    polish: str = "auto"               # the model's pass over composed drafts: auto (measured gate), on, off
    translator: str = "marian"         # renders an item's key point in the other language ("none": figures only)
    links_host: str = "127.0.0.1"     # where `porte-voix links serve` listens
    links_port: int = 8502
    links_base_url: str = "http://127.0.0.1:8502"  # public base of short links (the click service's address)
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # reverse proxies whose X-Forwarded-For is believed
    conversions_secret: str | None = field(default=None, repr=False)  # HMAC key of POST /v1/conversions
    cpm: float = 30.0                  # cost per 1,000 impressions, for the earned-media-value estimate
    cpc: float = 2.0                   # cost per click, same
    currency: str = "EUR"
    sync_every_s: float = 60.0         # how often the app folds the click log into DuckDB
    session_hours: float = 12.0        # how long a sign-in lasts (reloads and new tabs included) unless signed out
    app_base_url: str = "http://localhost:8501"  # the app's public address, for deep links in digests
    smtp_host: str | None = None       # digests by e-mail: the SMTP relay (none: e-mail digests cannot be sent)
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)  # never printed or logged
    smtp_from: str | None = None       # sender of digests (default: porte-voix@<SMTP host>)
    smtp_tls: str = "starttls"         # starttls, ssl or none
    slack_webhook_url: str | None = field(default=None, repr=False)  # digests to Slack (a webhook URL is a secret)
    teams_webhook_url: str | None = field(default=None, repr=False)  # digests to Microsoft Teams (Workflows webhook)
    unsubscribe_base_url: str | None = None  # serves /unsubscribe/<token> (default: links_base_url, the public service)
    digest_weekday: int = 1            # ISO weekday the in-app schedule sends digests on (1 = Monday)
    digest_hour: int = 9               # local hour from which it sends them
    digest_attempts: int = 3           # delivery attempts per message (the first included)
    digest_backoff_s: float = 30.0     # wait before the second attempt, doubled before each next one
    database_url: str | None = field(default=None, repr=False)  # postgresql://…: the shared store (None: DuckDB file)
    extra: Mapping[str, str] = field(default_factory=dict)  # other PORTE_VOIX_* values, for later features

    @property
    def db_path(self) -> Path:
        return self.home / "porte-voix.duckdb"

    @property
    def extension_dir(self) -> Path:
        return self.home / "duckdb_extensions"

    @property
    def model_cache(self) -> Path:
        return self.home / "models"

    @property
    def clicklog_path(self) -> Path:
        """The click service's SQLite file (short links, hits, conversions): not the DuckDB file."""
        return self.home / "clicks.sqlite3"

    @property
    def policy_path(self) -> Path:
        """The installation's social-media policy (YAML); none until an admin saves one or the demo loads."""
        return self.home / "policy.yaml"

    def __post_init__(self) -> None:
        if not isinstance(self.home, Path):  # a caller's string ("/srv/pv") works like a Path
            object.__setattr__(self, "home", Path(self.home))

    def ensure(self) -> "Settings":
        """Create the data folders (0700: they hold personal data)."""
        for path in (self.home, self.extension_dir, self.model_cache):
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
        return self

    def but(self, **changes) -> "Settings":
        """A copy with some fields changed (``settings.but(embedder="fake")``)."""
        return replace(self, **changes)


_KNOWN = {"PORTE_VOIX_HOME", "PORTE_VOIX_EMBEDDER", "PORTE_VOIX_GENERATOR", "PORTE_VOIX_MAX_FILE_MB",
          "PORTE_VOIX_BCRYPT_ROUNDS", "PORTE_VOIX_BRAND_FOLLOWERS", "PORTE_VOIX_USE_THREADS", "PORTE_VOIX_PLUGINS",
          "PORTE_VOIX_GENERATOR_BASE_URL", "PORTE_VOIX_GENERATOR_MODEL", "PORTE_VOIX_GENERATOR_API_KEY"}
_KNOWN |= {"PORTE_VOIX_GENERATOR_TIMEOUT_S", "PORTE_VOIX_GENERATOR_CONCURRENCY"}
_KNOWN |= {"PORTE_VOIX_POLISH", "PORTE_VOIX_TRANSLATOR"}
_KNOWN |= {"PORTE_VOIX_LINKS_HOST", "PORTE_VOIX_LINKS_PORT", "PORTE_VOIX_LINKS_BASE_URL", "PORTE_VOIX_CONVERSIONS_SECRET",
           "PORTE_VOIX_CPM", "PORTE_VOIX_CPC", "PORTE_VOIX_CURRENCY", "PORTE_VOIX_SYNC_EVERY_S"}
_KNOWN |= {"PORTE_VOIX_SESSION_HOURS", "PORTE_VOIX_TRUSTED_PROXIES"}
_KNOWN |= {"PORTE_VOIX_DATABASE_URL"}
_KNOWN |= {f"PORTE_VOIX_{name}" for name in ("APP_BASE_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD",
           "SMTP_FROM", "SMTP_TLS", "SLACK_WEBHOOK_URL", "TEAMS_WEBHOOK_URL", "UNSUBSCRIBE_BASE_URL", "DIGEST_WEEKDAY",
           "DIGEST_HOUR", "DIGEST_ATTEMPTS", "DIGEST_BACKOFF_S")}


def _secrets_file(path: Path = Path(".streamlit/secrets.toml")) -> dict[str, str]:
    """``[porte_voix]`` of Streamlit's secrets file as ``PORTE_VOIX_*`` values (``smtp_password = "…"``)."""
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("porte_voix") or {}
    return {f"PORTE_VOIX_{key.upper()}": str(value) for key, value in table.items()}


def _networks(key: str, raw: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated addresses or networks (``10.0.0.5, 10.1.0.0/16``); ``none`` for none; checked here."""
    if raw is None or not raw.strip():
        return default
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    if [v.lower() for v in values] == ["none"]:
        return ()
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{key}: {value!r} is not an IP address or network") from None
    return values


def load_settings(environ: Mapping[str, str] | None = None, **overrides) -> Settings:
    """Settings from ``environ`` (default: the process environment), then ``overrides``.

    Bad numbers fail here, at start, with the variable's name, rather than deep inside a request.
    """
    env = os.environ if environ is None else environ
    if environ is None:  # the process environment wins over .streamlit/secrets.toml
        env = {**_secrets_file(), **os.environ}

    def number(key: str, default, kind):
        raw = env.get(key)
        if raw in (None, ""):
            return default
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"{key}={raw!r} is not a {kind.__name__}") from None

    values = dict(
        home=Path(env.get("PORTE_VOIX_HOME") or ".porte-voix").expanduser().resolve(),
        embedder=env.get("PORTE_VOIX_EMBEDDER") or DEFAULT_EMBEDDER,
        generator=env.get("PORTE_VOIX_GENERATOR") or DEFAULT_GENERATOR,
        max_file_mb=number("PORTE_VOIX_MAX_FILE_MB", 50.0, float),
        bcrypt_rounds=max(4, number("PORTE_VOIX_BCRYPT_ROUNDS", 12, int)),
        brand_followers=number("PORTE_VOIX_BRAND_FOLLOWERS", 12000, int),
        use_threads=max(1, number("PORTE_VOIX_USE_THREADS", 1, int)),
        plugins=tuple(p.strip() for p in (env.get("PORTE_VOIX_PLUGINS") or "").split(",") if p.strip()),
        generator_base_url=env.get("PORTE_VOIX_GENERATOR_BASE_URL") or None,
        generator_model=env.get("PORTE_VOIX_GENERATOR_MODEL") or None,
        generator_api_key=env.get("PORTE_VOIX_GENERATOR_API_KEY") or None,
        generator_timeout_s=max(1.0, number("PORTE_VOIX_GENERATOR_TIMEOUT_S", 60.0, float)),
        generator_concurrency=max(1, number("PORTE_VOIX_GENERATOR_CONCURRENCY", 8, int)),
        polish=_choice("PORTE_VOIX_POLISH", env.get("PORTE_VOIX_POLISH"), ("auto", "on", "off"), "auto"),
        translator=env.get("PORTE_VOIX_TRANSLATOR") or "marian",
        links_host=env.get("PORTE_VOIX_LINKS_HOST") or "127.0.0.1",
        links_port=number("PORTE_VOIX_LINKS_PORT", 8502, int),
        trusted_proxies=_networks("PORTE_VOIX_TRUSTED_PROXIES", env.get("PORTE_VOIX_TRUSTED_PROXIES"),
                                  Settings.trusted_proxies),
        conversions_secret=env.get("PORTE_VOIX_CONVERSIONS_SECRET") or None,
        cpm=number("PORTE_VOIX_CPM", 30.0, float),
        cpc=number("PORTE_VOIX_CPC", 2.0, float),
        currency=env.get("PORTE_VOIX_CURRENCY") or "EUR",
        sync_every_s=number("PORTE_VOIX_SYNC_EVERY_S", 60.0, float),
        session_hours=number("PORTE_VOIX_SESSION_HOURS", 12.0, float),
        app_base_url=(env.get("PORTE_VOIX_APP_BASE_URL") or "http://localhost:8501").rstrip("/"),
        smtp_host=env.get("PORTE_VOIX_SMTP_HOST") or None,
        smtp_port=number("PORTE_VOIX_SMTP_PORT", 587, int),
        smtp_user=env.get("PORTE_VOIX_SMTP_USER") or None,
        smtp_password=env.get("PORTE_VOIX_SMTP_PASSWORD") or None,
        smtp_from=env.get("PORTE_VOIX_SMTP_FROM") or None,
        smtp_tls=(env.get("PORTE_VOIX_SMTP_TLS") or "starttls").lower(),
        slack_webhook_url=env.get("PORTE_VOIX_SLACK_WEBHOOK_URL") or None,
        teams_webhook_url=env.get("PORTE_VOIX_TEAMS_WEBHOOK_URL") or None,
        unsubscribe_base_url=(env.get("PORTE_VOIX_UNSUBSCRIBE_BASE_URL") or "").rstrip("/") or None,
        digest_weekday=number("PORTE_VOIX_DIGEST_WEEKDAY", 1, int),
        digest_hour=number("PORTE_VOIX_DIGEST_HOUR", 9, int),
        digest_attempts=max(1, number("PORTE_VOIX_DIGEST_ATTEMPTS", 3, int)),
        digest_backoff_s=number("PORTE_VOIX_DIGEST_BACKOFF_S", 30.0, float),
        database_url=_database_url(env.get("PORTE_VOIX_DATABASE_URL")),
        extra={k: v for k, v in env.items() if k.startswith("PORTE_VOIX_") and k not in _KNOWN},
    )
    values["links_base_url"] = (env.get("PORTE_VOIX_LINKS_BASE_URL") or f"http://127.0.0.1:{values['links_port']}").rstrip("/")
    values.update(overrides)
    return Settings(**values)


def _database_url(raw: str | None) -> str | None:
    """``PORTE_VOIX_DATABASE_URL``: a ``postgresql://`` URL puts the store on that server; unset, the DuckDB file."""
    if raw is None or not raw.strip():
        return None
    if raw.strip().split(":", 1)[0] not in ("postgresql", "postgres"):
        raise ValueError("PORTE_VOIX_DATABASE_URL must be a postgresql://user:password@host:port/database URL")
    return raw.strip()


def _choice(key: str, raw: str | None, allowed: tuple[str, ...], default: str) -> str:
    """One of ``allowed`` (case aside), ``default`` when unset; anything else fails loudly."""
    if raw in (None, ""):
        return default
    if raw.strip().lower() not in allowed:
        raise ValueError(f"{key}={raw!r} must be one of: {', '.join(allowed)}")
    return raw.strip().lower()
