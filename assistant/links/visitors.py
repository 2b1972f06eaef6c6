"""Who clicked, as far as a redirect may know: bot or human, device class, referrer, a daily pseudonym.

Bots are **flagged, never blocked**: LinkedIn, X, Slack or WhatsApp fetch a
link to draw its preview card, and blocking them would break the preview. The
rules, first match wins (the reason is stored with the hit):

| rule | reason |
|---|---|
| ``HEAD`` request (previewers and link checkers; browsers send ``GET``) | ``head-request`` |
| no user agent | ``empty-user-agent`` |
| a link-preview fetcher (LinkedInBot, Twitterbot, Slackbot, facebookexternalhit, …) | ``preview:<name>`` |
| the maintained crawler list of ``crawlerdetect`` (PyPI; ~1,500 patterns) | ``crawler:<match>`` |

    >>> classify("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36")
    ('desktop', False, None)
    >>> classify("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)")
    ('bot', True, 'preview:LinkedInBot')
    >>> classify("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", method="HEAD")
    ('bot', True, 'head-request')
    >>> referrer_host("https://www.linkedin.com/feed/?x=1"), referrer_host(None)
    ('linkedin.com', None)

The visitor pseudonym is ``<network>-<visitor>``: keyed BLAKE2b hashes of the
address's network (IPv4 /24, IPv6 /64: what one visitor cannot rotate cheaply)
and of the address with the user agent, under a salt that changes every day and
is deleted the day after: hits of one day can be told apart, the raw IP is
never written, and yesterday's pseudonyms cannot be linked to today's. Unique
clicks are distinct (share, visitor, day), but one network adds at most
``PER_NETWORK_DAILY`` of them to one share a day (``sync``): 100 hits from one
address rotating user agents count 3, not 100; a household or an office behind
one address counts up to 3 people.

    >>> network("198.51.100.77"), network("2001:db8:1:2:aaaa::1"), network("bogus")
    ('198.51.100.0/24', '2001:db8:1:2::/64', '')

``crawlerdetect`` costs ~0.4 ms per call, so results are cached per user agent
(traffic repeats a few thousand agents) and computed off the request path.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import threading
from urllib.parse import urlsplit

from crawlerdetect import CrawlerDetect

PREVIEW_FETCHERS = re.compile(
    r"LinkedInBot|Twitterbot|Slackbot|Slack-ImgProxy|facebookexternalhit|Facebot|meta-externalagent|WhatsApp|"
    r"TelegramBot|Discordbot|SkypeUriPreview|MicrosoftPreview|redditbot|Applebot|Embedly|Iframely|"
    r"Pinterestbot|bitlybot|Mastodon|Bluesky|Google-PageRenderer|vkShare", re.I)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone", re.I)
_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.I)
_BROWSER = re.compile(r"Mozilla/|Opera/", re.I)

PER_NETWORK_DAILY = 3  # unique clicks one network (IPv4 /24, IPv6 /64) may add to one share in one day
PREFIX = {4: 24, 6: 64}

_detector = CrawlerDetect()
_detector_lock = threading.Lock()  # CrawlerDetect keeps its last match on the instance


@functools.lru_cache(maxsize=8192)
def _classify_agent(user_agent: str) -> tuple[str, bool, str | None]:
    if not user_agent.strip():
        return "bot", True, "empty-user-agent"
    preview = PREVIEW_FETCHERS.search(user_agent)
    if preview:
        return "bot", True, f"preview:{preview.group(0)}"
    with _detector_lock:
        if _detector.isCrawler(user_agent):
            return "bot", True, f"crawler:{_detector.getMatches() or '?'}"
    if _TABLET.search(user_agent):
        return "tablet", False, None
    if _MOBILE.search(user_agent):
        return "mobile", False, None
    return ("desktop" if _BROWSER.search(user_agent) else "other"), False, None


def classify(user_agent: str | None, method: str = "GET") -> tuple[str, bool, str | None]:
    """``(ua_class, is_bot, reason)``; ua_class is bot, mobile, tablet, desktop or other."""
    if method.upper() == "HEAD":
        return "bot", True, "head-request"
    return _classify_agent((user_agent or "")[:512])


@functools.lru_cache(maxsize=65536)
def network(ip: str | None) -> str:
    """The network an address belongs to, as far as counting goes: IPv4 /24, IPv6 /64 (an IPv4-mapped IPv6
    address counts as IPv4); "" when there is no valid address."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return ""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(ipaddress.ip_network(f"{address}/{PREFIX[address.version]}", strict=False))


def _hash(salt: bytes, message: str) -> str:
    return hashlib.blake2b(message.encode("utf-8", "replace"), key=salt[:64], digest_size=6).hexdigest()


def visitor_hash(salt: bytes, ip: str | None, user_agent: str | None) -> str:
    """The day's pseudonym ``<network>-<visitor>`` (12 hex characters each), meaningless without the salt."""
    return _hash(salt, network(ip)) + "-" + _hash(salt, f"{ip or ''}\x00{user_agent or ''}")


def referrer_host(referrer: str | None) -> str | None:
    """The referring site's host, without ``www.`` (never the full referrer URL: it can hold personal data)."""
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host
