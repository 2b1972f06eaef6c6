"""A :class:`Generator` over any OpenAI-compatible chat-completions server, registered as ``openai``.

Scope: a company that runs its own model server (vLLM, Ollama, llama.cpp's server, an
Azure/OpenAI-style gateway, ``transformers serve``) drafts through it with the same prompts,
checks and fallback as the local model. The standard library's ``http.client`` (and tenacity's retries): one
``POST {base_url}/chat/completions`` per prompt with ``"stream": true``, read as server-sent
events; each event's ``choices[0].delta.content`` is one streamed piece. This module is the client
(the request, its slot, retries, the streaming interface); reading a response off the wire (events,
a whole answer, error texts, ``Retry-After``) is :mod:`models.openai_wire`, which knows no server
name, key or retry policy.

- A busy server is waited for (:mod:`models.server_load`): at most ``concurrency`` requests are
  sent at once by this client, whoever asks (the others queue here, first come first served), and
  a request fails only once the server has sent nothing at all (no token, keep-alive or header, to
  any of this client's requests) for ``timeout`` seconds, counted from its sending at the earliest.
  That failure says the server is slower than the limit and names the setting to raise
  (``timeout_name``). ``connect_timeout`` bounds opening a connection.
- Sampling is explicit in every request: ``temperature``, ``seed`` and, when sampling, ``top_p``
  (:data:`~models.generator.TOP_P`, as the local backend). ``transformers serve`` samples only when
  the model's ``generation_config.json`` says ``do_sample`` (a converted GGUF's does not), so each
  request also carries its ``generation_config`` extension, ``{"do_sample": …}``; a server that
  refuses that field (HTTP 400/422 naming it: OpenAI's own API) is sent the request again without it,
  and never again by this client.
- Retries (tenacity, as the digests' deliveries): connection failures, HTTP 429 and 5xx are retried
  ``retries`` times with exponential back-off (``backoff``, doubled each time, or the server's
  ``Retry-After``, at most ``max_backoff``). Once a piece has been streamed a failure is not retried (the caller
  already holds part of the text), nor is a silent server (more requests would not help it).
- What finally fails raises :class:`~models.generator.GeneratorUnavailable`, whose message
  names the server and the reason; the API key never appears in messages, logs or reprs.
- :meth:`OpenAIGenerator.stream_batch` sends the prompts concurrently (one thread and one
  connection each, within the ``concurrency`` slots), so a server with continuous batching
  writes the variants of a request together; pieces arrive interleaved as ``(index, piece)``.
  ``last_stats["empty"]`` counts the answers that ended with no text.
- ``avoid`` cannot be honoured through this API (no decoding hook): the caller's checks apply.
  A final ``assistant`` message is sent as it is; servers differ on whether they continue it
  (vLLM does with ``extra_body={"continue_final_message": True, "add_generation_prompt": False}``,
  and then ``continues_start`` is true, so callers send one).

    >>> gen = OpenAIGenerator(base_url="http://127.0.0.1:8000/v1", model="qwen", api_key="sk-secret")
    >>> gen
    <OpenAIGenerator 'qwen' at http://127.0.0.1:8000/v1>
    >>> "sk-secret" in repr(gen) + repr(vars(gen))
    False
"""
from __future__ import annotations

import http.client
import json
import logging
import queue
import ssl
import threading
import time
from contextlib import ExitStack, contextmanager
from typing import Iterator
from urllib.parse import urlsplit

import tenacity

from .chat import Prompt, messages_of
from .generator import TOP_P, Generator, GeneratorUnavailable, register_generator
from .openai_wire import (
    Broken,
    Silent,
    error_text,
    retry_after,
    stream_pieces,
    whole_answer,
)
from .server_load import Connections, Silence, Slots

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}
EXTENSION = "generation_config"  # transformers serve's per-request generation settings (a JSON string)


