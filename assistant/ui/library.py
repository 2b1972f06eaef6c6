"""Library (admin): import content, list/edit/retire items, preview and correct an item's text, campaigns with a
publish window, editorial calendar.

Retiring is its own visible action above the grid (pick the items, then one button that says how many and
asks again in a dialog), not a checkbox column at the far end of a wide grid; the grid shows whether an item
is retired in its first column and empty cells as empty, not "None"."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from assistant.imports import catalog, library
from assistant.imports.catalog import KINDS
from assistant.ui import auth, confirm, resources
from assistant.ui.i18n import error_text, labels, t
from assistant.ui.safe import md
from assistant.ui.widgets import import_form, save_edits

EDITABLE = ["title", "kind", "campaign", "priority", "published_at", "expires_at"]
SHOWN_RETIRING = 10  # titles listed in the retire dialog (then "and N more")


def page() -> None:
    auth.require("admin")
    store = resources.store()
    st.title(t("library.title"))
    tabs = st.tabs([t("library.tab_import"), t("library.tab_items"), t("library.tab_campaigns"),
                    t("library.tab_calendar")], key="lib_tabs", on_change="rerun")
    views = (lambda: import_form(resources.context(), "content", "lib"), lambda: _items(store),
             lambda: _campaigns(store), lambda: _calendar(store))
    for tab, view in zip(tabs, views):  # only the open tab is computed
        if tab.open:
            with tab:
                view()
    flash = st.session_state.pop("lib_flash", None) or confirm.done_message("lib_retire")
    if flash:
        st.toast(flash, icon="✅")


def _items(store) -> None:
    search = st.text_input(t("library.filter"), key="lib_search")
    rows = library.items(store, search=search)
    if not rows:
        st.info(t("library.empty"))
        return
    _retire(store, rows)
    frame = pd.DataFrame(rows).set_index("id")
    kinds = labels("kinds")
    edited = st.data_editor(
        frame[["retired"] + EDITABLE + ["language", "url"]], key="lib_items_editor", placeholder="",
        disabled=["retired", "language", "url"],
        column_config={"title": st.column_config.TextColumn(t("col.title")),
                       "kind": st.column_config.SelectboxColumn(t("col.kind"), options=list(KINDS),
                                                                help=", ".join(f"{k}: {v}" for k, v in kinds.items())),
                       "campaign": st.column_config.TextColumn(t("col.campaign")),
                       "priority": st.column_config.NumberColumn(t("col.priority"), min_value=0, max_value=3, step=1),
                       "published_at": st.column_config.DateColumn(t("col.published_at")),
                       "expires_at": st.column_config.DateColumn(t("col.expires_at")),
                       "retired": st.column_config.CheckboxColumn(t("col.retired"), help=t("library.retired_help")),
                       "language": st.column_config.TextColumn(t("col.language")),
                       "url": st.column_config.TextColumn(t("col.url"))})
    if st.button(t("library.save_changes"), key="lib_items_save", type="primary"):
        changed = save_edits(frame, edited, EDITABLE, lambda key, fields: library.update_item(store, key, **fields))
        st.session_state["lib_flash"] = t("library.items_changed", n=changed)
        st.rerun()
    _text_editor(store, list(frame.index), {i: frame.loc[i]["title"] for i in frame.index})


def _retire(store, rows: list[dict]) -> None:
    """Retire the items picked (they leave every feed, digest and calendar; shares already made stay), after a
    dialog that says how many and which; or put retired items back."""
    titles = {r["id"]: f"{r['title']} ({r['id']})" for r in rows}
    active, retired = [r["id"] for r in rows if not r["retired"]], [r["id"] for r in rows if r["retired"]]
    with st.container(border=True):
        st.markdown(f"**{t('library.retire_title')}**")
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        picked = left.multiselect(t("library.retire_pick"), active, format_func=titles.get, key="lib_retire_pick",
                                  placeholder=t("library.retire_placeholder"), select_all=False)
        if right.button(t("library.retire_n", n=len(picked)), key="lib_retire", disabled=not picked, icon="🗄️"):
            confirm.ask("lib_retire")
        if retired:
            back = left.multiselect(t("library.restore_pick"), retired, format_func=titles.get, key="lib_restore_pick",
                                    placeholder=t("library.retire_placeholder"), select_all=False)
            if right.button(t("library.restore_n", n=len(back)), key="lib_restore", disabled=not back, icon="↩️"):
                for item_id in back:
                    library.retire(store, item_id, False)
                st.session_state.pop("lib_restore_pick", None)
                st.session_state["lib_flash"] = t("library.restored", n=len(back))
                st.rerun()
    listed = "\n".join(f"- {md(titles[i])}" for i in picked[:SHOWN_RETIRING])
    more = t("library.and_more", n=len(picked) - SHOWN_RETIRING) if len(picked) > SHOWN_RETIRING else ""
    confirm.dialog("lib_retire", t("library.retire_confirm_title"),
                   t("library.retire_confirm", n=len(picked)) + "\n\n" + listed + ("\n\n" + more if more else ""),
                   t("library.retire_n", n=len(picked)).rstrip("…"), lambda: _retire_items(store, picked))


def _retire_items(store, ids: list[str]) -> str:
    for item_id in ids:
        library.retire(store, item_id)
    st.session_state.pop("lib_retire_pick", None)
    return t("library.retired", n=len(ids))


def _text_editor(store, ids: list[str], titles: dict) -> None:
    """Preview one item's text as employees will read it, and correct it."""
    st.subheader(t("library.text_title"))
    item_id = st.selectbox(t("library.pick_item"), ids, index=None, key="lib_text_pick",
                           format_func=lambda i: f"{titles[i]} ({i})", placeholder=t("library.pick_placeholder"))
    if item_id is None:
        return
    item = catalog.get_item(store, item_id)
    preview, edit = st.columns(2)
    with preview.container(border=True):
        st.caption(t("library.preview"))
        st.markdown(f"**{md(item['title'])}**")
        st.text(item["text"])
    with edit, st.form(f"lib_text_form_{item_id}"):
        text = st.text_area(t("library.text"), item["text"], height=320, key=f"lib_text_{item_id}")
        if st.form_submit_button(t("common.save"), type="primary"):
            try:
                library.update_text(store, item_id, text)
            except (ValueError, LookupError) as exc:
                st.error(error_text(exc))
                return
            st.session_state["lib_flash"] = t("library.text_saved")
            st.rerun()


