"""Several employees drafting at once share one model: their decoding steps take turns.

A local model on a CPU decodes one batch at a time; served naively, the second
employee to ask for drafts waits for the whole of the first one's batch (~20 s
for three variants), the fifth for four of them. :class:`Interleaved` wraps any
generator and runs every request's ``stream_batch`` from one worker thread,
round robin: each turn pulls about one decoding step (one piece per row) from
the next request in line, so a newcomer's prompt is read after at most one step
of each request in flight and its first token arrives in seconds, while the
others keep streaming. Total throughput is that of the model; what changes is
that nobody waits for somebody else's whole batch.

A backend that serves concurrent callers itself (``concurrent_calls``: the
``openai`` backend, whose server batches or queues requests) is called directly,
in the caller's thread: taking turns there would hold every employee's pieces
while the worker waits for one whose request the server has queued.

    >>> from models.generator import Generator
    >>> class Words(Generator):
    ...     def stream(self, prompt, **_):
    ...         yield from (w + " " for w in str(prompt).split())
    >>> shared = Interleaved(Words())
    >>> "".join(piece for _, piece in shared.stream_batch(["a b c"]))
    'a b c '
    >>> shared.in_flight()
    0
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Iterator

from .generator import Generator

_DONE = object()


class _Job:
    def __init__(self, prompts: list, options: dict):
        self.prompts, self.options = prompts, options
        self.pieces: queue.Queue = queue.Queue()
        self.iterator: Iterator | None = None
        self.cancelled = False


class Interleaved(Generator):
    """``inner`` shared by concurrent callers, one decoding step each in turn (see the module doc)."""

    def __init__(self, inner: Generator):
        self.inner = inner
        self.name = inner.name
        self._jobs: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None
        self._serving = 0  # requests in a turn right now (taken out of the line while served)
        self._direct = 0   # requests passed straight to a backend with concurrent_calls

    def __getattr__(self, attribute):  # load(), last_stats, cache_dir… of the wrapped backend
        if attribute == "inner":
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    @property
    def continues_start(self) -> bool:  # type: ignore[override]
        return self.inner.continues_start

    def in_flight(self) -> int:
        """Requests being written or waiting for their first turn (for "3 drafts in progress")."""
        with self._wake:
            return len(self._jobs) + self._serving + self._direct

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0) -> Iterator[str]:
        for _, piece in self.stream_batch([prompt], max_new_tokens=max_new_tokens, temperature=temperature, seed=seed):
            yield piece

    def stream_batch(self, prompts, *, max_new_tokens=200, temperature=0.0, seed=0, avoid=()) -> Iterator[tuple[int, str]]:
        if self.inner.concurrent_calls:
            yield from self._direct_batch(prompts, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                          avoid=avoid)
            return
        job = _Job(list(prompts), dict(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                       avoid=list(avoid)))
        with self._wake:
            self._jobs.append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="porte-voix-generator", daemon=True)
                self._worker.start()
            self._wake.notify()
        try:
            while True:
                item = job.pieces.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            job.cancelled = True  # a caller that stops reading frees its turn

    def _direct_batch(self, prompts, **options) -> Iterator[tuple[int, str]]:
        with self._wake:
            self._direct += 1
        try:
            yield from self.inner.stream_batch(prompts, **options)
        finally:
            with self._wake:
                self._direct -= 1

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._jobs:
                    self._wake.wait()
                job = self._jobs.popleft()
                self._serving += 1
            more = self._turn(job)
            with self._wake:
                self._serving -= 1
                if more:
                    self._jobs.append(job)

    def _turn(self, job: _Job) -> bool:
        """About one decoding step of ``job`` (one piece per row); False once it is over."""
        try:
            if job.cancelled:
                raise StopIteration
            if job.iterator is None:
                job.iterator = self.inner.stream_batch(job.prompts, **job.options)
            for _ in range(max(1, len(job.prompts))):
                job.pieces.put(next(job.iterator))
            return True
        except StopIteration:
            if job.iterator is not None and job.cancelled:
                job.iterator.close()
            job.pieces.put(_DONE)
        except BaseException as exc:  # the caller re-raises it in its own thread
            job.pieces.put(exc)
        return False
