"""Shared by the tests of this folder (moved here from test_app.py): fixtures and helpers."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant import demo as demo_data
from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.demo_accounts import DEMO_PASSWORD
from assistant.storage.store import close_all
from assistant.ui.i18n import translate
from assistant.ui.safe import BREAK
from tests import fakes
from tests.conftest import ROOT

CAMILLE = "camille.durand@nordlys-energie.example"


JULIEN = "julien.moreau@nordlys-energie.example"


LEA = "lea.fontaine@nordlys-energie.example"


def msg(key: str, lang: str = "fr", **values) -> str:
    """What the catalogue says for ``key`` (the pages never write a label inline)."""
    return translate(lang, key, **values)


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr("assistant.access.accounts.ROUNDS", 4)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo database (content, people, fake embeddings, accounts, activity), built once per run."""
    from assistant.retrieval.indexing import embed_pending

    fakes.register()  # session fixtures run before the per-test ``fakes`` fixture
    folder = tmp_path_factory.mktemp("demo-home")
    ctx = open_context(Settings(home=folder, embedder="fake", generator="fake", translator="fake", bcrypt_rounds=4))
    demo_data.load(ctx)
    embed_pending(ctx.store, ctx.embedder, today=ctx.today())
    close_all()
    return folder


@pytest.fixture
def app_env(home, monkeypatch):
    """The app (an entry point) configured for this test's home through the environment, as an
    installation configures it."""
    monkeypatch.setenv("PORTE_VOIX_HOME", str(home))
    monkeypatch.setenv("PORTE_VOIX_EMBEDDER", "fake")
    monkeypatch.setenv("PORTE_VOIX_GENERATOR", "fake")
    monkeypatch.setenv("PORTE_VOIX_TRANSLATOR", "fake")
    monkeypatch.setenv("PORTE_VOIX_BCRYPT_ROUNDS", "4")
    return home


@pytest.fixture
def demo(app_env, demo_template):
    """A fresh copy of the demo home in this test's home."""
    shutil.copytree(demo_template, app_env, dirs_exist_ok=True)
    return open_context(load_settings()).store


def app(user: str | None = None, page: str | None = None, query: dict | None = None, locale: str | None = None,
        run: bool = True) -> AppTest:
    """The app, signed in as ``user`` (as the sign-in form would leave it), on ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user:
        at.session_state["auth_username"] = user
    if query:
        at.query_params.update(query)
    if locale:
        at.context["locale"] = locale
    if not run:
        return at
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def page_alone(path: str, user: str | None) -> AppTest:
    """A page file run on its own, as a hand-typed URL would reach it: only its own check protects it."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    if user:
        at.session_state["auth_username"] = user
    return at.run()


def plain(markdown: str) -> str:
    """What a reader sees of escaped Markdown (the pages escape people's and imported text)."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:&/])", r"\1", str(markdown).replace(BREAK, ""))


def texts(at) -> str:
    return " ".join(plain(e.value) for kind in ("markdown", "caption", "info", "success", "error", "warning", "text")
                    for e in getattr(at, kind))


def sign_in(at, username: str, password: str = DEMO_PASSWORD):
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click().run()
    return at


LABELLED = {"button", "text_input", "text_area", "selectbox", "radio", "multiselect", "slider", "number_input",
            "toggle", "checkbox", "file_uploader", "download_button", "link_button", "metric", "form_submit_button",
            "title", "subheader", "header", "caption", "info", "warning", "error", "success", "toast", "status",
            "spinner", "expander", "date_input", "page_link", "segmented_control", "pills"}


ALLOWED = {"📣 Porte-voix", "policy.yaml", "🗑️", "—", ""}  # a brand name, a file name, an icon


def _inline_labels(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LABELLED:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.JoinedStr):
                first = next((v for v in first.values if isinstance(v, ast.Constant)), None)
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value not in ALLOWED \
                    and re.search(r"[A-Za-zÀ-ÿ]{3}", first.value):
                found.append(f"{path.name}:{node.lineno}: {first.value!r}")
    return found