def _campaigns(store) -> None:
    rows = library.campaigns(store)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="lib_campaigns_table", placeholder="", column_config={
            c: st.column_config.Column(t(f"col.{c}")) for c in rows[0]})
    st.subheader(t("library.campaign_form"))
    with st.form("lib_campaign_form"):
        names = [r["campaign"] for r in rows]
        name = st.text_input(t("library.campaign_name"), key="lib_campaign_name", placeholder=", ".join(names[:3]))
        a, b, c = st.columns(3)
        start = a.date_input(t("library.starts"), value=None, key="lib_campaign_start")
        end = b.date_input(t("library.ends"), value=None, key="lib_campaign_end")
        priority = c.number_input(t("library.priority"), 0, 3, 1, key="lib_campaign_priority")
        members = st.multiselect(t("library.add_items"), [r["id"] for r in library.items(store, False)],
                                 key="lib_campaign_items", select_all=False)
        if st.form_submit_button(t("library.apply"), type="primary"):
            try:
                n = library.set_campaign(store, name, start, end, int(priority), members)
                st.success(t("library.campaign_applied", name=md(name.strip()), n=n))
            except ValueError as exc:
                st.error(error_text(exc))


def _calendar(store) -> None:
    today = resources.context().today()
    a, b = st.columns(2)
    start = a.date_input(t("library.from"), today - pd.Timedelta(days=14), key="lib_cal_start")
    end = b.date_input(t("library.to"), today + pd.Timedelta(days=60), key="lib_cal_end")
    rows = library.calendar(store, start, end)
    if not rows:
        st.info(t("library.nothing_published"))
        return
    frame = pd.DataFrame(rows)
    frame["ends"] = pd.to_datetime(frame["ends"]) + pd.Timedelta(days=1)
    today_rule = alt.Chart(pd.DataFrame({"today": [pd.Timestamp(today)]})).mark_rule(color="red").encode(x="today:T")
    bars = alt.Chart(frame).mark_bar(cornerRadius=3).encode(
        x=alt.X("starts:T", title=None), x2="ends:T", y=alt.Y("title:N", sort=alt.EncodingSortField("starts"), title=None),
        color=alt.Color("campaign:N", title=t("col.campaign")),
        tooltip=[alt.Tooltip(c, title=t(f"col.{c}")) for c in ("title", "kind", "language", "campaign", "priority",
                                                               "starts", "ends")])
    st.altair_chart((bars + today_rule).properties(height=max(200, 18 * len(frame))), key="lib_cal_chart")


if __name__ == "__main__":
    page()
