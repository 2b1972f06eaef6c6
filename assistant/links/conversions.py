"""Conversions (leads, sign-ups, sales, job applications) from the company's site or CRM.

The click service adds a click id (``pv_cid``) to every redirect; the company's
form keeps it (a hidden field) and its CRM calls ``POST /v1/conversions`` with::

    {"click_id": "Xb3…", "event": "lead", "external_id": "hubspot-contact-2231",
     "occurred_at": "2025-06-02T10:31:00Z", "value": 1200, "currency": "EUR"}

(``share_id``, the ``utm_content`` of the visit, may replace ``click_id``.) The
request is signed with the shared secret: header ``X-PV-Timestamp`` (Unix
seconds) and ``X-PV-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``.
A timestamp more than 5 minutes away is refused, a signature seen before is a
replay, and ``external_id`` makes the call idempotent (the CRM may retry).

The signature is computed here with ``hmac``, not with the installation's signer
(``assistant.signing``, itsdangerous): the header is a contract other systems
implement (a CRM workflow computes a plain hex HMAC-SHA256 of ``"<timestamp>." + body``),
and a signer's output (``<value>.<base64 signature>`` under a salted, derived key)
is a different format that no sender could reproduce from this README's recipe.

    >>> body = b'{"share_id": "s-1", "event": "lead", "external_id": "crm-1", "occurred_at": 1717320000}'
    >>> headers = sign(b"secret", body, timestamp=1717320000)
    >>> verify(b"secret", body, headers["X-PV-Timestamp"], headers["X-PV-Signature"], now=1717320100)
    >>> try:
    ...     verify(b"secret", body, headers["X-PV-Timestamp"], headers["X-PV-Signature"], now=1717329999)
    ... except Refused as exc:
    ...     print(exc.status, exc.as_json())
    401 {'error': 'stale', 'message': 'the timestamp is 9999 s away from now (tolerance 300 s)'}
    >>> parse_payload({"share_id": "s-1", "event": "lead", "external_id": "crm-1", "occurred_at": "2024-06-02T09:20:00Z"})["occurred_at"]
    1717320000.0

Every refusal is a :class:`Refused` carrying an HTTP status and a short code;
the service answers it as ``{"error": code, "message": …}`` and stores nothing.
CSV fallback (``porte-voix engagement import conversions.csv``): one row per
conversion with the same columns (``utm_content`` accepted for ``share_id``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import math
import re
import time
from pathlib import Path

EVENTS = ("lead", "signup", "sale", "application")
TOLERANCE_S = 300
TIMESTAMP_HEADER = "X-PV-Timestamp"
SIGNATURE_HEADER = "X-PV-Signature"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Refused(ValueError):
    """A conversion request refused: ``status`` (HTTP), ``code`` (stable, for machines), message (for people)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message

    def as_json(self) -> dict:
        return {"error": self.code, "message": self.message}


def signature(secret: bytes, body: bytes, timestamp: int | str) -> str:
    """``v1=<hex>``: HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    return "v1=" + hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers a sender adds (what a CRM workflow computes; tests and scripts use this)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, body, timestamp)}


def verify(secret: bytes, body: bytes, timestamp: str | None, given: str | None, now: float | None = None) -> None:
    """Raise :class:`Refused` unless the request is signed with ``secret`` within the tolerance."""
    if not timestamp or not given:
        raise Refused(401, "unsigned", f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise Refused(400, "bad_timestamp", f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    now = time.time() if now is None else now
    if abs(now - stamp) > TOLERANCE_S:
        raise Refused(401, "stale", f"the timestamp is {abs(now - stamp):.0f} s away from now "
                                    f"(tolerance {TOLERANCE_S} s)")
    if not hmac.compare_digest(signature(secret, body, stamp), given.strip()):
        raise Refused(401, "bad_signature", "the signature does not match this body and timestamp")


def _time(value) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return float(text)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()


def parse_payload(data) -> dict:
    """A clean conversion from a decoded JSON object (or CSV row); :class:`Refused` (422) listing what is wrong."""
    if not isinstance(data, dict):
        raise Refused(422, "invalid", "the body must be a JSON object")
    problems, out = [], {}
    click_id = str(data.get("click_id") or data.get("pv_cid") or "").strip() or None
    share_id = str(data.get("share_id") or data.get("utm_content") or "").strip() or None
    if not click_id and not share_id:
        problems.append("click_id or share_id is required")
    event = str(data.get("event") or "").strip().lower()
    if event not in EVENTS:
        problems.append(f"event must be one of {', '.join(EVENTS)}")
    external_id = str(data.get("external_id") or "").strip()
    if not external_id or len(external_id) > 200:
        problems.append("external_id is required (at most 200 characters)")
    try:
        occurred = _time(data.get("occurred_at"))
    except (TypeError, ValueError):
        problems.append("occurred_at must be an ISO 8601 time or Unix seconds")
        occurred = None
    value = data.get("value")
    if value in (None, ""):
        value = None
    else:
        try:
            value = float(value)
            if not math.isfinite(value) or value < 0 or isinstance(data.get("value"), bool):
                raise ValueError
        except (TypeError, ValueError):
            problems.append("value must be a number >= 0")
    currency = str(data.get("currency") or "").strip().upper() or None
    if currency and not _CURRENCY.match(currency):
        problems.append("currency must be a 3-letter ISO 4217 code")
    if problems:
        raise Refused(422, "invalid", "; ".join(problems))
    out.update(click_id=click_id, share_id=share_id, event=event, external_id=external_id, occurred_at=occurred,
               value=value, currency=currency)
    return out


def read_csv(path: Path, text: str | None = None) -> tuple[list[dict], list[str]]:
    """Conversions from a CSV file (or its ``text``, already read): ``(clean rows, problems)``; each bad row is
    named, the rest kept."""
    text = Path(path).read_text(encoding="utf-8-sig") if text is None else text
    rows, problems = [], []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()}
        try:
            rows.append(parse_payload(record))
        except Refused as exc:
            problems.append(f"{Path(path).name}:{line}: {exc.message}")
    return rows, problems


def is_conversions_csv(header: list[str]) -> bool:
    """A CSV whose header names ``event`` and ``external_id`` holds conversions (not network analytics)."""
    names = {h.strip().lower() for h in header}
    return {"event", "external_id"} <= names
