"""Library (admin): import content, list/edit/retire items, campaigns with a publish window, editorial calendar."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from assistant import library
from assistant.catalog import KINDS
from assistant.ui import auth, resources
from assistant.ui.widgets import import_form, save_edits

EDITABLE = ["title", "kind", "campaign", "priority", "published_at", "expires_at", "retired"]


def page() -> None:
    auth.require("admin")
    store = resources.store()
    st.title("Bibliothèque · Library")
    tabs = st.tabs(["Importer · Import", "Contenus · Items", "Campagnes · Campaigns", "Calendrier · Calendar"],
                   key="lib_tabs", on_change="rerun")
    views = (lambda: import_form(resources.context(), "content", "lib"), lambda: _items(store), lambda: _campaigns(store),
             lambda: _calendar(store))
    for tab, view in zip(tabs, views):  # only the open tab is computed
        if tab.open:
            with tab:
                view()


def _items(store) -> None:
    search = st.text_input("Filtrer · Filter (titre, id, campagne)", key="lib_search")
    rows = library.items(store, search=search)
    if not rows:
        st.info("Bibliothèque vide · Empty library.")
        return
    frame = pd.DataFrame(rows).set_index("id")
    edited = st.data_editor(
        frame[EDITABLE + ["language", "url"]], key="lib_items_editor", disabled=["language", "url"],
        column_config={"kind": st.column_config.SelectboxColumn("kind", options=list(KINDS)),
                       "priority": st.column_config.NumberColumn("priority", min_value=0, max_value=3, step=1),
                       "published_at": st.column_config.DateColumn("published_at"),
                       "expires_at": st.column_config.DateColumn("expires_at"),
                       "retired": st.column_config.CheckboxColumn("retired")})
    if st.button("Enregistrer les modifications · Save changes", key="lib_items_save", type="primary"):
        changed = save_edits(frame, edited, EDITABLE, lambda key, fields: library.update_item(store, key, **fields))
        st.success(f"{changed} contenu(s) modifié(s) · item(s) changed.")



def _campaigns(store) -> None:
    rows = library.campaigns(store)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="lib_campaigns_table")
    st.subheader("Créer ou modifier une campagne · Create or edit a campaign")
    with st.form("lib_campaign_form"):
        names = [r["campaign"] for r in rows]
        name = st.text_input("Nom · Name", key="lib_campaign_name", placeholder=", ".join(names[:3]))
        a, b, c = st.columns(3)
        start = a.date_input("Début · Starts", value=None, key="lib_campaign_start")
        end = b.date_input("Fin · Ends", value=None, key="lib_campaign_end")
        priority = c.number_input("Priorité · Priority (0–3)", 0, 3, 1, key="lib_campaign_priority")
        members = st.multiselect("Ajouter des contenus · Add items", [r["id"] for r in library.items(store, False)],
                                 key="lib_campaign_items")
        if st.form_submit_button("Appliquer · Apply", type="primary"):
            try:
                n = library.set_campaign(store, name, start, end, int(priority), members)
                st.success(f"Campagne « {name} » : {n} contenu(s) · item(s).")
            except ValueError as exc:
                st.error(str(exc))


def _calendar(store) -> None:
    today = dt.date.today()
    a, b = st.columns(2)
    start = a.date_input("Du · From", today - dt.timedelta(days=14), key="lib_cal_start")
    end = b.date_input("Au · To", today + dt.timedelta(days=60), key="lib_cal_end")
    rows = library.calendar(store, start, end)
    if not rows:
        st.info("Rien de publié sur cette période · Nothing published in this period.")
        return
    frame = pd.DataFrame(rows)
    frame["ends"] = pd.to_datetime(frame["ends"]) + pd.Timedelta(days=1)
    today_rule = alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today)]})).mark_rule(color="red").encode(x="today:T")
    bars = alt.Chart(frame).mark_bar(cornerRadius=3).encode(
        x=alt.X("starts:T", title=None), x2="ends:T", y=alt.Y("title:N", sort=alt.EncodingSortField("starts"), title=None),
        color=alt.Color("campaign:N", title="Campagne · Campaign"),
        tooltip=["title", "kind", "language", "campaign", "priority", "starts", "ends"])
    st.altair_chart((bars + today_rule).properties(height=max(200, 18 * len(frame))), key="lib_cal_chart")


if __name__ == "__main__":
    page()
