"""Which address a request came from: ``X-Forwarded-For`` is believed only when a trusted proxy sent it.

Anyone can send ``X-Forwarded-For: 1.2.3.4``; only a reverse proxy the
installation runs may say who its client was. So the address is the
connection's peer, unless that peer is one of ``settings.trusted_proxies``
(``PORTE_VOIX_TRUSTED_PROXIES``, addresses or networks; loopback by default,
as Gitea does); then the header is read from the right, each trusted proxy
skipped, and the first address no proxy of ours wrote is the client's. Names
or garbage in the header stop the walk at the last trusted hop (the proxy is
then the client, as far as we can prove).

    >>> trusted = networks(["127.0.0.1", "10.0.0.0/8"])
    >>> resolve("127.0.0.1", ["198.51.100.7, 10.0.0.5"], trusted)   # nginx → internal balancer → us
    '198.51.100.7'
    >>> resolve("203.0.113.9", ["198.51.100.7"], trusted)            # a client claiming another address
    '203.0.113.9'
    >>> resolve("127.0.0.1", ["not-an-address"], trusted)
    '127.0.0.1'

The Streamlit server (uvicorn) has already applied its own rule (it trusts
loopback) before the app sees the address, and hides loopback as None:
:func:`behind_uvicorn` undoes that and applies ours.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK = "127.0.0.1"


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Parse addresses and networks (``"10.0.0.5"``, ``"10.0.0.0/8"``, ``"::1"``); raises ValueError on a bad one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v and v.strip())


def _address(value: str | None):
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # 198.51.100.7:5123
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return address.ipv4_mapped or address if address.version == 6 else address


def _trusted(address, trusted: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in trusted if net.version == address.version)


def _hops(forwarded_for: Iterable[str] | str | None) -> list[str]:
    if isinstance(forwarded_for, str):
        forwarded_for = [forwarded_for]
    return [hop.strip() for header in (forwarded_for or ()) for hop in header.split(",") if hop.strip()]


def resolve(peer: str | None, forwarded_for: Iterable[str] | str | None, trusted: tuple[Network, ...]) -> str | None:
    """The client's address (normalised text), given the connection's ``peer`` and the ``X-Forwarded-For``
    header values; None when the peer itself is unknown."""
    client = _address(peer)
    if client is None:
        return None
    for hop in reversed(_hops(forwarded_for)):
        if not _trusted(client, trusted):
            break
        address = _address(hop)
        if address is None:
            break
        client = address
    return str(client)


def behind_uvicorn(seen: str | None, forwarded_for: Iterable[str] | str | None,
                   trusted: tuple[Network, ...]) -> str | None:
    """The client's address as :func:`resolve` says, from what Streamlit reports (``st.context.ip_address``,
    ``st.context.headers``).

    Streamlit's uvicorn trusts ``X-Forwarded-For`` from loopback (its ``FORWARDED_ALLOW_IPS`` default) and
    reports a loopback peer as None. When ``seen`` is None, or is exactly what uvicorn would have taken
    from the header, the peer was loopback; otherwise ``seen`` is the peer.
    """
    hops = _hops(forwarded_for)
    uvicorn_pick = next((h for h in reversed(hops) if not _trusted(_address(h), networks(["127.0.0.1", "::1"]))),
                        hops[0] if hops else None)
    peer = LOOPBACK if seen is None or (hops and _address(seen) == _address(uvicorn_pick)) else seen
    return resolve(peer, hops, trusted)
