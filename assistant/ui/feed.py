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

import logging
from concurrent.futures import wait

import pandas as pd
import streamlit as st

from assistant.app import workspace
from assistant.imports import catalog, people
from assistant.links.tracked import new_share_id, share_links
from assistant.reporting.points import ambassador_of_the_month, points_of, share_points
from assistant.retrieval.matching import recommend
from assistant.sharing import posting, share_rules
from assistant.sharing.shares import ShareBlocked, prepare_share
from assistant.text import safe_url
from assistant.ui import auth, editor, goals_panel, resources
from assistant.ui.i18n import current, labels, t, violation_text
from assistant.ui.safe import md
from assistant.writing import autosave, drafting, translation
from assistant.writing.composing import added_text
from assistant.writing.policy import blocking
from assistant.writing.starters import starters, unfinished
from assistant.writing.versions import one_per_story

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
    month = ambassador_of_the_month(store, resources.context().today())
    a, b, c = st.columns(3)
    a.metric(t("feed.my_points"), points_of(store, account.email))
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
                _confirm_form(store, account, r["id"], key=f"feed_hist_{r['id']}")
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


# --- one item: drafts, editor, share -------------------------------------------------------

def _workbench(body, store, account, item_id: str) -> None:
    item = catalog.get_item(store, item_id)
    drafts_key, asking = f"feed_drafts_{item_id}", st.session_state.get(f"feed_asking_{item_id}", False)
    editing = st.session_state.get(f"feed_editing_{item_id}", False)  # a prepared share aside, to write another
    if item is not None and (asking or drafts_key not in st.session_state):
        # asked again ("other words"): the question until they answer it, not the drafts already stored
        drafts = [] if asking else workspace.latest_drafts(store, account, account.email, item_id)
        if not drafts and (editing or posting.pending(store, account.email, item_id) is None):
            with body.container():
                st.button(t("feed.back"), key="feed_back_ask", on_click=_back, icon=":material/arrow_back:")
                _header(item)
                drafts = _ask_first(account, item)
            if not drafts:
                return  # the question stays on screen until the employee answers it (or asks for an outline)
        st.session_state.pop(f"feed_asking_{item_id}", None)
        st.session_state[drafts_key] = drafts
    with body.container():
        st.button(t("feed.back"), key="feed_back", on_click=_back, icon=":material/arrow_back:")
        if item is None:
            st.error(t("feed.item_gone"))
            return
        _header(item)
        # the share on screen stays for one more run if a click posted it meanwhile: that run handles the
        # "I posted it" pressed on it (the key is set again only while it waits)
        shown = f"feed_shown_share_{item_id}"
        waiting = None if editing else posting.pending(store, account.email, item_id, st.session_state.pop(shown, None))
        if waiting is not None:
            if waiting["status"] == posting.PREPARED:
                st.session_state[shown] = waiting["id"]
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


def _ask_first(account, item: dict) -> list[dict]:
    """One question before any draft: what the item means to the employee, in one sentence, with three
    starters from their profile. Their line leads every variant; without it they get an outline."""
    ctx, item_id = resources.context(), item["id"]
    words_key = f"feed_words_{item_id}"
    # the question and its starters in the language they will most likely answer in: the interface's
    plan = drafting.plan_for(ctx, account.email, item_id, lang=_writing_language(account, ctx), translate=False)
    offered = starters(plan.voice, item, plan.lang)
    _translate_soon(ctx, plan)  # while they write their sentence
    with st.container(border=True):
        st.markdown(f"**{t('ask.question')}**")
        st.caption(t("ask.help"))
        st.caption(t("ask.starters"))
        for starter in offered:
            st.button(f"{starter['text'].strip()} …", key=f"feed_starter_{item_id}_{starter['kind']}",
                      on_click=_start_with, args=(words_key, starter["text"]), type="tertiary")
        words = st.text_input(t("ask.label"), key=words_key, max_chars=MAX_WORDS_CHARS,
                              placeholder=t("ask.placeholder"))
        left, right = st.columns(2)
        go = left.button(t("ask.draft"), key=f"feed_compose_{item_id}", type="primary", icon="✍️")
        outline = right.button(t("ask.outline"), key=f"feed_outline_{item_id}")
    if go and not (words or "").strip():
        st.warning(t("ask.empty"))
    elif go and unfinished(words, offered):
        st.warning(t("ask.unfinished"))
    elif go or outline:
        return _compose(account, item, words if go else None)
    return []


MAX_WORDS_CHARS = 500  # one line, a few sentences at most: a whole post belongs in the editor
TRANSLATION_WAIT_S = 1.0  # the first variant is on screen within a second, translated key point or not


def _start_with(key: str, text: str) -> None:
    st.session_state[key] = text


def _compose(account, item: dict, words: str | None) -> list[dict]:
    """The composed variants at once (no model), stored; the model's polish pass, where allowed, runs in the
    background and stores its variant when it passes (the page picks it up, :func:`_polish_watch`)."""
    ctx = resources.context()
    lang = None if words else _writing_language(account, ctx)  # their words say their language; else the UI's
    plan = drafting.plan_for(ctx, account.email, item["id"], lang=lang, words=words, translate=False)
    job = _translate_soon(ctx, plan)
    if job is not None and wait([job], timeout=TRANSLATION_WAIT_S).done:  # usually done while they wrote
        plan = drafting.plan_for(ctx, account.email, item["id"], lang=lang, words=words, translate=False)
    drafts = list(drafting.compose_variants(ctx, plan))
    story = next((d for d in drafts if d["form"] == "story"), None)
    if story is not None and drafting.polish_allowed(ctx, plan.lang):
        ahead = drafts_in_progress(ctx.generator)
        job = resources.polisher().submit(_polish_quietly, ctx, plan, story, len(drafts) + 1)
        st.session_state[f"feed_polishing_{item['id']}"] = (plan.request_id, len(drafts), ahead, job)
    return drafts


