"""Tracked links: UTM-tagged targets, short codes, the click id, share-intent links, the final text.

A share's link has two faces. The *target* is the item's URL with UTM
parameters (what the company's web analytics sees); the *short link*
``<base>/<code>`` is what goes into the post, so X counts fewer characters and
every click passes through the click service, which logs it and redirects to
the target with a click id (``pv_cid``) the company's site can hand back with a
conversion.

    >>> tracked_url("https://x.example/a?ref=1", "linkedin", "green-week", "s-42")
    'https://x.example/a?ref=1&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=green-week&utm_content=s-42'
    >>> code = short_code(b"installation key", "s-42")
    >>> len(code), code == short_code(b"installation key", "s-42"), code == short_code(b"other key", "s-42")
    (8, True, False)
    >>> with_click_id("https://x.example/a?ref=1#top", "Xy7")
    'https://x.example/a?ref=1&pv_cid=Xy7#top'

Codes are 8 base-62 characters of an HMAC of the share id under a key kept in
the installation's home (see ``keys``): stable for one share (the preview while
typing and the recorded share agree), and 62^8 ≈ 2·10^14 possibilities, so
nobody can walk the codes to find other people's shares.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

NETWORKS = ("linkedin", "x")
MEDIUM = "employee-advocacy"
ALWAYS_ON = "always-on"
CLICK_ID = "pv_cid"            # query parameter carrying the click id to the company's site
CODE_LENGTH = 8
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CODE = re.compile(rf"^[0-9A-Za-z]{{{CODE_LENGTH}}}$")
_LINKEDIN_POST = re.compile(r"(?:urn:li:|\b)(?:activity|share|ugcPost)[:-](\d{10,})", re.I)
_X_POST = re.compile(r"(?:^|\.|//)(?:twitter|x)\.com/[^/]+/status(?:es)?/(\d+)", re.I)


def new_share_id() -> str:
    """A fresh share id (random, 48 bits)."""
    return "s-" + uuid.uuid4().hex[:12]


def tracked_url(url: str | None, network: str, campaign: str | None, share_id: str) -> str | None:
    """The item URL with UTM parameters (source, medium, campaign, content = share id); None without a URL."""
    if not url:
        return None
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}; use {', '.join(NETWORKS)}")
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [("utm_source", network), ("utm_medium", MEDIUM), ("utm_campaign", campaign or ALWAYS_ON),
              ("utm_content", share_id)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def short_code(key: bytes, share_id: str, attempt: int = 0) -> str:
    """The share's code: 8 base-62 characters of HMAC-SHA256(key, share id); ``attempt`` > 0 gives the
    alternates used if a code is ever taken by another share."""
    message = share_id if attempt == 0 else f"{share_id}#{attempt}"
    number = int.from_bytes(hmac.new(key, message.encode(), hashlib.sha256).digest()[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def short_url(base_url: str, code: str) -> str:
    """``https://go.example.com/AbC123xy`` from the click service's public base URL."""
    return f"{base_url.rstrip('/')}/{code}"


def with_click_id(url: str, click_id: str) -> str:
    """``url`` with ``pv_cid=<click_id>`` (an existing ``pv_cid`` replaced, the rest kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != CLICK_ID]
    query.append((CLICK_ID, click_id))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def share_links(text: str, url: str | None) -> dict[str, str]:
    """Share-intent links: LinkedIn takes only the URL (the text is pasted), X takes both."""
    links = {"x": "https://twitter.com/intent/tweet?text=" + quote(text or "", safe="")}
    if url:
        links["x"] += "&url=" + quote(url, safe="")
        links["linkedin"] = "https://www.linkedin.com/sharing/share-offsite/?url=" + quote(url, safe="")
    return links


def final_text(text: str, link: str | None, item_url: str | None = None) -> str:
    """The text to post: the item's plain URL (drafts keep it as a fact) becomes the share's link;
    without it in the text, the link goes on its own line at the end (once).

    >>> final_text("Read https://n.example/a now", "https://go.example/AbC123xy", "https://n.example/a")
    'Read https://go.example/AbC123xy now'
    >>> final_text("No link here", "https://go.example/AbC123xy")
    'No link here\\n\\nhttps://go.example/AbC123xy'
    """
    text = (text or "").rstrip()
    if not link or link in text:
        return text
    if item_url:
        plain = re.compile(re.escape(item_url) + r"(?![\w/?&=%.-]*\w)")
        if plain.search(text):
            return plain.sub(lambda _: link, text)
    return f"{text}\n\n{link}"


def post_key(url: str | None) -> str | None:
    """A published post's identity, the same however its URL was copied: ``linkedin:<activity id>``,
    ``x:<status id>``, else host and path without ``www.``, query or trailing slash.

    >>> post_key("https://www.linkedin.com/feed/update/urn:li:activity:7201234567890123456/")
    'linkedin:7201234567890123456'
    >>> post_key("https://www.linkedin.com/posts/camille-durand_greenweek-activity-7201234567890123456-AbCd?utm_source=share")
    'linkedin:7201234567890123456'
    >>> post_key("https://twitter.com/camille/status/1798000000000000001?s=20") == post_key("https://x.com/camille/status/1798000000000000001")
    True
    >>> post_key("https://Blog.example.com/p/1/?x=1")
    'url:blog.example.com/p/1'
    """
    if not url or not str(url).strip():
        return None
    text = unquote(str(url).strip())
    found = _LINKEDIN_POST.search(text)
    if found and "linkedin" in text.lower():
        return f"linkedin:{found.group(1)}"
    found = _X_POST.search(text)
    if found:
        return f"x:{found.group(1)}"
    parts = urlsplit(text if "//" in text else "https://" + text)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return f"url:{host}{parts.path.rstrip('/')}" if host else None
