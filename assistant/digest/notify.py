"""Delivering messages through apprise (e-mail over SMTP, Slack, Microsoft Teams), with bounded retries.

Scope and why: apprise speaks SMTP and the chat webhooks for us, so this module
only turns the installation's settings into apprise URLs, sends one message,
tells *why* a send failed (from the call's own log, which apprise returns
with the result), and retries. Retries go in rounds: every
message is tried once, then the failures wait (``backoff_s``, doubled each
round) and are tried again, up to ``attempts`` in all; a failing recipient
never holds up the others, and messages of one round go out from a small
thread pool. The rounds are tenacity's attempts (stop after ``attempts``,
exponential wait, retried while a message failed): the same retry helper as the
model server's client (``models/openai_generator.py``).

- e-mail: ``mailto(s)://[user:password@]smtp-host:port?to=…&from=…&mode=starttls|ssl|insecure``,
  plain text and HTML together (``multipart/alternative``), extra headers
  (``List-Unsubscribe``, ``List-Unsubscribe-Post``) as apprise's ``+Header=value``;
- Slack: the installation's webhook (``https://hooks.slack.com/services/…`` or a
  Workflow trigger, or any apprise ``slack://`` URL), Markdown body;
- Teams: the installation's Workflows webhook (``https://….logic.azure.com/workflows/…``,
  or an apprise ``workflows://`` URL): an Adaptive Card that mentions the employee.

    >>> from assistant.config import Settings
    >>> s = Settings(home=tmp, smtp_host="smtp.example.com", smtp_port=587, smtp_user="bot", smtp_password="p@ss/word")
    >>> email_url(s, "ana@example.com", {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    'mailtos://bot:p%40ss%2Fword@smtp.example.com:587/?to=ana%40example.com&from=porte-voix%40smtp.example.com&mode=starttls&%2BList-Unsubscribe-Post=List-Unsubscribe%3DOne-Click'
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, urlencode

import apprise
import tenacity

from ..config import Settings

TLS_MODES = {"starttls": ("mailtos", "starttls"), "ssl": ("mailtos", "ssl"), "none": ("mailto", "insecure")}


class NotConfigured(ValueError):
    """The installation has no way to deliver on this channel (no SMTP host, no webhook)."""


@dataclass
class Message:
    channel: str                      # email, slack, teams
    to: str                           # the employee's e-mail address
    subject: str
    text: str                         # plain text (e-mail) or Markdown (Slack, Teams)
    html: str | None = None           # e-mail only
    headers: dict = field(default_factory=dict)


@dataclass
class Result:
    ok: bool
    attempts: int
    error: str | None = None


def email_url(settings: Settings, to: str, headers: dict | None = None) -> str:
    """The apprise URL that mails ``to`` through the installation's SMTP relay."""
    if not settings.smtp_host:
        raise NotConfigured("no SMTP host configured (PORTE_VOIX_SMTP_HOST): e-mail digests cannot be sent")
    if settings.smtp_tls not in TLS_MODES:
        raise NotConfigured(f"PORTE_VOIX_SMTP_TLS={settings.smtp_tls!r}: use {', '.join(TLS_MODES)}")
    scheme, mode = TLS_MODES[settings.smtp_tls]
    auth = ""
    if settings.smtp_user:
        auth = quote(settings.smtp_user, safe="")
        auth += f":{quote(settings.smtp_password or '', safe='')}@"
    sender = settings.smtp_from or (settings.smtp_user if "@" in (settings.smtp_user or "") else None)
    if sender is None and any(c.isalpha() for c in settings.smtp_host.rsplit(".", 1)[-1]):
        sender = f"porte-voix@{settings.smtp_host}"
    if sender is None:
        raise NotConfigured("no sender address: set PORTE_VOIX_SMTP_FROM (the SMTP host is not a domain name)")
    params = {"to": to, "from": sender, "mode": mode}
    params.update({f"+{name}": value for name, value in (headers or {}).items()})
    return f"{scheme}://{auth}{settings.smtp_host}:{settings.smtp_port}/?{urlencode(params)}"