def _writing_language(account, ctx) -> str | None:
    """The interface's language when the employee writes it, else None (the drafting default)."""
    person = people.get_person(ctx.store, account.email) or {}
    return current() if current() in (person.get("languages") or []) else None


def _translate_soon(ctx, plan):
    """The background translation of ``plan``'s key point into its language (in the app's translation process,
    ``translation.ChildTranslator``), started once per item and language; None when the library has the item
    in that language, or it is translated already (imports translate what they add)."""
    if not drafting.needs_translation(plan):
        return None
    key = f"feed_translating_{plan.item['id']}_{plan.lang}"
    if key not in st.session_state:
        st.session_state[key] = translation.translate_in_background(resources.translating(), ctx, plan.item, plan.lang)
    return st.session_state[key]


def _polish_quietly(ctx, plan, story: dict, number: int) -> None:
    try:
        drafting.polish(ctx, plan, story, number)
    except Exception:  # a failed polish pass leaves the composed drafts, which are stored already
        logging.getLogger(__name__).exception("polish pass failed")


def _drafts(store, account, item: dict, drafts: list[dict]) -> None:
    item_id = item["id"]
    if st.button(t("ask.other_words"), key=f"feed_other_words_{item_id}", icon="🔄"):
        st.session_state[f"feed_asking_{item_id}"] = True
        for key in (f"feed_words_{item_id}", f"feed_drafts_{item_id}", f"feed_pick_{item_id}",
                    f"feed_polishing_{item_id}"):
            st.session_state.pop(key, None)
        st.rerun()
    _polish_watch(store, account, item_id, drafts)
    by_id = {d["id"]: d for d in drafts}
    saved = autosave.restore(store, account.email, item_id)
    pick_key = f"feed_pick_{item_id}"
    if pick_key not in st.session_state and saved and saved["draft_id"] in by_id:
        st.session_state[pick_key] = saved["draft_id"]
    cols = st.columns(len(drafts))
    for col, d in zip(cols, drafts):
        with col.container(border=True):
            st.markdown(f"**{form_label(d)}**")
            st.text(d["text"])
    if any(_is_outline(d) for d in drafts):
        st.info(t("form.scaffold_note"), icon="✍️")
    pick = st.radio(t("feed.pick"), list(by_id), format_func=lambda i: form_label(by_id[i]), horizontal=True,
                    key=pick_key)
    start = saved["text"] if saved and saved["draft_id"] == pick else by_id[pick]["text"]
    _edit_and_share(account, item, by_id[pick], start, saved["network"] if saved else None)


def form_label(draft: dict) -> str:
    """The variant's form in the interface's language (drafts of the former design: their angle)."""
    form = draft.get("form") or ""
    return t(f"form.{form}") if form in FORMS else (draft.get("angle_label") or draft.get("angle") or "")


FORMS = ("story", "short", "question", "scaffold", "polished")


def _is_outline(draft: dict) -> bool:
    return draft.get("form") == "scaffold"


def _polish_watch(store, account, item_id: str, drafts: list[dict]) -> None:
    """While the model polishes this request's story in the background, say so (with the requests ahead),
    and add its variant as soon as it is stored."""
    pending = st.session_state.get(f"feed_polishing_{item_id}")
    if not pending:
        return
    request_id, count, ahead, job = pending

    @st.fragment(run_every=2)
    def watch():
        latest = workspace.latest_drafts(store, account, account.email, item_id)
        if latest and latest[0]["request_id"] == request_id and len(latest) > count:
            st.session_state[f"feed_drafts_{item_id}"] = latest
            st.session_state.pop(f"feed_polishing_{item_id}", None)
            st.session_state["feed_flash"] = t("ask.polished")
            st.rerun()
        if job.done():  # dropped (it failed a check): the composed drafts stand
            st.session_state.pop(f"feed_polishing_{item_id}", None)
            return
        st.caption(t("ask.polishing", ahead=ahead))

    watch()


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
    share_id = st.session_state.setdefault(f"feed_share_id_{item_id}_{network}", new_share_id())
    added = added_text(draft["text"], draft.get("own_words"))  # what the software wrote: the employee's words are theirs
    prepared = prepare_share(ctx, account.email, item_id, text, network, share_id, draft_text=added)
    refused = share_rules.refusals(text, added, source=item["text"])  # the company's text pasted is not theirs
    editor.score_panel(prepared)
    blocked = [violation_text(v) for v in blocking(prepared["violations"])]
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
                          draft_text=added, source=item["text"])
        except share_rules.ShareRefused as exc:
            st.error(" ".join(t(f"share.refused.{c}") for c in exc.codes))
            return
        except ShareBlocked as exc:
            st.error(t("share.blocked", reason=md("; ".join(violation_text(v) for v in exc.violations))))
            return
        autosave.clear(ctx.store, account.email, item_id)
        st.session_state.pop(f"feed_editing_{item_id}", None)
        st.rerun()  # the whole page: the item now shows the prepared share


def _shared(store, account, item: dict, share: dict) -> None:
    """A prepared share: the final text and its link for its network, then "I posted it"."""
    network = share["network"] or "linkedin"
    points = share_points(share["score"], {})
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
