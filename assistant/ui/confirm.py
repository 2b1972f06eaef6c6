"""Asking first: an action that sends, deletes or retires several things at once says how many and waits
for a second click, in a dialog (closing it, or Cancel, does nothing).

A page's button only asks (:func:`ask`); while the question is pending, :func:`dialog`
shows it, and the confirmed action's message is shown once after the page reruns
(:func:`done_message`). The admin's account deletion keeps its own dialog, where the
username is typed.

    >>> _state_key("dig_send")
    'confirm_dig_send'
"""

from __future__ import annotations

from typing import Callable

import streamlit as st

from assistant.ui.i18n import t


def _state_key(key: str) -> str:
    return f"confirm_{key}"


def ask(key: str) -> None:
    """The question ``key`` is pending: :func:`dialog` will show it."""
    st.session_state[_state_key(key)] = True


def pending(key: str) -> bool:
    return bool(st.session_state.get(_state_key(key)))


def cancel(key: str) -> None:
    st.session_state.pop(_state_key(key), None)


def dialog(key: str, title: str, question: str, yes: str, act: Callable[[], str | None]) -> None:
    """While ``key`` is pending: ``question`` (how many, what happens) with ``yes`` and Cancel; ``yes`` runs
    ``act`` once, which may return a message to show after the rerun."""
    if not pending(key):
        return

    def body() -> None:
        st.markdown(question)
        left, right = st.columns(2)
        if left.button(yes, key=f"{key}_yes", type="primary"):
            cancel(key)  # before acting: a second click while it runs cannot act twice
            message = act()
            if message:
                st.session_state[f"{_state_key(key)}_done"] = message
            st.rerun()
        if right.button(t("common.cancel"), key=f"{key}_no"):
            cancel(key)
            st.rerun()

    st.dialog(title, on_dismiss=lambda: cancel(key))(body)()


def done_message(key: str) -> str | None:
    """The message the confirmed action left (once)."""
    return st.session_state.pop(f"{_state_key(key)}_done", None)
