"""My feed: ideas picked for me with the reason in words; draft, edit with a live score, share, confirm; my shares.

Only the signed-in employee's own data is read (``workspace`` checks it).
The open item lives in the address (``?item=<content id>``), so a reload, a
new tab or a link from a digest opens it again, with the text being edited
restored from the server (``autosave``). The editor, its score and the share
button live in one ``st.fragment`` so typing reruns only that part.

A share is first *prepared* (text and tracked link handed over) and counts
once the employee confirms it was posted, or its link gets a human click
(``posting``). Empty, unchanged or repetitive texts cannot be shared
(``share_rules``).
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from assistant.access import workspace
from assistant.engagement import posting, share_rules
from assistant.engagement import public as engagement
from assistant.engagement.links import share_links
from assistant.imports import catalog, people
from assistant.retrieval.matching import recommend
from assistant.text import safe_url
from assistant.ui import auth, editor, goals_panel, resources
from assistant.ui.i18n import error_text, labels, t
from assistant.ui.safe import md
from assistant.writing import autosave
from assistant.writing.drafting import stream_variants
from assistant.writing.policy import blocking
from assistant.writing.prompting import angle_label

NETWORKS = ("linkedin", "x")
VARIANTS = 3


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
        _workbench(body, store, account, item_id)
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
    month = engagement.ambassador_of_the_month(store, resources.context().today())
    a, b, c = st.columns(3)
    a.metric(t("feed.my_points"), engagement.points_of(store, account.email))
    b.metric(t("feed.my_posted"), posting.count(store, account.email))
    c.metric(t("feed.ambassador"), month["name"] if month else "—", help=t("feed.ambassador_help"))


def _open(item_id: str) -> None:
    st.query_params["item"] = item_id


def _back() -> None:
    st.query_params.pop("item", None)
    for key in [k for k in st.session_state.keys() if str(k).startswith("feed_") and k not in ("feed_limit", "feed_tabs")]:
        del st.session_state[key]


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
        items = recommend(resources.context(), account.email, limit=limit)
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
                _confirm_form(store, account, r["id"], key=f"feed_hist_{r['id']}")
    st.subheader(t("feed.history_title"), anchor=False)
    frame = pd.DataFrame([{
        "date": r["shared_at"], "title": r["title"] or r["content_id"], "network": t("network." + (r["network"] or "linkedin")),
        "status": t("share_status." + r["status"]), "score": r["score"], "clicks": r["clicks"],
        "reactions": r["reactions"], "comments": r["comments"], "post": safe_url(r["post_url"]),
    } for r in rows])
    st.dataframe(frame, hide_index=True, key="feed_history", column_config={
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


# --- one item: drafts, editor, share -------------------------------------------------------

def _workbench(body, store, account, item_id: str) -> None:
    item = catalog.get_item(store, item_id)
    drafts_key, redraft = f"feed_drafts_{item_id}", st.session_state.pop(f"feed_redraft_{item_id}", False)
    editing = st.session_state.get(f"feed_editing_{item_id}", False)  # a prepared share aside, to write another
    if item is not None and (redraft or drafts_key not in st.session_state):
        drafts = [] if redraft else [dict(d, angle_label=angle_label(d["angle"], d["language"]))
                                     for d in workspace.latest_drafts(store, account, account.email, item_id)]
        if not drafts and (editing or posting.pending(store, account.email, item_id) is None):
            body.empty()  # clear the list at once: the drafts stream into a clean page
            with body.container():
                _header(item)
                drafts = _stream_drafts(account, item)
        st.session_state[drafts_key] = drafts
    with body.container():
        st.button(t("feed.back"), key="feed_back", on_click=_back, icon=":material/arrow_back:")
        if item is None:
            st.error(t("feed.item_gone"))
            return
        _header(item)
        waiting = None if editing else posting.pending(store, account.email, item_id)
        if waiting is not None:
            _shared(store, account, item, waiting)
            return
        drafts = st.session_state.get(drafts_key) or []
        if not drafts:
            st.warning(t("feed.no_draft"))
        else:
            _drafts(store, account, item, drafts)


def _header(item: dict) -> None:
    st.subheader(md(item["title"]), anchor=False)
    url = safe_url(item["url"])
    if url:
        st.caption(url)
    with st.expander(t("feed.source_text")):
        st.text(item["text"])


def _drafts(store, account, item: dict, drafts: list[dict]) -> None:
    item_id = item["id"]
    if st.button(t("feed.new_drafts"), key=f"feed_redraft_{item_id}", icon="🔄"):
        st.session_state[f"feed_redraft_{item_id}"] = True
        st.rerun()
    by_id = {d["id"]: d for d in drafts}
    saved = autosave.restore(store, account.email, item_id)
    pick_key = f"feed_pick_{item_id}"
    if pick_key not in st.session_state and saved and saved["draft_id"] in by_id:
        st.session_state[pick_key] = saved["draft_id"]
    cols = st.columns(len(drafts))
    for n, (col, d) in enumerate(zip(cols, drafts), 1):
        with col.container(border=True):
            st.markdown(f"**{md(d.get('angle_label') or d['angle'])}**"
                        + (f" · _{t('feed.fallback')}_" if d.get("fallback") else ""))
            st.text(d["text"])
    pick = st.radio(t("feed.pick"), list(by_id), format_func=lambda i: by_id[i].get("angle_label") or by_id[i]["angle"],
                    horizontal=True, key=pick_key)
    start = saved["text"] if saved and saved["draft_id"] == pick else by_id[pick]["text"]
    _edit_and_share(account, item, by_id[pick], start, saved["network"] if saved else None)


def _stream_drafts(account, item: dict) -> list[dict]:
    """Wait for the model to load (with an estimate), say how many other drafts share it, then stream the
    variants as they are written ("draft k of n")."""
    drafts, texts, slots = [], {}, {}
    ctx, loading = resources.context(), resources.drafting_warm_up()
    with st.status(t("draft.preparing"), expanded=True) as status:
        note = st.empty()
        while not loading.done:
            note.info(t("draft.loading", seconds=round(loading.remaining_s())), icon="⏳")
            status.update(label=t("draft.loading_label"), expanded=True)
            time.sleep(0.5)
        others = drafts_in_progress(ctx.generator)
        if others:  # several employees share the model step by step: theirs slow ours down a little
            note.info(t("draft.queue", n=others) if others > 1 else t("draft.queue_one"), icon="🧍")
        else:
            note.empty()
        status.update(label=t("draft.writing", n=VARIANTS), expanded=True)
        columns = st.columns(VARIANTS)
        try:
            for kind, payload in stream_variants(ctx, account.email, item["id"], n=VARIANTS):
                if kind == "notice":  # the company's model server is down: grounded drafts, said so
                    st.warning(t("draft.unavailable"), icon="🔌")
                    continue
                v = payload["variant"]
                if v not in slots:
                    note.empty()
                    with columns[(v - 1) % VARIANTS]:
                        st.caption(t("draft.variant_k", k=v, n=VARIANTS))
                        slots[v] = st.empty()
                if kind == "token":
                    texts[v] = texts.get(v, "") + payload["text"]
                    slots[v].text(texts[v] + " ▌")
                elif kind == "retry":  # the guardrails refused this attempt; another candidate replaces it
                    texts[v] = ""
                    slots[v].caption(t("draft.retrying"))
                elif kind == "variant":
                    drafts.append(payload)
                    slots[v].text(payload["text"])
                    status.update(label=t("draft.ready_k", k=len(drafts), n=VARIANTS), expanded=True)
        except Exception as exc:
            status.update(label=t("draft.failed"), state="error")
            st.error(t("draft.failed_detail", reason=error_text(exc)))
            return sorted(drafts, key=lambda d: d["variant"])
        status.update(label=t("draft.ready"), state="complete", expanded=False)
    return sorted(drafts, key=lambda d: d["variant"])


def drafts_in_progress(generator) -> int:
    """Other people's drafting requests the shared model is writing now (0 for a backend that cannot say)."""
    count = getattr(generator, "in_flight", None)
    return int(count()) if callable(count) else 0


