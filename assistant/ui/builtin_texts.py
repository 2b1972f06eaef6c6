"""Streamlit's own widget texts in the interface's language (Streamlit writes them in English only).

The file uploader draws an "Upload" button and a "50MB per file • CSV" line,
and text inputs a "Press Enter to apply" hint, none of which Streamlit 1.67
lets an app word. One style sheet per run (``st.html`` with only a ``<style>``:
it takes no room on the page) hides them: the uploader's button gets the
catalogue's label (``upload.browse_one`` / ``upload.browse_many``, as CSS
generated content, which browsers include in the button's accessible name),
its limit line goes (each page states the product's limit and file types
under its uploader, in the interface's language), and so does the hint.
Multiselects are built with ``select_all=False``: their "Select all" is English,
and one click there would pick every item of a bulk action.

    >>> css("Choisir un fichier", 'Choisir des "fichiers"').count("display: none")
    3
"""

from __future__ import annotations

import json

import streamlit as st

from assistant.ui.i18n import t

_DROPZONE = '[data-testid="stFileUploaderDropzone"]'
_LABEL = 'button [data-testid="stMarkdownContainer"]'


def css(browse_one: str, browse_many: str) -> str:
    """The style sheet; labels are written as CSS strings (quotes and backslashes escaped)."""
    return f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
{_DROPZONE} {_LABEL} p {{ display: none; }}
{_DROPZONE} {_LABEL}::after {{ content: {json.dumps(browse_one, ensure_ascii=False)}; }}
{_DROPZONE}:has(input[multiple]) {_LABEL}::after {{ content: {json.dumps(browse_many, ensure_ascii=False)}; }}
[data-testid="InputInstructions"] {{ display: none; }}
</style>"""


def apply() -> None:
    """Word this run's built-in texts in the interface's language (call once per run, before the page)."""
    st.html(css(t("upload.browse_one"), t("upload.browse_many")))
