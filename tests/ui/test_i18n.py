"""One language at a time: two catalogues with the same keys, every key a page asks for exists, and no
widget label, title or message is written inline in a page."""

import ast
import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.imports import library
from assistant.ui import i18n
from assistant.words.worded import Worded
from assistant.writing.policy import PolicyError, check, parse
from tests.conftest import ROOT
from tests.ui.conftest import _inline_labels

UI = sorted([ROOT / "app.py", *(ROOT / "assistant" / "ui").glob("*.py")])
# Calls whose first argument is text the user reads.


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def test_both_catalogues_have_the_same_keys_and_placeholders():
    """Every key exists in both languages with the same placeholders; a list (month names, a draft's
    closings) has as many entries in each, each entry with the placeholders of its counterpart."""
    fr, en = i18n.catalogue("fr"), i18n.catalogue("en")
    assert set(fr) == set(en)
    for key in fr:
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


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
def test_no_label_is_written_inline(path):
    assert _inline_labels(path) == []


def test_the_upload_limit_is_the_products():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == load_settings({}).max_file_mb == 50
    assert "50 Mo" in i18n.translate("fr", "upload.limit", mb=50)
    assert config["client"]["toolbarMode"] == "minimal", "no Deploy button or developer menu"


def test_domain_errors_carry_a_key_worded_in_both_languages(store):
    """The domain raises catalogue keys, not English sentences the interface would have to translate back."""
    with pytest.raises(Worded) as caught:
        library.set_campaign(store, "  ")
    assert (caught.value.key, str(caught.value)) == ("errors.campaign_name_empty", "campaign name is empty")
    assert caught.value.message("fr") == "le nom de la campagne est vide"
    with pytest.raises(Worded) as caught:
        library.set_campaign(store, "Printemps", dt.date(2027, 1, 1), dt.date(2026, 1, 1))
    assert "2026-01-01" in caught.value.message("fr") and "avant de commencer" in caught.value.message("fr")
    with pytest.raises(PolicyError) as caught:  # a value error nested under the rule it is about
        parse("max_hashtags: {limit: many}")
    assert caught.value.message("fr") == "max_hashtags.limit : il faut un nombre entier positif ou nul"
    assert str(caught.value) == "max_hashtags.limit: expected a whole number ≥ 0"
    with pytest.raises(PolicyError) as caught:  # pydantic's own error types are worded too
        parse("tracked_link: {required: true, colour: blue}")
    assert caught.value.message("fr") == "tracked_link.colour : réglage inconnu"
    with pytest.raises(PolicyError) as caught:
        parse("max_hashtags: {limit: 3\n")
    assert "ligne 2" in caught.value.message("fr") and "line 2" in str(caught.value)
    upload = ("items.csv", "id,title,text,kind\na,Titre,Du texte,podcast\nb,Titre,,news\n".encode())
    report = library.import_uploads(store, "content", [upload])
    assert report.counts["rejected"] == 2 and len(report.problems) == 2
    french = " ".join(report.problems_in("fr"))
    assert "type inconnu 'podcast'" in french and "texte vide" in french, french
    assert report.problems_in("en") == report.problems
    report = library.import_uploads(store, "content", [("notes.txt", b"x"), ("items.jsonl", b'{"id": 1}\n[2]\n')])
    french = " ".join(report.problems_in("fr"))  # a file the readers refuse, a line of a file
    assert "type de fichier non pris en charge .txt" in french and "la ligne n'est pas un objet JSON" in french, french


def test_the_policys_own_messages_are_worded_in_the_readers_language():
    """A rule without the installation's message carries the catalogue's key; the installation's own message
    is kept as written (with the count, for hashtags)."""
    [default] = check("#a #b #c", parse("max_hashtags: {limit: 1}"))
    assert default["key"] == "checks.max_hashtags" and default["message"] == "Use at most 1 hashtags (3 > 1)."
    assert i18n.translate("fr", default["key"], **default["values"]) == "Utilisez au plus 1 hashtags (3 > 1)."
    [own] = check("#a #b", parse("max_hashtags: {limit: 1, message: 'Un seul hashtag. / One hashtag.'}"))
    assert "key" not in own and own["message"] == "Un seul hashtag. / One hashtag. (2 > 1)"
    [long] = check("x" * 300, parse("max_length: {x: 280}"), network="x")
    assert "caractères" in i18n.translate("fr", long["key"], **long["values"]) and "300 characters" in long["message"]


def test_every_error_key_the_domain_raises_exists():
    """Each ``errors.*`` key written in the domain's sources is in the catalogue (both languages: see above),
    and the catalogue holds no table of English messages to match by regular expression."""
    used = set()
    for path in (ROOT / "assistant").rglob("*.py"):
        used |= set(re.findall(r"""["'](errors\.[a-z_]+)["']""", path.read_text(encoding="utf-8")))
    assert len(used) > 40
    assert sorted(used - set(i18n.catalogue("en"))) == []
    assert not any(key.startswith("domain") for key in i18n.catalogue("fr"))


# Domain modules whose French strings are not words a user reads, each with its reason; every other module of
# assistant/ outside the interface takes its French from the catalogue.
NOT_USER_WORDS = {
    "retrieval/background.py": "everyday sentences embedded as a neutral centre (model input)",
    "retrieval/lexical.py": "stop words (matching)",
    "writing/proofreading.py": "stop words and labels a draft's checks look for (matching)",
    "writing/injection.py": "patterns of instructions to a model (matching)",
    "writing/prompting.py": "the prompt a language model reads (model input)",
    "writing/voice.py": "the voice profile as a model's prompt describes it (model input)",
    "reporting/analytics_import.py": "column names of the networks' French exports (matching)",
    "reporting/metrics.py": "each metric's rule in both languages, as the CLI's JSON and the exports give it",
}
_FRENCH = re.compile(r"[éèêàçùâôî]|\b(?:le|la|les|des|votre|vous|une|est|pour|avec|du)\b", re.I)


def _french_strings(path: Path) -> list[str]:
    """String constants of ``path`` that read as French prose (three words or more), docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [f"{path.name}:{node.lineno}: {node.value[:60]!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and len(node.value.split()) >= 3 and _FRENCH.search(node.value)
            and not node.value.lstrip().startswith(("SELECT", "CREATE", "INSERT", "UPDATE", "DELETE", "WITH"))
            and not re.search(r"\\b|\(\?|\|", node.value)]  # a regular expression matches words, shows none


def test_domain_modules_hold_no_french_text():
    """French a user reads comes from the catalogue (assistant/words), not from tables in domain modules."""
    domain = ROOT / "assistant"
    found = [hit for path in sorted(domain.rglob("*.py"))
             if path.parent.name not in ("ui", "words") and str(path.relative_to(domain)) not in NOT_USER_WORDS
             for hit in _french_strings(path)]
    assert found == []
    assert _french_strings(ROOT / "assistant" / "retrieval" / "background.py"), "the check sees French"
    assert all((domain / name).exists() for name in NOT_USER_WORDS), "a listed module moved: update the list"
