"""What an account chose for the interface: its language (French or English), kept between sessions.

    >>> set_language(store, "sam@example.com", "en"); language(store, "sam@example.com")
    'en'
    >>> language(store, "nobody@example.com") is None
    True
"""

from __future__ import annotations

from ..storage.store import Store

LANGUAGES = ("fr", "en")


def language(store: Store, username: str) -> str | None:
    """The language the account picked in the sidebar, or None (then the profile decides)."""
    return store.value("SELECT lang FROM ui_preferences WHERE username = ?", [username])


def set_language(store: Store, username: str, lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use {', '.join(LANGUAGES)}")
    store.execute("""INSERT INTO ui_preferences (username, lang) VALUES (?, ?)
                     ON CONFLICT (username) DO UPDATE SET lang = excluded.lang, updated_at = now()""",
                  [username, lang])


def forget(store: Store, username: str) -> None:
    store.execute("DELETE FROM ui_preferences WHERE username = ?", [username])
