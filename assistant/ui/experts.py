"""Experts (content team): a topic in French or English → colleagues who accept interview requests, with evidence.

Colleagues are ranked by how much of their writing supports the topic; below
a relevance floor nobody is listed ("no colleague matches this topic well"),
and each listed colleague's evidence is said in words (strong, moderate, weak)
rather than as a raw score. Imported and personal text is shown as text.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.retrieval.matching import experts
from assistant.ui import auth, resources
from assistant.ui.downloads import csv_download
from assistant.ui.i18n import labels, t
from assistant.ui.safe import md

STRENGTH_ICONS = {"strong": "🟢", "moderate": "🟡", "weak": "⚪"}


def page() -> None:
    auth.require("content")
    st.title(t("experts.title"))
    st.caption(t("experts.consent_note"))
    with st.form("experts_form"):
        query = st.text_input(t("experts.topic"), key="experts_query", placeholder=t("experts.placeholder"))
        limit = st.slider(t("experts.how_many"), 3, 30, 10, key="experts_limit")
        st.form_submit_button(t("experts.search"), type="primary")
    if not query.strip():
        return
    with st.spinner(t("experts.searching")):
        results = experts(resources.context(), query, limit=limit)
    if not results:
        st.info(t("experts.nobody"), icon="🤷")
        return
    st.caption(t("experts.strength_legend"))
    csv_download(t("experts.export"), table(query, results), "experts.csv", key="experts_csv")
    kinds, strengths = labels("evidence"), labels("strength")
    for rank, r in enumerate(results, 1):
        with st.container(border=True):
            who = " · ".join(md(x) for x in (r["role"], r["team"]) if x)
            st.markdown(f"**{rank}. {md(r['name'])}**" + (f" — {who}" if who else ""))
            st.caption(f"{STRENGTH_ICONS.get(r['strength'], '')} {strengths.get(r['strength'], r['strength'])} · "
                       f"{md(r['email'])}")
            for e in r["evidence"]:
                st.caption(kinds.get(e["kind"], e["kind"]))
                st.text(e["text"])


def table(query: str, results: list[dict]) -> pd.DataFrame:
    """The results as a table with readable column names (the CSV export)."""
    kinds, strengths = labels("evidence"), labels("strength")
    return pd.DataFrame([{
        t("col.rank"): rank, t("col.name"): r["name"], t("col.email"): r["email"], t("col.role"): r["role"] or "",
        t("col.team"): r["team"] or "", t("col.evidence_strength"): strengths.get(r["strength"], r["strength"]),
        t("col.topic"): query,
        t("col.evidence"): " | ".join(f"{kinds.get(e['kind'], e['kind'])}: {e['text']}" for e in r["evidence"]),
    } for rank, r in enumerate(results, 1)])


if __name__ == "__main__":
    page()
