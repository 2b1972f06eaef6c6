"""Widgets more than one page uses: the import form (content or people) and saving data-editor edits."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant import library
from assistant.context import Context
from assistant.indexing import embed_pending


def import_form(ctx: Context, target: str, prefix: str) -> None:
    """Upload files, import them with the CLI's importer, then embed; progress shown all along."""
    kinds = {"content": "Markdown, HTML, RSS/Atom, CSV, JSONL", "people": "CSV, JSONL"}
    types = {"content": ["md", "markdown", "html", "htm", "xml", "rss", "atom", "csv", "jsonl", "json"],
             "people": ["csv", "jsonl", "json"]}
    with st.form(f"{prefix}_import_form", clear_on_submit=True):
        files = st.file_uploader(f"Fichiers · Files ({kinds[target]})", type=types[target], accept_multiple_files=True,
                                 key=f"{prefix}_files")
        submitted = st.form_submit_button("Importer · Import", type="primary")
    if not submitted or not files:
        return
    with st.status("Import…", expanded=True) as status:
        report = library.import_uploads(ctx.store, target, [(f.name, f.getvalue()) for f in files],
                                        on_file=lambda name: st.write(f"📄 {name}"))
        st.write(report.summary())
        status.update(label="Calcul des vecteurs · Embedding…")
        bar = st.progress(0.0, text="…")
        computed = embed_pending(
            ctx.store, ctx.embedder,
            progress=lambda stage, done, total: bar.progress(done / max(total, 1), text=f"{stage}: {done}/{total}"),
            today=ctx.today())
        bar.progress(1.0, text=f"{computed} vecteur(s) calculé(s) · embedding(s) computed")
        failed = report.counts["rejected"]
        status.update(label=report.summary(), state="error" if failed else "complete", expanded=bool(failed))
    for problem in report.problems:
        st.error(f"rejeté · rejected: {problem}")


def save_edits(frame, edited, columns, update) -> int:
    """Apply the cells changed in a data editor, row by row (``update(key, fields)``); show each refusal."""
    changed = 0
    for key, row in edited.iterrows():
        fields = {c: _plain(row[c]) for c in columns if _plain(row[c]) != _plain(frame.loc[key][c])}
        if fields:
            try:
                update(key, fields)
                changed += 1
            except ValueError as exc:
                st.error(f"{key}: {exc}")
    return changed


def _plain(value):
    """Pandas cell → Python value (NaN/NaT → None, Timestamp → date)."""
    if value is None or (not isinstance(value, (list, str)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value
