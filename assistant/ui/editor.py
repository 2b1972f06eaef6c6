"""Widgets for the post editor: a text area that reports while the employee types, and the score panel.

Streamlit's own ``st.text_area`` sends its value only on blur or Ctrl+Enter,
so the authenticity meter could not follow the typing. ``live_text_area`` is
a tiny ``st.components.v2`` component (a plain ``<textarea>``) that sends the
text ``DEBOUNCE_MS`` after the last keystroke (and at once on blur or Ctrl+Enter).
Used inside ``st.fragment`` it reruns only the editor's fragment. The
latest typed text is kept in the browser per key, so a rerun never drops
keystrokes typed while the server was answering; and what was typed since the
text a render brings back is sent on the next blur or timer, so a click right
after the last keystrokes (Share) carries them.

In ``AppTest`` the component's value is its session-state entry:
``at.session_state[key] = {"text": "..."}``.
"""

from __future__ import annotations

import streamlit as st

from assistant.ui.i18n import current, t, violation_text
from assistant.ui.safe import md
from assistant.writing.authenticity import describe
from assistant.writing.proofreading import still_to_check

DEBOUNCE_MS = 300  # after the last keystroke; then the server scores (see evals/speed/ui_latency.py for the whole delay)

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
  if (!store[key] || store[key].version !== data.version) {
    store[key] = { version: data.version, text: data.value || "", timer: null };
  }
  const mine = store[key];  // kept across renders: the text typed, its pending send
  if (ta.value !== mine.text) ta.value = mine.text;
  const counter = () => { count.textContent = ta.value.length + " " + (data.chars || "characters"); };
  counter();
  // what the server holds is the value this render brings, not what was typed since: keys typed while it
  // answered an earlier send are still to send, on blur or by the timer re-armed below
  let sent = data.value || "";
  const send = () => {
    clearTimeout(mine.timer);
    if (ta.value !== sent) { sent = ta.value; setStateValue("text", ta.value); }
  };
  const later = () => { clearTimeout(mine.timer); mine.timer = setTimeout(send, data.debounce || 600); };
  ta.oninput = () => { mine.text = ta.value; counter(); later(); };
  ta.onblur = send;
  ta.onkeydown = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) send(); };
  if (ta.value !== sent) later();
  return () => clearTimeout(mine.timer);
}
"""


@st.cache_resource
def _component():
    return st.components.v2.component("porte_voix_live_text_area", html=_HTML, css=_CSS, js=_JS)


def live_text_area(label: str, value: str, key: str, version: str = "1") -> str:
    """The current text of a debounced text area; ``version`` changes reset it to ``value``."""
    state = st.session_state.get(key)
    shown = state.get("text") if isinstance(state, dict) and state.get("text") is not None else value
    _component()(key=key, data={"value": shown, "label": label, "version": version, "debounce": DEBOUNCE_MS,
                                "chars": t("editor.chars")},
                  default={"text": value}, on_text_change=lambda: None)
    state = st.session_state.get(key)
    return state.get("text", value) if isinstance(state, dict) and state.get("text") is not None else value


def to_check_notice(text: str, flagged: list[str]) -> None:
    """The draft's sentences that neither the item nor the employee's profile backs (``proofreading.to_check``),
    listed under the editor until the employee rewrites or deletes them: a number, name or claim the
    model may have made up must not be posted unread."""
    left = still_to_check(text, flagged)
    if left:
        st.warning("\n".join([t("editor.to_check", n=len(left))] +
                              [f"- {t('editor.to_check_sentence', sentence=md(s))}" for s in left]), icon="🔎")


def score_panel(prepared: dict) -> None:
    """The authenticity score as the visible sum of its parts (penalties as negative lines), coaching tips
    and policy messages, worded in the interface's language."""
    scored = describe(prepared["facts"], current()) if prepared.get("facts") else prepared
    parts = scored.get("parts") or []
    total = scored.get("total", round(prepared["score"]))
    left, right = st.columns([1, 2])
    left.metric(t("score.title"), t("score.value", total=total))
    left.progress(min(max(total / 100, 0.0), 1.0))
    components = {c["name"]: c for c in scored["components"]}
    rows = [f"| {t('score.part')} | {t('score.how')} | {t('score.points')} |", "|:--|:--|--:|"]
    for part in parts:
        c = components.get(part["name"])
        how = (t("score.weighted", value=round(100 * c["value"]), weight=round(100 * c["weight"])) if c
               else md(part.get("explanation", "")))
        rows.append(f"| {md(part['label'])} | {how} | {_signed(part['points'])} |")
    rows.append(f"| **{t('score.total')}** | | **{total}** |")
    right.markdown("\n".join(rows))
    with right.expander(t("score.why")):
        for c in scored["components"]:
            st.caption(f"**{md(c['label'])}** — {md(c['explanation'])}")
    for tip in scored.get("tips", []):
        st.info(tip, icon="💡")
    for v in prepared["violations"]:  # the installation's messages, in the interface's language
        if v["severity"] == "block":
            st.error(t("policy.blocking", message=md(violation_text(v))), icon="⛔")
        else:
            st.warning(md(violation_text(v)), icon="⚠️")


def _signed(points: int) -> str:
    return f"+{points}" if points > 0 else (f"−{-points}" if points < 0 else "0")


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
