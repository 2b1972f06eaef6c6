"""CSV downloads that a spreadsheet opens as data, never as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is a
formula to Excel or LibreOffice: ``=HYPERLINK("http://evil", "Click")`` in an
imported title would become a live link in the exported file. Every CSV the app
offers goes through ``assistant.storage.exports``, the product's one neutralising writer.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.storage import exports


def csv_download(label: str, frame: pd.DataFrame, file_name: str, key: str) -> None:
    st.download_button(label, exports.frame_to_csv(frame), file_name=file_name, mime="text/csv", key=key, icon="⬇️")
