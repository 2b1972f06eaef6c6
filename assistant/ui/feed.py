"""My feed: the page an employee opens: their points, the ideas picked for them with the reason in words, their shares.

Only the signed-in employee's own data is read (``workspace`` checks it).
The open item lives in the address (``?item=<content id>``), so a reload, a
new tab or a link from a digest opens it again: the page then shows the
workbench of that item (:mod:`assistant.ui.workbench`: drafts, editor, share)
instead of the list. Shares still waiting for "I posted it" are confirmed
under *My shares* with the form of :mod:`assistant.ui.prepared_share`.

The list of ideas and the share flow of one item are two concepts that change
for different reasons, so this module holds only the page and its list views.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.app import workspace
from assistant.imports import people
from assistant.reporting.points import ambassador_of_the_month, points_of
from assistant.retrieval.matching import recommend
from assistant.sharing import posting
from assistant.text import safe_url
from assistant.ui import auth, goals_panel, prepared_share, resources, workbench
from assistant.ui.i18n import labels, t
from assistant.ui.safe import md
from assistant.writing.versions import one_per_story


def page() -> None:
    account = auth.require("employee")
    store = resources.store()
    st.title(t("feed.title"))
    person = people.get_person(store, account.email or "")
    if person is None:
        st.info(t("feed.no_profile"))
        return
    if not person["consent_program"]:
        st.info(t("feed.not_joined"))
        if st.button(t("feed.join"), key="feed_join", type="primary"):
            workspace.set_consent(store, account, account.email, consent_program=True)
            st.rerun()
        return
    _points_strip(store, account)
    goals_panel.progress(resources.context(), open_only=True, compact=True)  # the campaign goals under way
    flash = st.session_state.pop("feed_flash", None)
    if flash:
        st.success(flash, icon="🎉")
    body = st.empty()  # one slot for the list or the open item: nothing stale stays under a draft being written
    item_id = st.query_params.get("item")
    if item_id:
        workbench.show(body, store, account, item_id)
        return
    with body.container():
        ideas, mine = st.tabs([t("feed.tab_ideas"), t("feed.tab_shares")], key="feed_tabs", on_change="rerun")
        if ideas.open:
            with ideas:
                _recommendations(account, person)
        if mine.open:
            with mine:
                _my_shares(store, account)


def _points_strip(store, account) -> None:
    month = ambassador_of_the_month(store, resources.context().today())
    a, b, c = st.columns(3)
    a.metric(t("feed.my_points"), points_of(store, account.email))
    b.metric(t("feed.my_posted"), posting.count(store, account.email))
    c.metric(t("feed.ambassador"), month["name"] if month else "—", help=t("feed.ambassador_help"))


def _open(item_id: str) -> None:
    st.query_params["item"] = item_id


def why(item: dict) -> str:
    """Why this item was picked, in words, in the interface's language."""
    basis = (item.get("why") or {}).get("basis") or "featured"
    quote = (item.get("why") or {}).get("quote")
    parts = [t(f"feed.why.{basis}", quote=md(quote))]  # the quote is the employee's own text: shown as text
    if item.get("outside_languages"):
        parts.append(t("feed.why.language", language=labels("languages").get(item["language"], item["language"])))
    return " · ".join(parts)


def _recommendations(account, person) -> None:
    limit = st.slider(t("feed.how_many"), 3, 20, 8, key="feed_limit")
    with st.spinner(t("feed.finding")):
        ranked = recommend(resources.context(), account.email, limit=limit + 6)  # versions of one story fold into one
        items = one_per_story(resources.store(), ranked, (person["languages"] or ["fr"])[0])[:limit]
    if not items:
        st.info(t("feed.nothing"))
    kinds = labels("kinds")
    reads = set(person["languages"] or [])
    for item in items:
        item["outside_languages"] = bool(reads) and item["language"] not in reads
        with st.container(border=True):
            st.markdown(f"**{md(item['title'])}**")
            meta = [kinds.get(item["kind"], item["kind"]), labels("languages").get(item["language"], item["language"])]
            if item["campaign"]:
                meta.append(t("feed.campaign", campaign=md(item["campaign"])))
            st.caption(" · ".join(meta))
            if item.get("excerpt"):
                st.text(item["excerpt"])
            st.caption(f"💡 {why(item)}")
            left, right = st.columns([1, 1])
            left.button(t("feed.draft_for_me"), key=f"feed_draft_{item['id']}", icon="✍️", on_click=_open,
                        args=(item["id"],), type="primary")
            url = safe_url(item["url"])
            if url:
                right.link_button(t("feed.read"), url, icon="↗️")
            for other in item.get("other_versions") or []:  # the same story in another language, one click away
                st.button(t(f"feed.other_version_{other['language']}"),
                          key=f"feed_other_{item['id']}_{other['id']}", on_click=_open, args=(other["id"],),
                          type="tertiary", icon=":material/translate:")


def _my_shares(store, account) -> None:
    rows = posting.history(store, account.email)
    if not rows:
        st.info(t("feed.no_shares"))
        return
    waiting = [r for r in rows if r["status"] == posting.PREPARED]
    if waiting:
        st.subheader(t("feed.waiting_title"), anchor=False)
        st.caption(t("feed.waiting_help"))
        for r in waiting:
            with st.container(border=True):
                st.markdown(f"**{md(r['title'] or r['content_id'])}** · {t('network.' + (r['network'] or 'linkedin'))}")
                prepared_share.confirm_form(store, account, r["id"], key=f"feed_hist_{r['id']}")
    st.subheader(t("feed.history_title"), anchor=False)
    frame = pd.DataFrame([{
        "date": r["shared_at"], "title": r["title"] or r["content_id"], "network": t("network." + (r["network"] or "linkedin")),
        "status": t("share_status." + r["status"]), "score": r["score"], "clicks": r["clicks"],
        "reactions": r["reactions"], "comments": r["comments"], "post": safe_url(r["post_url"]),
    } for r in rows])
    st.dataframe(frame, hide_index=True, key="feed_history", placeholder="—", column_config={
        "date": st.column_config.DatetimeColumn(t("col.date"), format="YYYY-MM-DD"),
        "title": st.column_config.TextColumn(t("col.title")),
        "network": st.column_config.TextColumn(t("col.network")),
        "status": st.column_config.TextColumn(t("col.status")),
        "score": st.column_config.ProgressColumn(t("col.score"), min_value=0, max_value=100, format="%.0f"),
        "clicks": st.column_config.NumberColumn(t("col.clicks"), help=t("col.clicks_help")),
        "reactions": st.column_config.NumberColumn(t("col.reactions")),
        "comments": st.column_config.NumberColumn(t("col.comments")),
        "post": st.column_config.LinkColumn(t("col.post"), display_text="↗"),
    })


if __name__ == "__main__":
    page()
