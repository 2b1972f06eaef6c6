"""Prompts as chat messages: the two prompt shapes every generator accepts, and helpers to read them.

Scope: a prompt is either a plain string (raw completion) or OpenAI-style chat messages,
``[{"role": "system" | "user" | "assistant", "content": "..."}]``. Backends and the test
fakes read prompts through these helpers, so no backend parses messages its own way.

    >>> messages_of("Bonjour")
    [{'role': 'user', 'content': 'Bonjour'}]
    >>> chat = [{"role": "system", "content": "Rules."},
    ...         {"role": "user", "content": "Rewrite: <<<SOURCE We hired 12 people. SOURCE>>>"}]
    >>> last_user_text(chat)[:8], marked_source(chat)
    ('Rewrite:', 'We hired 12 people.')
"""
from __future__ import annotations

import re
from typing import Union

Message = dict
Prompt = Union[str, list]

_SOURCE = re.compile(r"<<<SOURCE(.*?)SOURCE>>>", re.S)


def messages_of(prompt: Prompt) -> list[Message]:
    """The prompt as chat messages (a plain string becomes one user message)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return list(prompt)


def last_user_text(prompt: Prompt) -> str:
    """Content of the last user message ('' when there is none)."""
    for message in reversed(messages_of(prompt)):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def marked_source(prompt: Prompt) -> str | None:
    """The text between ``<<<SOURCE`` and ``SOURCE>>>`` in the last user message, if any.

    The markers are the convention by which a prompt tells a backend which text is the
    source to rewrite (the fake drafts from it; a real backend can refuse to copy it).
    """
    found = _SOURCE.search(last_user_text(prompt))
    return found.group(1).strip() if found else None


def ends_with_start(prompt: Prompt) -> bool:
    """True when the last message is an ``assistant`` one: a start the model should continue."""
    messages = messages_of(prompt)
    return bool(messages) and messages[-1].get("role") == "assistant"
