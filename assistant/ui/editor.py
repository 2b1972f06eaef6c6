"""Widgets for the post editor: a text area that reports while the employee types, and the score panel.

Streamlit's own ``st.text_area`` sends its value only on blur or Ctrl+Enter,
so the authenticity meter could not follow the typing. ``live_text_area`` is
a tiny ``st.components.v2`` component (a plain ``<textarea>``) that sends the
text 600 ms after the last keystroke (and at once on blur or Ctrl+Enter).
Used inside ``st.fragment`` it reruns only the editor's fragment. The
latest typed text is kept in the browser per key, so a rerun never drops
keystrokes typed while the server was answering.

In ``AppTest`` the component's value is its session-state entry:
``at.session_state[key] = {"text": "..."}``.
"""

from __future__ import annotations

import streamlit as st

DEBOUNCE_MS = 600

_HTML = """
<label class="pv-label"></label>
<textarea class="pv-text" rows="8" spellcheck="true"></textarea>
<div class="pv-count"></div>
"""

_CSS = """
:host { display: block; }
.pv-label { display: block; font-size: 0.875rem; margin-bottom: 0.25rem; color: var(--st-text-color); }
.pv-text { box-sizing: border-box; width: 100%; min-height: 10rem; padding: 0.6rem 0.75rem; resize: vertical;
  font: inherit; font-family: var(--st-font, sans-serif); line-height: 1.5; color: var(--st-text-color);
  background: var(--st-secondary-background-color); border: 1px solid var(--st-border-color, #ccc);
  border-radius: 0.5rem; }
.pv-text:focus { outline: 2px solid var(--st-primary-color); }
.pv-count { font-size: 0.75rem; opacity: 0.7; text-align: right; margin-top: 0.2rem; }
"""

_JS = """
export default function (component) {
  const { data, key, parentElement, setStateValue } = component;
  const store = (window.__pvEditors = window.__pvEditors || {});
  const ta = parentElement.querySelector(".pv-text");
  const label = parentElement.querySelector(".pv-label");
  const count = parentElement.querySelector(".pv-count");
  label.textContent = data.label || "";
  ta.setAttribute("aria-label", data.label || "text");
  ta.setAttribute("data-testid", "pv-editor");
  const mine = store[key];
  if (!mine || mine.version !== data.version) {
    store[key] = { version: data.version, text: data.value || "" };
  }
  if (ta.value !== store[key].text) ta.value = store[key].text;
  const counter = () => { count.textContent = ta.value.length + " " + (data.chars || "characters"); };
  counter();
  let timer = null;
  let sent = store[key].text;
  const send = () => {
    clearTimeout(timer);
    if (ta.value !== sent) { sent = ta.value; setStateValue("text", ta.value); }
  };
  ta.oninput = () => {
    store[key].text = ta.value;
    counter();
    clearTimeout(timer);
    timer = setTimeout(send, data.debounce || 600);
  };
  ta.onblur = send;
  ta.onkeydown = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(); };
  return () => clearTimeout(timer);
}
"""


@st.cache_resource
def _component():
    return st.components.v2.component("porte_voix_live_text_area", html=_HTML, css=_CSS, js=_JS)


def live_text_area(label: str, value: str, key: str, version: str = "1") -> str:
    """The current text of a debounced text area; ``version`` changes reset it to ``value``."""
    state = st.session_state.get(key)
    current = state.get("text") if isinstance(state, dict) and state.get("text") is not None else value
    _component()(key=key, data={"value": current, "label": label, "version": version, "debounce": DEBOUNCE_MS,
                                "chars": "caractères · characters"},
                  default={"text": value}, on_text_change=lambda: None)
    state = st.session_state.get(key)
    return state.get("text", value) if isinstance(state, dict) and state.get("text") is not None else value


def score_panel(prepared: dict) -> None:
    """The authenticity score, its components, coaching tips and policy messages."""
    left, right = st.columns([1, 2])
    left.metric("Authenticité · Authenticity", f"{prepared['score']:.0f} / 100")
    left.progress(min(max(prepared["score"] / 100, 0.0), 1.0))
    with right:
        for c in prepared["components"]:
            st.progress(min(max(float(c["value"]), 0.0), 1.0),
                        text=f"{c['label']} — {c['value'] * 100:.0f} % (×{c['weight']:.2f})")
            st.caption(c["explanation"])
    for tip in prepared.get("tips", []):
        st.info(tip, icon="💡")
    for v in prepared["violations"]:
        if v["severity"] == "block":
            st.error(f"**Bloquant · Blocking** — {v['message']}", icon="⛔")
        else:
            st.warning(v["message"], icon="⚠️")


_COPY_JS = """
export default function (component) {
  const { data, key } = component;
  const done = (window.__pvCopied = window.__pvCopied || {});
  if (done[key] || !navigator.clipboard) return;
  done[key] = true;
  navigator.clipboard.writeText(data.text).catch(() => {});  // the copy button stays as the fallback
}
"""


@st.cache_resource
def _copier():
    return st.components.v2.component("porte_voix_copy", js=_COPY_JS)


def copy_to_clipboard(text: str, key: str) -> None:
    """Put ``text`` on the clipboard once (browsers may refuse; ``st.code`` shows a copy button too)."""
    _copier()(key=key, data={"text": text})
