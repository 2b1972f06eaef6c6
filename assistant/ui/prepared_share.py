"""A prepared share: the final text and its tracked link for its network, then "I posted it".

A share is first *prepared* (text and tracked link handed over) and counts
once the employee confirms it was posted, or its link gets a human click
(``posting``). From here it can also go to the other network, or be
discarded: both reopen the workbench's editor with the text, its link taken
out (``autosave``).

Its own module because the confirm form serves two places: the open item's
prepared share (:mod:`assistant.ui.workbench`) and every share still waiting
under *My shares* (:mod:`assistant.ui.feed`).
"""

from __future__ import annotations

import streamlit as st

from assistant.links.tracked import share_links
from assistant.reporting.points import share_points
from assistant.sharing import posting
from assistant.text import safe_url
from assistant.ui import editor
from assistant.ui.i18n import t
from assistant.writing import autosave


def show(store, account, item: dict, share: dict, done=None) -> None:
    """A prepared share: the final text and its link for its network, then "I posted it" (then ``done()``)."""
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
    confirm_form(store, account, share["id"], key=f"feed_confirm_{share['id']}", done=done)
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


def confirm_form(store, account, share_id: str, key: str, done=None) -> None:
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
