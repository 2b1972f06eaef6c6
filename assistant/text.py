"""Small text helpers every part of Porte-voix shares: folding, links, hashtags, emoji.

One home so that "what counts as a link" or "what counts as a hashtag" is the
same for the policy, the authenticity score, the drafts and the dashboards.

>>> fold("Énergie Verte")
'energie verte'
>>> URL.findall("Voir https://n.example/a?x=1, puis www.n.example.")
['https://n.example/a?x=1,', 'www.n.example.']
>>> strip_urls("Lire https://n.example/a maintenant")
'Lire   maintenant'
>>> HASHTAG.findall("#Énergie et #verte ##x a#b")
['#Énergie', '#verte']
>>> EMOJI.findall("Bravo 🎉 ☀ !")
['🎉', '☀']
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

URL = re.compile(r"https?://\S+|\bwww\.\S+")          # any link a reader would see, trailing punctuation included
HTTP_URL = re.compile(r"https?://[^\s)>\]»\"']+")      # an http(s) link without the punctuation around it
HASHTAG = re.compile(r"(?<![\w#])#\w+")
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
WORD = re.compile(r"\w+")                                # a word, as counted and compared across the project
QUOTED = re.compile(r"«[^»]*»|\u201c[^\u201d]*\u201d|\"[^\"\n]*\"")  # a quotation, French or English marks


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` (ASCII), for matching words across spellings."""
    return unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()


def strip_urls(text: str, replacement: str = " ") -> str:
    """``text`` with every link replaced (links are not prose: they neither copy nor personalise)."""
    return URL.sub(replacement, text)


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) address with a host, else None: only these are ever linked
    (no ``javascript:``, ``data:``, ``mailto:`` or protocol-relative ``//host``).

    >>> safe_url("https://n.example/a?x=1"), safe_url("javascript:alert(1)"), safe_url("//evil.example/x")
    ('https://n.example/a?x=1', None, None)
    """
    if not url or not isinstance(url, str) or any(c in url for c in "\x00\r\n\t <>\"'`\\"):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.hostname else None
