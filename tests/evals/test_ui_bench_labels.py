"""The browser part of ``evals/load/ui_bench.py`` looks for the texts the pages really show: catalogue keys,
matched in either language (the benchmark itself is not run here)."""

import string

import pytest

from assistant.ui import i18n
from tests.conftest import ROOT

ui_bench = pytest.importorskip("evals.load.ui_bench")  # needs Playwright, installed with the dev tools


def keys() -> list[str]:
    return [*ui_bench.LABELS.values(), *(key for pair in ui_bench.NAVIGATION.values() for key in pair)]


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_label_the_browser_looks_for_is_a_catalogue_text(lang):
    for key in keys():
        assert key in i18n.catalogue(lang), key
        text = i18n.translate(lang, key)
        fields = {name: "42" for _, name, _, _ in string.Formatter().parse(text) if name}
        assert ui_bench.label(key, exact=not fields).search(i18n.translate(lang, key, **fields)), (lang, key)


def test_navigation_covers_every_benched_page_with_its_menu_link_and_title():
    assert set(ui_bench.NAVIGATION) == set(ui_bench.PAGES)
    shell = (ROOT / "assistant" / "ui" / "shell.py").read_text()
    for name, (link, heading) in ui_bench.NAVIGATION.items():
        assert f'"{link}"' in shell, name
        page = (ROOT / ui_bench.PAGES[name][1]).read_text()
        assert f'st.title(t("{heading}"))' in page, name


def test_no_old_bilingual_label_is_left():
    source = (ROOT / "evals" / "load" / "ui_bench.py").read_text()
    assert " · " not in source.split('"""', 2)[2]
