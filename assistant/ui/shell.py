"""The frame around every page: which pages exist for whom, deep links, the language, friendly faults.

Pages by role (``PAGES``). Every page's address exists for everyone, so a
bookmarked or typed URL never ends on Streamlit's "page not found": signed
out, each address shows the sign-in form and, once signed in, the same
address opens the page it names; a page the account lacks the role for says
so in the interface's language. ``?page=<url path>`` on the root address
opens that page; ``?item=<content id>`` opens the item in *My feed* (digests
and notifications link there), before or after sign-in.

Faults of the store (locked by another process, corrupted, disk full) end
on a short page saying what to do, in the interface's language; the details
go to the server's log, never to the screen (an anonymous visitor sees no
path or process id).
"""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from assistant.access import preferences
from assistant.imports import people
from assistant.storage import faults
from assistant.ui import builtin_texts, i18n, resources, signin
from assistant.ui.i18n import t

PAGES = {  # role → (section key, [(file, title key, icon, url path)])
    "employee": ("nav.section.me", [("assistant/ui/feed.py", "nav.feed", "📰", "feed"),
                                    ("assistant/ui/profile.py", "nav.profile", "🙂", "profile")]),
    "marketing": ("nav.section.marketing", [("assistant/ui/marketing.py", "nav.authenticity", "📊", "authenticity")]),
    "content": ("nav.section.content", [("assistant/ui/experts.py", "nav.experts", "🔎", "experts")]),
    "admin": ("nav.section.admin", [("assistant/ui/library.py", "nav.library", "📚", "library"),
                                    ("assistant/ui/admin.py", "nav.people", "🛠️", "people"),
                                    ("assistant/ui/digests.py", "nav.digests", "📬", "digests")]),
}
LANG_CHOICE = "ui_lang_choice"  # the language picked by hand in this browser session


def _requested() -> str | None:
    """The page named by ``?page=`` (or implied by ``?item=``), if any."""
    page = st.query_params.get("page")
    if page:
        return page
    return "feed" if st.query_params.get("item") else None


def navigation(account) -> st.Page:
    """``st.navigation`` over the pages of ``account`` (signed out: the sign-in form at every address)."""
    requested = _requested()
    if account is None:
        first = st.Page(signin.page, title=t("nav.signin"), icon="🔑", url_path="signin", default=True)
        hidden = [st.Page(signin.page, title=t(title), url_path=url, visibility="hidden")
                  for _, pages in PAGES.values() for _, title, _, url in pages]
        return st.navigation([first] + hidden, position="hidden")
    allowed = [url for role, (_, pages) in PAGES.items() if account.has(role) for *_, url in pages]
    default = requested if requested in allowed else (allowed[0] if allowed else None)
    sections: dict[str, list] = {}
    for role, (section, pages) in PAGES.items():
        for path, title, icon, url in pages:
            if account.has(role):
                page = st.Page(path, title=t(title), icon=icon, url_path=url, default=url == default)
            else:
                page = st.Page(_unavailable, title=t(title), url_path=url, visibility="hidden")
            sections.setdefault(t(section), []).append(page)
    return st.navigation(sections)


def _unavailable() -> None:
    st.title("📣 Porte-voix")
    st.info(t("nav.unavailable"), icon="🔒")


def settle_language(account) -> str:
    """This run's language: picked by hand, else saved for the account, else the profile's first language."""
    store = resources.store()
    chosen = st.session_state.get(LANG_CHOICE)
    profile = None
    if account is not None:
        chosen = chosen or preferences.language(store, account.username)
        person = people.get_person(store, account.email) if account.email else None
        profile = person["languages"] if person else None
    return i18n.settle(chosen, profile)


def language_picker(account) -> None:
    """French or English, in the sidebar; the choice is kept for the account."""
    def changed():
        lang = st.session_state["sidebar_lang"]
        st.session_state[LANG_CHOICE] = lang
        if account is not None:
            preferences.set_language(resources.store(), account.username, lang)

    st.session_state["sidebar_lang"] = i18n.current()
    st.sidebar.radio(t("sidebar.language"), i18n.LANGUAGES, format_func=i18n.labels("languages").get,
                     horizontal=True, key="sidebar_lang", on_change=changed)
    builtin_texts.apply()  # Streamlit's own widget texts (the uploader's button…) follow the language too


# --- faults ------------------------------------------------------------------------------

def describe(exc: BaseException):
    """The installation fault behind ``exc`` (``assistant.storage.faults``), or None when it is a bug."""
    fault = faults.describe(exc)
    return fault if fault.expected else None


def show_fault(fault) -> None:
    st.title("📣 Porte-voix")
    key = f"fault.{fault.kind}"
    st.warning(t(key) if key in i18n.catalogue(i18n.current()) else fault.message(i18n.current()), icon="🛠️")
    st.caption(t("fault.retry"))


@contextmanager
def friendly_faults():
    """Run the app; a store fault ends on :func:`show_fault`, anything else is raised as the bug it is."""
    try:
        yield
    except Exception as exc:
        fault = describe(exc)
        if fault is None:
            raise
        faults.log_fault(exc, "app")
        show_fault(fault)