@st.fragment
def _edit_and_share(account, item: dict, draft: dict, start: str, saved_network: str | None) -> None:
    ctx = resources.context()
    item_id = item["id"]
    text = editor.live_text_area(t("editor.label"), start, key=f"feed_text_{item_id}_{draft['id']}",
                                 version=draft["id"])
    editor.to_check_notice(text, draft.get("to_check") or [])
    network_key = f"feed_network_{item_id}"
    if network_key not in st.session_state and saved_network in NETWORKS:
        st.session_state[network_key] = saved_network
    network = st.radio(t("feed.network"), NETWORKS, format_func=lambda n: t(f"network.{n}"), horizontal=True,
                       key=network_key)
    share_id = st.session_state.setdefault(f"feed_share_id_{item_id}_{network}", engagement.new_share_id())
    prepared = engagement.prepare_share(ctx, account.email, item_id, text, network, share_id, draft_text=draft["text"])
    refused = share_rules.refusals(text, draft["text"])
    editor.score_panel(prepared)
    blocked = [v["message"] for v in blocking(prepared["violations"])]
    for code in refused:
        st.warning(t(f"share.refused.{code}"), icon="✋")
    reasons = [t(f"share.refused.{c}") for c in refused] + blocked
    last = st.session_state.setdefault(f"feed_saved_{item_id}", (start, draft["id"], saved_network or network))
    if last != (text, draft["id"], network):  # saved after the score is on screen: the write never delays it
        autosave.save(ctx.store, account.email, item_id, text, draft_id=draft["id"], network=network)
        st.session_state[f"feed_saved_{item_id}"] = (text, draft["id"], network)
    if st.button(t("feed.share"), key=f"feed_share_{item_id}", type="primary", icon="📣", disabled=bool(reasons),
                 help=(" ".join(reasons) if reasons else t("feed.share_help"))):
        try:
            posting.share(ctx, account.email, item_id, text, network, share_id=share_id, draft_id=draft["id"],
                          draft_text=draft["text"])
        except share_rules.ShareRefused as exc:
            st.error(" ".join(t(f"share.refused.{c}") for c in exc.codes))
            return
        except engagement.ShareBlocked as exc:
            st.error(t("share.blocked", reason=md(str(exc))))
            return
        autosave.clear(ctx.store, account.email, item_id)
        st.session_state.pop(f"feed_editing_{item_id}", None)
        st.rerun()  # the whole page: the item now shows the prepared share


