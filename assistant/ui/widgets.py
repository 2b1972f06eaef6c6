"""Widgets more than one page uses: the import form (content or people) and saving data-editor edits.

The upload box states the product's own file limit (``settings.max_file_mb``; Streamlit's
``server.maxUploadSize`` in ``.streamlit/config.toml`` is set to the same 50 MB).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.context import Context
from assistant.imports import library
from assistant.retrieval.indexing import embed_pending
from assistant.ui import resources
from assistant.ui.i18n import current, error_text, t
from assistant.ui.safe import md
from assistant.writing import translation


def import_form(ctx: Context, target: str, prefix: str) -> None:
    """Upload files, import them with the CLI's importer, then embed; progress shown all along."""
    types = {"content": ["md", "markdown", "html", "htm", "xml", "rss", "atom", "csv", "jsonl", "json"],
             "people": ["csv", "jsonl", "json"]}
    with st.form(f"{prefix}_import_form", clear_on_submit=True):
        files = st.file_uploader(t(f"upload.files_{target}"), type=types[target], accept_multiple_files=True,
                                 key=f"{prefix}_files", help=t("upload.limit", mb=int(ctx.settings.max_file_mb)))
        st.caption(t("upload.limit", mb=int(ctx.settings.max_file_mb)))
        submitted = st.form_submit_button(t("upload.import"), type="primary")
    if not submitted or not files:
        return
    with st.status(t("upload.importing"), expanded=True) as status:
        report = library.import_uploads(ctx.store, target, [(f.name, f.getvalue()) for f in files],
                                        max_file_mb=ctx.settings.max_file_mb,
                                        on_file=lambda name: st.text(f"📄 {name}"))
        st.write(summary(report))
        status.update(label=t("upload.embedding"), expanded=True)
        bar = st.progress(0.0, text="…")
        computed = embed_pending(
            ctx.store, ctx.embedder,
            progress=lambda stage, done, total: bar.progress(done / max(total, 1),
                                                             text=t("upload.embed_progress", done=done, total=total)),
            today=ctx.today())
        bar.progress(1.0, text=t("upload.embedded", n=computed))
        if target == "content":  # in the app's low-priority translation process, never in this one
            translation.translate_in_background(resources.translating(), ctx)
        failed = report.counts["rejected"]
        status.update(label=summary(report), state="error" if failed else "complete", expanded=bool(failed))
    for problem in report.problems_in(current()):
        st.error(t("upload.rejected", problem=md(problem)))


def summary(report) -> str:
    """The import summary in the interface's language."""
    text = t(f"upload.summary_{report.target}", **report.counts)
    if report.files_rejected:
        text += " " + t("upload.files_unreadable", n=report.files_rejected)
    return text


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
                st.error(f"{md(key)}: {error_text(exc)}")
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
