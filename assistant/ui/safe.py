"""User and imported text on screen as text: no Markdown images, no links but http(s) ones we chose.

Titles, reasons, evidence and posts come from imports and from people; shown
through Markdown, ``![](https://tracker/p.gif)`` would load an external image
(a tracking pixel), ``[Click](javascript:…)`` or a bare ``www.`` address would
become a link, and a ``)`` could break out of one. Pages therefore show such
text with ``st.text`` (no parsing at all) or, where Markdown styling is
wanted around it (a bold title), escaped with :func:`md`.

Escaping alone is not enough in Streamlit: after parsing, the renderer turns
``www.…``, ``https://…`` and ``a@b.c`` into links, ``:smile:`` into an emoji,
``:material/…:`` into an icon and `` -> `` into an arrow, all by searching the
text of each Markdown node (checked in Chromium). :func:`md` therefore ends the
node where one of those would start, with :data:`BREAK`, an empty ``:small[]``
(Streamlit's documented small-text directive): an empty element with no
character in it, so what a reader copies is exactly the text (an invisible
character such as U+2060 used to be copied along, into an email address).
Links are made only by :func:`link_markdown` / ``st.link_button`` from an
address that passed ``text.safe_url``.

    >>> md("![x](https://t.example/p.gif) *bold*")
    '\\\\!\\\\[x\\\\]\\\\(https:small[]\\\\:\\\\/\\\\/t\\\\.example\\\\/p\\\\.gif\\\\) \\\\*bold\\\\*'
    >>> [md(s).count(BREAK) for s in ("www.evil.example", "ana@evil.example", "a -> b", "plain words")]
    [1, 1, 1, 0]
    >>> link_markdown("Lire", "javascript:alert(1)"), link_markdown("Lire", "https://n.example/a")
    (None, '[Lire](<https://n.example/a>)')
"""

from __future__ import annotations

import re

from assistant.text import safe_url

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&/])")
BREAK = ":small[]"  # an empty element: ends a Markdown text node without adding a character
# Where a renderer's search would start: "www" before its dot, before every colon (https:, mailto:, :smile:,
# :streamlit:), after "@", and inside the arrows Streamlit rewrites (->, <-, --, >=, <=, ~=).
_NODE_END = re.compile(r"(?i)(?<=www)(?=\\\.)|(?=\\:)|(?<=@)|(?<=\\[-<>~])(?=\\[-<>]|=)")


def md(text: str | None) -> str:
    """``text`` escaped for Markdown: shown literally, never as an image, link, heading, emoji or HTML, and
    copied exactly as it was written (no invisible character added)."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))
    return _NODE_END.sub(BREAK, escaped)


def link_markdown(label: str, url: str | None) -> str | None:
    """A Markdown link to ``url`` when it is http(s), else None (the caller shows no link)."""
    clean = safe_url(url)
    if clean is None:
        return None
    return f"[{md(label)}](<{clean.replace('>', '%3E').replace('<', '%3C')}>)"