def _shared(store, account, item: dict, share: dict) -> None:
    """A prepared share: the final text and its link for its network, then "I posted it"."""
    network = share["network"] or "linkedin"
    points = engagement.share_points(share["score"], {})
    st.success(t("share.ready", network=t(f"network.{network}"), score=round(share["score"] or 0), points=points),
               icon="📋")
    st.caption(t("share.copy_hint"))
    st.code(share["text"], language=None, wrap_lines=True)
    editor.copy_to_clipboard(share["text"], key=f"feed_copy_{share['id']}")
    link = _short_link(share)
    intents = share_links(share["text"].replace(link, "").strip() if link else share["text"], link)
    target = safe_url(intents.get(network))
    if target:
        st.link_button(t(f"share.post_on.{network}"), target, icon="🔗", type="primary")
    _confirm_form(store, account, share["id"], key=f"feed_confirm_{share['id']}", done=_back)
    left, right = st.columns(2)
    other = "x" if network == "linkedin" else "linkedin"
    if left.button(t("share.also_on", network=t(f"network.{other}")), key=f"feed_also_{share['id']}"):
        st.session_state[f"feed_network_{item['id']}"] = other
        st.session_state[f"feed_editing_{item['id']}"] = True
        st.session_state.pop(f"feed_share_id_{item['id']}_{other}", None)
        _reopen_editor(store, account, item["id"], share, other)
        st.rerun()
    if right.button(t("share.discard"), key=f"feed_discard_{share['id']}"):
        _reopen_editor(store, account, item["id"], share, network)
        posting.discard(store, account.email, share["id"])
        st.rerun()


def _short_link(share: dict) -> str | None:
    """The link inside the final text (the short link, else the tracked URL)."""
    for word in (share["text"] or "").split():
        if share.get("short_code") and share["short_code"] in word or share.get("tracked_url") == word:
            return word
    return share.get("tracked_url")


def _reopen_editor(store, account, item_id: str, share: dict, network: str) -> None:
    """Back to the editor with the shared text (its link taken out), e.g. to post it on the other network too."""
    link = _short_link(share)
    text = (share["text"] or "").replace(link, "").strip() if link else share["text"]
    autosave.save(store, account.email, item_id, text, draft_id=share["draft_id"], network=network)
    for key in [k for k in st.session_state.keys() if str(k).startswith(f"feed_text_{item_id}_")]:
        del st.session_state[key]


def _confirm_form(store, account, share_id: str, key: str, done=None) -> None:
    """"I posted it", with the post's address if they like; the share then counts (and earns its points)."""
    with st.form(key):
        url = st.text_input(t("share.post_url"), key=f"{key}_url", placeholder="https://www.linkedin.com/feed/update/…")
        if st.form_submit_button(t("share.confirm"), type="primary", icon="✅"):
            try:
                posting.confirm(store, account.email, share_id, url)
            except ValueError:
                st.error(t("share.bad_post_url"))
                return
            if done is not None:
                done()
            st.session_state["feed_flash"] = t("share.posted")
            st.rerun()


if __name__ == "__main__":
    page()