class _Retry(Exception):
    """An attempt failed in a way worth retrying (``wait``: the server's Retry-After, if any)."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


class _Refused(Exception):
    """The server refused the ``generation_config`` field: send the request again without it."""


class _Secret:
    """Holds the API key; its repr says nothing, so ``vars()`` or a debugger print cannot leak it."""

    __slots__ = ("value",)

    def __init__(self, value: str | None):
        self.value = value or None

    def __repr__(self) -> str:
        return "<hidden>" if self.value else "<none>"


class OpenAIGenerator(Generator):
    """Chat completions from an OpenAI-compatible server (see the module docstring for the behaviour).

    ``base_url`` is what OpenAI clients take (usually ending in ``/v1``); ``model`` the name the
    server knows the model by; ``api_key`` is sent as ``Authorization: Bearer …`` when given.
    ``extra_body`` is merged into every request (server-specific parameters). ``timeout_name`` is
    how the operator sets ``timeout`` (Porte-voix: ``PORTE_VOIX_GENERATOR_TIMEOUT_S``), for messages.
    After each call ``last_stats`` holds ``sequences``, ``pieces``, ``empty``, ``seconds`` and
    ``first_token_seconds``.
    """

    concurrent_calls = True  # callers share the slots; the server batches or queues

    def __init__(self, *, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0,
                 connect_timeout: float = 5.0, retries: int = 2, backoff: float = 0.5, max_backoff: float = 8.0,
                 concurrency: int = 8, extra_body: dict | None = None, name: str | None = None,
                 timeout_name: str = "timeout"):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be an http:// or https:// URL, e.g. http://127.0.0.1:8000/v1")
        if parts.username or parts.password:
            raise ValueError("base_url must not hold credentials: pass the key as api_key")
        # shown in reprs and messages: no query string (some gateways put keys there)
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.model = model
        self.name = name or model
        self._key = _Secret(api_key)
        self.timeout = float(timeout)
        self.timeout_name = timeout_name
        self.connect_timeout = float(connect_timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.concurrency = max(1, int(concurrency))
        self.extra_body = dict(extra_body or {})
        self.sends_generation_config = True  # until the server refuses the field
        self.last_stats: dict | None = None
        self._slots = Slots(self.concurrency)
        self._silence = Silence(self.timeout)
        self._scheme, self._host, self._port = parts.scheme, parts.hostname, parts.port
        self._path = parts.path.rstrip("/") + "/chat/completions" + (f"?{parts.query}" if parts.query else "")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} at {self.base_url}>"

    @property
    def continues_start(self) -> bool:  # type: ignore[override]
        """Only when the server was asked to continue a final assistant message (a vLLM extension)."""
        return bool(self.extra_body.get("continue_final_message"))

    # --- one request ----------------------------------------------------------------------

    def body(self, prompt: Prompt, max_new_tokens: int, temperature: float, seed: int) -> dict:
        """The request body: the messages and every sampling setting, explicit (see the module docstring)."""
        sampling = temperature > 0
        body = {"model": self.model, "messages": messages_of(prompt), "stream": True,
                "max_tokens": int(max_new_tokens), "temperature": float(temperature), "seed": int(seed)}
        if sampling:
            body["top_p"] = TOP_P
        if self.sends_generation_config:
            settings = {"do_sample": True, "temperature": float(temperature), "top_p": TOP_P} if sampling else {
                "do_sample": False}
            body[EXTENSION] = json.dumps(settings)
        return {**body, **self.extra_body}

    def _own_extension(self, body: dict) -> bool:
        """Whether ``body`` carries this client's ``generation_config`` (not one the operator put in ``extra_body``)."""
        return EXTENSION in body and EXTENSION not in self.extra_body

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._key.value:
            headers["Authorization"] = f"Bearer {self._key.value}"
        return headers

    def _clean(self, text: str) -> str:
        """Server text made safe to show: the key removed (some servers echo it), shortened."""
        if self._key.value:
            text = text.replace(self._key.value, "<hidden>")
        return " ".join(text.split())[:300]

    def _connect(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.connect_timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self.connect_timeout)
        try:
            conn.connect()
        except OSError as error:
            conn.close()
            raise _Retry(f"cannot connect ({type(error).__name__}: {error})") from None
        conn.sock.settimeout(None)  # the server's silence is watched across requests (models.server_load)
        return conn

    def _silent(self, where: str) -> str:
        return self._failure(f"the server sent nothing for {self.timeout:g} s {where}: it is slower than the "
                             f"limit or stuck; if it is only busy, raise {self.timeout_name} (now {self.timeout:g})")

    def _attempt(self, body: dict, opened: Connections) -> Iterator[str]:
        """One request: yields the pieces; raises :class:`_Retry`, :class:`_Refused` or :class:`GeneratorUnavailable`."""
        conn = self._connect()
        sock = conn.sock  # kept: http.client drops conn.sock once the response owns the connection
        opened.add(sock)
        try:
            with self._silence.watch(sock) as watched:
                try:
                    conn.request("POST", self._path, body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                 headers=self._headers())
                    response = conn.getresponse()
                except (OSError, http.client.HTTPException) as error:
                    if watched.expired:
                        raise GeneratorUnavailable(self._silent("while waiting for the answer")) from None
                    raise _Retry(f"connection failed ({type(error).__name__})") from None
                self._silence.heard()
                if response.status != 200:
                    detail = self._clean(error_text(response))
                    if response.status in (400, 422) and EXTENSION in detail and self._own_extension(body):
                        raise _Refused(detail)
                    reason = f"HTTP {response.status}" + (f": {detail}" if detail else "")
                    if response.status in RETRY_STATUS:
                        raise _Retry(reason, wait=retry_after(response))
                    raise GeneratorUnavailable(self._failure(reason))
                try:
                    if "text/event-stream" in (response.getheader("Content-Type") or ""):
                        yield from stream_pieces(response, watched, self._silence.heard, self._clean)
                    else:  # a server that ignores "stream": one JSON answer
                        yield from whole_answer(response, watched)
                except Silent as silent:
                    raise GeneratorUnavailable(self._silent(str(silent))) from None
                except Broken as broken:
                    raise GeneratorUnavailable(self._failure(str(broken))) from None
        finally:
            opened.discard(sock)
            conn.close()

    def _failure(self, reason: str, attempts: int | None = None) -> str:
        tries = f" after {attempts} attempts" if attempts and attempts > 1 else ""
        return f"generator {self.name!r} at {self.base_url}: {reason}{tries}"

    @contextmanager
    def _slot(self, opened: Connections):
        if not self._slots.take(opened.cancelled):
            raise GeneratorUnavailable("the request was cancelled")
        try:
            yield
        finally:
            self._slots.give()

    # --- the interface ----------------------------------------------------------------------

    def _stream(self, prompt: Prompt, max_new_tokens: int, temperature: float, seed: int,
                opened: Connections) -> Iterator[str]:
        """One prompt's pieces. Starting the answer (a slot, the request, its first piece) is retried by
        tenacity; once a piece is out, a failure ends the answer (the caller holds part of it)."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retries + 1), wait=self._backoff, sleep=opened.wait,
            retry=tenacity.retry_if_exception(lambda error: isinstance(error, _Retry) and not opened.closed),
            before_sleep=self._log_retry, reraise=True)
        try:
            slot, first, rest = retrying(self._start, prompt, max_new_tokens, temperature, seed, opened)
        except _Retry as error:
            raise GeneratorUnavailable(self._failure(str(error), retrying.statistics.get("attempt_number"))) from None
        with slot:
            if first is None:
                return
            try:
                yield first
                yield from rest
            except _Retry as error:
                raise GeneratorUnavailable(self._failure(str(error), retrying.statistics.get("attempt_number"))) from None

    def _start(self, prompt: Prompt, max_new_tokens: int, temperature: float, seed: int,
               opened: Connections) -> tuple[ExitStack, str | None, Iterator[str]]:
        """One attempt up to the answer's first piece: ``(the slot held, first piece or None, the rest)``. A server
        that refuses :data:`EXTENSION` is sent the request again at once without it (not a retry)."""
        slot = ExitStack()
        slot.enter_context(self._slot(opened))
        try:
            try:
                pieces = self._attempt(self.body(prompt, max_new_tokens, temperature, seed), opened)
                first = next(pieces, None)
            except _Refused as refusal:
                log.info("%s; sent again without it", self._failure(f"the server refuses {EXTENSION}: {refusal}"))
                self.sends_generation_config = False
                pieces = self._attempt(self.body(prompt, max_new_tokens, temperature, seed), opened)
                first = next(pieces, None)
        except BaseException:
            slot.close()
            raise
        slot.callback(pieces.close)  # closed before the slot is given back
        return slot, first, pieces

    def _backoff(self, state: tenacity.RetryCallState) -> float:
        """The wait before the next attempt: the server's Retry-After, else ``backoff`` doubled each time."""
        asked = getattr(state.outcome.exception(), "wait", None)
        return min(self.max_backoff, asked if asked is not None else self.backoff * 2 ** (state.attempt_number - 1))

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        log.warning("%s; retry %d of %d in %.1f s", self._failure(str(state.outcome.exception())),
                    state.attempt_number, self.retries, state.next_action.sleep)

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0) -> Iterator[str]:
        started, first, pieces = time.perf_counter(), None, 0
        opened = Connections()
        try:
            for piece in self._stream(prompt, max_new_tokens, temperature, seed, opened):
                first = first if first is not None else time.perf_counter() - started
                pieces += 1
                yield piece
        finally:
            opened.close_all()
            self.last_stats = _stats(1, pieces, int(pieces == 0), started, first)

    def stream_batch(self, prompts, *, max_new_tokens=200, temperature=0.0, seed=0,
                     avoid=()) -> Iterator[tuple[int, str]]:
        """All prompts sent at once (prompt ``i`` with seed ``seed + i``); pieces yielded as they arrive.

        If one prompt fails, the others are cancelled and :class:`GeneratorUnavailable` is raised
        (naming which prompt). Closing the iterator early cancels the requests still running.
        """
        started, first, pieces = time.perf_counter(), None, 0
        arrivals: queue.Queue = queue.Queue()
        opened = Connections()
        written = [False] * len(prompts)

        def work(index: int, prompt: Prompt) -> None:
            try:
                for piece in self._stream(prompt, max_new_tokens, temperature, seed + index, opened):
                    if opened.closed:
                        return
                    arrivals.put((index, piece, None))
            except BaseException as error:  # handed to the consumer, which raises it
                arrivals.put((index, None, error))
            finally:
                arrivals.put((index, None, None))

        threads = [threading.Thread(target=work, args=(i, p), daemon=True, name=f"openai-generator-{i}")
                   for i, p in enumerate(prompts)]
        for thread in threads:
            thread.start()
        try:
            running = len(threads)
            while running:
                index, piece, error = arrivals.get()
                if error is not None:
                    if opened.closed:
                        continue
                    if isinstance(error, GeneratorUnavailable) and len(prompts) > 1:
                        raise GeneratorUnavailable(f"prompt {index + 1} of {len(prompts)}: {error}") from None
                    raise error
                if piece is None:
                    running -= 1
                    continue
                first = first if first is not None else time.perf_counter() - started
                pieces += 1
                written[index] = True
                yield index, piece
        finally:
            opened.close_all()
            for thread in threads:
                thread.join(timeout=2)
            self.last_stats = _stats(len(prompts), pieces, written.count(False), started, first)


def _stats(sequences: int, pieces: int, empty: int, started: float, first: float | None) -> dict:
    seconds = time.perf_counter() - started
    return {"sequences": sequences, "pieces": pieces, "empty": empty, "seconds": round(seconds, 3),
            "first_token_seconds": round(first, 3) if first is not None else None}


@register_generator("openai")
def openai_compatible(*, base_url: str | None = None, model: str | None = None, cache_dir=None,
                      **options) -> OpenAIGenerator:
    """``get_generator("openai", base_url=…, model=…, api_key=…, timeout=…, concurrency=…)``; ``cache_dir`` is unused."""
    if not base_url or not model:
        raise ValueError("the 'openai' generator needs base_url and model (PORTE_VOIX_GENERATOR_BASE_URL, "
                         "PORTE_VOIX_GENERATOR_MODEL)")
    return OpenAIGenerator(base_url=base_url, model=model, **options)
