"""My feed: the items recommended to one employee, with the reason for each."""

from __future__ import annotations

import streamlit as st

from assistant.matching import UnknownEmployee, recommend
from assistant.ui import resources

KIND_LABELS = {"article": "Article", "job_offer": "Offre d'emploi / Job", "news": "Actualité / News", "event": "Événement / Event"}


def page() -> None:
    store = resources.store()
    st.title("Mon fil · My feed")
    people = store.rows("SELECT email, name, team FROM employees WHERE consent_program ORDER BY name")
    if not people:
        st.info("Aucun ambassadeur pour l'instant · No ambassadors yet: import people first (`porte-voix demo`).")
        return
    labels = {p["email"]: f"{p['name']} — {p['team'] or ''}" for p in people}
    email = st.selectbox("Employé·e · Employee", list(labels), format_func=labels.get, key="feed_employee")
    limit = st.slider("Nombre d'idées · Items", 3, 20, 8, key="feed_limit")
    try:
        with st.spinner("Recherche de contenus pour vous… · Finding content for you…"):
            items = recommend(store, email, limit=limit, embedder=resources.embedder())
    except UnknownEmployee as exc:
        st.error(str(exc))
        return
    if not items:
        st.info("Rien de nouveau à partager · Nothing new to share right now.")
    for item in items:
        with st.container(border=True):
            st.markdown(f"**{item['title']}**")
            meta = [KIND_LABELS.get(item["kind"], item["kind"]), item["language"].upper()]
            if item["campaign"]:
                meta.append(f"#{item['campaign']}")
            st.caption(" · ".join(meta) + f" · score {item['score']:.2f}")
            st.write(item["reason"])
            if item["url"]:
                st.markdown(f"[Lire · Read]({item['url']})")