def check(settings: Settings, channel: str) -> str | None:
    """Why ``channel`` cannot deliver with these settings (nothing configured, an address apprise rejects), or None."""
    try:
        url = email_url(settings, "someone@example.com") if channel == "email" else webhook_url(settings, channel)
    except NotConfigured as exc:
        return str(exc)
    if apprise.Apprise.instantiate(url) is None:
        return f"{channel}: the configured address is not one apprise understands (see the README, Digests)"
    return None


def webhook_url(settings: Settings, channel: str) -> str:
    """The installation's Slack or Teams webhook (native https URL or apprise URL)."""
    url = {"slack": settings.slack_webhook_url, "teams": settings.teams_webhook_url}.get(channel)
    if not url:
        raise NotConfigured(f"no {channel} webhook configured (PORTE_VOIX_{channel.upper()}_WEBHOOK_URL)")
    return url


def send_once(settings: Settings, message: Message) -> tuple[bool, str | None]:
    """One attempt; ``(True, None)`` or ``(False, reason)``. Never raises."""
    try:
        if message.channel == "email":
            url = email_url(settings, message.to, message.headers)
            body, fmt = (message.html, apprise.NotifyFormat.HTML) if message.html else (message.text, apprise.NotifyFormat.TEXT)
        elif message.channel in ("slack", "teams"):
            url, body, fmt = webhook_url(settings, message.channel), message.text, apprise.NotifyFormat.MARKDOWN
        else:
            return False, f"unknown channel {message.channel!r}"
    except NotConfigured as exc:
        return False, str(exc)
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return False, f"{message.channel}: the configured address is not one apprise understands"
    try:  # the call's own log (apprise >= 2.2) says why a send failed; the SMTP answer is at debug level
        result = notifier.notify(body=body, title=message.subject, body_format=fmt, log_level=logging.DEBUG)
    except Exception as exc:  # a plugin bug must not stop the run: it is this message's failure
        return False, f"{type(exc).__name__}: {exc}"[:500]
    if result:
        return True, None
    lines = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL") or "Exception" in e.message]
    return False, "; ".join(dict.fromkeys(lines))[:500] or f"{message.channel}: delivery failed"


def deliver(settings: Settings, messages: list[Message], on_result: Callable[[int, Result], None] | None = None,
            attempts: int | None = None, backoff_s: float | None = None, workers: int = 4,
            send: Callable[[Settings, Message], tuple[bool, str | None]] = send_once,
            sleep: Callable[[float], None] = time.sleep) -> list[Result]:
    """Send every message, retrying failures in rounds; ``on_result(index, result)`` once per message, when final."""
    attempts = attempts or settings.digest_attempts
    backoff = settings.digest_backoff_s if backoff_s is None else backoff_s
    results: list[Result | None] = [None] * len(messages)
    pending = list(range(len(messages)))
    rounds = tenacity.Retrying(stop=tenacity.stop_after_attempt(attempts), sleep=sleep,
                               wait=tenacity.wait_exponential(multiplier=backoff, min=backoff, max=backoff * 2 ** attempts),
                               retry=tenacity.retry_if_result(bool), retry_error_callback=lambda state: None)
    for round_ in rounds:
        number = round_.retry_state.attempt_number
        if pending:
            with ThreadPoolExecutor(max_workers=max(1, min(workers, len(pending)))) as pool:
                outcomes = list(pool.map(lambda i: send(settings, messages[i]), pending))
            failed = []
            for i, (ok, error) in zip(pending, outcomes):
                if ok or number == attempts:
                    results[i] = Result(ok, number, None if ok else error)
                    if on_result:
                        on_result(i, results[i])
                else:
                    failed.append(i)
            pending = failed
        round_.retry_state.set_result(pending)  # retried while some message failed
    return results
