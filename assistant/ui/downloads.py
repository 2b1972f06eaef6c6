"""CSV downloads that a spreadsheet opens as data, never as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return)
is a formula to Excel or LibreOffice: ``=HYPERLINK("http://evil", "Click")``
in an imported title would become a live link in the exported file. Every
CSV the app offers goes through :func:`csv_text`, which uses
``assistant.exports`` (the product's one neutralising writer) when it is
installed and the same rule (a leading apostrophe) otherwise.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text with formula-looking cells neutralised."""
    try:
        from assistant import exports
    except ImportError:
        exports = None
    if exports is not None and hasattr(exports, "frame_to_csv"):
        return exports.frame_to_csv(frame)
    return frame.map(_neutral).to_csv(index=False)


def csv_download(label: str, frame: pd.DataFrame, file_name: str, key: str) -> None:
    st.download_button(label, csv_text(frame), file_name=file_name, mime="text/csv", key=key, icon="⬇️")
