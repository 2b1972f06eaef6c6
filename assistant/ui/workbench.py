"""The workbench of one feed item: the employee's own line first, then drafts, an editor with a live score, share.

Ask first: one sentence of their own (or a starter drawn from their profile)
leads every variant; without it they get an outline. The composed variants
come at once; the model's polish pass, where allowed, runs in the background
and its variant is added when it passes. The text being edited is restored
from the server (``autosave``). The editor, its score and the share button
live in one ``st.fragment`` so typing reruns only that part. Empty, unchanged
or repetitive texts cannot be shared (``share_rules``); sharing *prepares*
the share, which the item then shows (:mod:`assistant.ui.prepared_share`).

The feed page (:mod:`assistant.ui.feed`) opens an item by its address
(``?item=<content id>``) and calls :func:`show`; this module is the share flow
of that one item, kept apart from the list it was picked from.
"""

from __future__ import annotations

import logging
from concurrent.futures import wait

import streamlit as st

from assistant.app import workspace
from assistant.imports import catalog, people
from assistant.links.tracked import new_share_id
from assistant.sharing import posting, share_rules
from assistant.sharing.shares import ShareBlocked, prepare_share
from assistant.text import safe_url
from assistant.ui import editor, prepared_share, resources
from assistant.ui.i18n import current, t, violation_text
from assistant.ui.safe import md
from assistant.writing import autosave, drafting, translation
from assistant.writing.composing import added_text
from assistant.writing.policy import blocking
from assistant.writing.starters import starters, unfinished

NETWORKS = ("linkedin", "x")
VARIANTS = 3


def show(body, store, account, item_id: str) -> None:
    item = catalog.get_item(store, item_id)
    drafts_key, asking = f"feed_drafts_{item_id}", st.session_state.get(f"feed_asking_{item_id}", False)
    editing = st.session_state.get(f"feed_editing_{item_id}", False)  # a prepared share aside, to write another
    if item is not None and (asking or drafts_key not in st.session_state):
        # asked again ("other words"): the question until they answer it, not the drafts already stored
        drafts = [] if asking else workspace.latest_drafts(store, account, account.email, item_id)
        if not drafts and (editing or posting.pending(store, account.email, item_id) is None):
            with body.container():
                st.button(t("feed.back"), key="feed_back_ask", on_click=close, icon=":material/arrow_back:")
                _header(item)
                drafts = _ask_first(account, item)
            if not drafts:
                return  # the question stays on screen until the employee answers it (or asks for an outline)
        st.session_state.pop(f"feed_asking_{item_id}", None)
        st.session_state[drafts_key] = drafts
    with body.container():
        st.button(t("feed.back"), key="feed_back", on_click=close, icon=":material/arrow_back:")
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
            prepared_share.show(store, account, item, waiting, done=close)
            return
        drafts = st.session_state.get(drafts_key) or []
        if not drafts:
            st.warning(t("feed.no_draft"))
        else:
            _drafts(store, account, item, drafts)


def close() -> None:
    st.query_params.pop("item", None)
    for key in [k for k in st.session_state.keys() if str(k).startswith("feed_") and k not in ("feed_limit", "feed_tabs")]:
        del st.session_state[key]



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
    drafts = list(drafting.compose_variants(plan))
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
