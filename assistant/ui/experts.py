"""Experts (content team): a topic in French or English → colleagues who accept interview requests, with evidence."""

from __future__ import annotations

import csv
import io

import streamlit as st

from assistant.matching import experts
from assistant.ui import auth, resources

EVIDENCE = {"expertise": "Expertise", "skills": "Compétences · Skills", "post": "Publication · Post"}


def page() -> None:
    auth.require("content")
    st.title("Experts")
    st.caption("Seules les personnes qui acceptent les demandes d'interview apparaissent · Only colleagues who accept "
               "interview requests are listed.")
    with st.form("experts_form"):
        query = st.text_input("Sujet (français ou anglais) · Topic (French or English)", key="experts_query",
                              placeholder="sécurité des réseaux industriels · wind power forecasting")
        limit = st.slider("Nombre · How many", 3, 30, 10, key="experts_limit")
        st.form_submit_button("Chercher · Search", type="primary")
    if not query.strip():
        return
    with st.spinner("Recherche… · Searching…"):
        results = experts(resources.context(), query, limit=limit)
    if not results:
        st.info("Personne ne correspond · Nobody matches this topic.")
        return
    st.download_button("⬇️ Exporter la liste (CSV) · Export the list (CSV)", to_csv(query, results),
                       file_name="experts.csv", mime="text/csv", key="experts_csv")
    for rank, r in enumerate(results, 1):
        with st.container(border=True):
            st.markdown(f"**{rank}. {r['name']}** — {r['role'] or ''} · {r['team'] or ''}")
            st.caption(f"{r['email']} · score {r['score']:.2f}")
            for e in r["evidence"]:
                st.markdown(f"- _{EVIDENCE.get(e['kind'], e['kind'])}_ : {e['text']}")


def to_csv(query: str, results: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["rank", "name", "email", "role", "team", "score", "query", "evidence"])
    for rank, r in enumerate(results, 1):
        writer.writerow([rank, r["name"], r["email"], r["role"] or "", r["team"] or "", r["score"], query,
                         " | ".join(f"{e['kind']}: {e['text']}" for e in r["evidence"])])
    return out.getvalue()


if __name__ == "__main__":
    page()
