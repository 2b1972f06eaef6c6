"""User and imported text on screen as text: no Markdown images, no links but http(s) ones we chose.

Titles, reasons, evidence and posts come from imports and from people; shown
through Markdown, ``![](https://tracker/p.gif)`` would load an external image
(a tracking pixel), ``[Click](javascript:…)`` or a bare ``www.`` address would
become a link, and a ``)`` could break out of one. Pages therefore show such
text with ``st.text`` (no parsing at all) or, where Markdown styling is
wanted around it (a bold title), escaped with :func:`md`. Escaping alone does
not stop the renderer's autolinks (``www.…``, ``https://…`` and ``a@b.c``
became links even escaped, checked in Chromium), so :func:`md` also puts an
invisible word joiner (U+2060) where an autolink would start. Links are made
only by :func:`link_markdown` / ``st.link_button`` from an address that passed
``text.safe_url``.

    >>> md("![x](https://t.example/p.gif) *bold*").replace(JOINER, "+")
    '\\\\!\\\\[x\\\\]\\\\(https+\\\\://t\\\\.example/p\\\\.gif\\\\) \\\\*bold\\\\*'
    >>> [md(s).count(JOINER) for s in ("www.evil.example", "ana@evil.example", "plain words")]
    [1, 1, 0]
    >>> link_markdown("Lire", "javascript:alert(1)"), link_markdown("Lire", "https://n.example/a")
    (None, '[Lire](<https://n.example/a>)')
"""

from __future__ import annotations

import re

from assistant.text import safe_url

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
_AUTOLINK = re.compile(r"(?i)(www)(?=\\\.)|(?=\\:)|(?<=@)")
JOINER = "\u2060"  # word joiner: invisible, and no autolink runs across it


def md(text: str | None) -> str:
    """``text`` escaped for Markdown: shown literally, never as an image, link, heading or HTML."""
    escaped = _SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))
    return _AUTOLINK.sub(lambda m: (m.group(1) or "") + JOINER, escaped)


def link_markdown(label: str, url: str | None) -> str | None:
    """A Markdown link to ``url`` when it is http(s), else None (the caller shows no link)."""
    clean = safe_url(url)
    if clean is None:
        return None
    return f"[{md(label)}](<{clean.replace('>', '%3E').replace('<', '%3C')}>)"
