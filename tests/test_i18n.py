"""One language at a time: two catalogues with the same keys, every key a page asks for exists, and no
widget label, title or message is written inline in a page."""

import ast
import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

from assistant.config import load_settings
from assistant.ui import i18n

UI = sorted([ROOT / "app.py", *(ROOT / "assistant" / "ui").glob("*.py")])
# Calls whose first argument is text the user reads.
LABELLED = {"button", "text_input", "text_area", "selectbox", "radio", "multiselect", "slider", "number_input",
            "toggle", "checkbox", "file_uploader", "download_button", "link_button", "metric", "form_submit_button",
            "title", "subheader", "header", "caption", "info", "warning", "error", "success", "toast", "status",
            "spinner", "expander", "date_input", "page_link", "segmented_control", "pills"}
ALLOWED = {"📣 Porte-voix", "policy.yaml", "🗑️", "—", ""}  # a brand name, a file name, an icon


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def test_both_catalogues_have_the_same_keys_and_placeholders():
    """Every key exists in both languages with the same placeholders; a list (month names, a draft's
    closings) has as many entries in each, each entry with the placeholders of its counterpart."""
    fr, en = i18n.catalogue("fr"), i18n.catalogue("en")
    assert set(fr) == set(en)
    for key in fr:
        if key == "domain":
            continue
        assert type(fr[key]) is type(en[key]), key
        pairs = list(zip(fr[key], en[key])) if isinstance(fr[key], list) else [(fr[key], en[key])]
        if isinstance(fr[key], list):
            assert len(fr[key]) == len(en[key]) > 0, key
        for french, english in pairs:
            assert _placeholders(french) == _placeholders(english), key
            assert all(t.strip() or len(t) == 1 for t in (french, english)), key  # a separator may be a space


def test_every_key_the_pages_ask_for_exists():
    used = set()
    for path in UI:
        used |= set(re.findall(r"""\bt\(["']([a-z_]+(?:\.[a-z_]+)+)["']""", path.read_text()))
    missing = sorted(k for k in used if k not in i18n.catalogue("fr"))
    assert not missing and len(used) > 150


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


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
def test_no_label_is_written_inline(path):
    assert _inline_labels(path) == []


def test_the_upload_limit_is_the_products():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == load_settings({}).max_file_mb == 50
    assert "50 Mo" in i18n.translate("fr", "upload.limit", mb=50)
    assert config["client"]["toolbarMode"] == "minimal", "no Deploy button or developer menu"


def test_domain_messages_are_translated_with_their_values():
    assert i18n.domain_text("fr", "campaign name is empty") == "le nom de la campagne est vide"
    assert "2027-01-01" in i18n.domain_text("fr", "the campaign ends (2026-01-01) before it starts (2027-01-01)")
    assert i18n.domain_text("fr", "something nobody translated") == "something nobody translated"
    assert i18n.domain_text("en", "campaign name is empty") == "campaign name is empty"
