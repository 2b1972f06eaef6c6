"""What an OpenAI-compatible chat-completions server answers, read off the wire.

Scope: one HTTP response of ``POST …/chat/completions``, as :mod:`models.openai_generator` receives
it: the content pieces of a server-sent event stream (each event's ``choices[0].delta.content``,
until ``data: [DONE]`` or a finish reason), the content of a whole JSON answer (a server that
ignores ``"stream": true``), the message of an error answer, and its ``Retry-After``.

Why apart from the generator: how a response is parsed does not depend on who asked or how
often it is retried. These readers know no server name, key or retry policy: a response that
cannot be read raises :class:`Broken`, and one whose server fell silent past the limit (its
socket shut by :class:`models.server_load.Silence`) raises :class:`Silent`; the generator turns
both into :class:`~models.generator.GeneratorUnavailable` with its own name and setting. Server
text that ends up in a reason goes through the caller's ``clean`` (which hides the key).

    >>> import io
    >>> class Response(io.BytesIO):
    ...     def getheader(self, name): return None
    >>> stream = Response(b'data: {"choices": [{"delta": {"content": "Bon"}}]}\\n\\n'
    ...                   b': keep-alive\\n\\n'
    ...                   b'data: {"choices": [{"delta": {"content": "jour"}, "finish_reason": "stop"}]}\\n\\n'
    ...                   b'data: [DONE]\\n\\n')
    >>> list(stream_pieces(stream, Watched(None), heard=lambda: None, clean=str))
    ['Bon', 'jour']
    >>> error_text(Response(b'{"error": {"message": "model not found"}}')), retry_after(Response(b""))
    ('model not found', None)
"""
from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator

from .server_load import Watched


class Broken(Exception):
    """The answer cannot be read (cut, malformed, or an error inside the stream); the message is the reason."""


class Silent(Exception):
    """The server sent nothing past the silence limit; the message says where (``"inside the stream"``…)."""


def stream_pieces(response, watched: Watched, heard: Callable[[], None],
                  clean: Callable[[str], str]) -> Iterator[str]:
    """The content pieces of a server-sent event stream, until ``[DONE]`` or a finish reason.

    ``heard`` is called on every line (a token, a keep-alive comment, a blank line: the server is alive).
    """
    data: list[str] = []
    finished = False
    while True:
        try:
            raw = response.readline()
        except (OSError, http.client.HTTPException, ValueError) as error:
            if watched.expired:
                raise Silent("inside the stream") from None
            raise Broken(f"the stream broke ({type(error).__name__})") from None
        if not raw:
            if finished:
                return
            if watched.expired:
                raise Silent("inside the stream")
            raise Broken("the stream ended before the answer was complete")
        heard()
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
            continue
        if line or not data:  # comments (":"), other fields, keep-alive blank lines
            continue
        event, data = "\n".join(data), []
        if event.strip() == "[DONE]":
            return
        piece, done = event_piece(event, clean)
        finished = finished or done
        if piece:
            yield piece


def event_piece(event: str, clean: Callable[[str], str]) -> tuple[str, bool]:
    """One event's ``(content, whether it carries a finish reason)``."""
    try:
        chunk = json.loads(event)
        if isinstance(chunk, dict) and chunk.get("error"):
            error = chunk["error"]
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            raise Broken(f"server error in the stream: {clean(message)}")
        choices = chunk.get("choices") or [{}]
        delta = choices[0].get("delta") or {}
        content = delta.get("content") or ""
        if not isinstance(content, str):
            raise TypeError("content is not text")
        return content, choices[0].get("finish_reason") is not None
    except (ValueError, AttributeError, TypeError, IndexError):
        raise Broken(f"malformed event in the stream: {clean(event)[:80]!r}") from None


def whole_answer(response, watched: Watched) -> Iterator[str]:
    """The content of a whole chat completion (``choices[0].message.content``), as one piece if not empty."""
    try:
        answer = json.loads(response.read())
        content = answer["choices"][0]["message"]["content"] or ""
    except (ValueError, KeyError, IndexError, TypeError, OSError, http.client.HTTPException):
        if watched.expired:
            raise Silent("while waiting for the answer") from None
        raise Broken("malformed answer (neither an event stream nor a chat completion)") from None
    if content:
        yield content


def error_text(response) -> str:
    """The server's error message (``{"error": {"message": …}}``, ``{"detail": …}``, or the body's start)."""
    try:
        body = response.read(4096).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    try:
        answer = json.loads(body)
        error = answer.get("error") or answer.get("detail")  # OpenAI-style, or FastAPI-style
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    except (ValueError, AttributeError):
        pass
    return body


def retry_after(response) -> float | None:
    """The response's ``Retry-After`` in seconds (never negative), or None without a number there."""
    try:
        return max(0.0, float(response.getheader("Retry-After") or ""))
    except ValueError:
        return None
