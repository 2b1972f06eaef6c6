"""A small OpenAI-compatible chat-completions server for the tests, on 127.0.0.1 (stdlib only).

It writes with the deterministic :class:`tests.fakes.FakeGenerator` (honouring ``max_tokens``,
``temperature`` and ``seed``) and streams one word per server-sent event, as real servers
stream one token per event. Each request takes the next step of ``script`` (then ``"ok"``):

- ``"ok"``: a normal stream, ending with a finish reason and ``data: [DONE]``;
- an ``int``: that HTTP status with an OpenAI-style error body (``Retry-After: 0`` on 429);
- ``"slow"``: no answer until the test ends (or ``hold`` seconds);
- ``"stall"``: two pieces, then silence;
- ``"cut"``: two pieces, then the connection closes without a finish reason;
- ``"malformed"``: an event that is not JSON;
- ``"json"``: a plain (non-streamed) chat completion;
- ``"echo-key"``: 401 whose message repeats the bearer token, as some servers do;
- ``"empty"``: a stream that ends normally without any text;
- ``"ping"``: keep-alive comments every ``delay`` s for ``hold`` s, then a normal stream.

``barrier=n`` makes each ``"ok"`` request wait until ``n`` requests are in flight (or 3 s),
so a test can tell concurrent requests from sequential ones; ``max_in_flight`` says what was seen.
Like ``transformers serve``: ``serial=True`` writes one answer at a time (the others get their
headers and first event at once, then wait their turn, silent); ``sample_flag=True`` samples only
when the request's ``generation_config`` says ``do_sample`` (a model folder without it), else writes
greedily whatever the temperature; ``refuse={"field"}`` answers 422 to a request with that field
(as OpenAI's own API refuses ``generation_config``).

    with FakeOpenAIServer(script=[503, "ok"]) as server:
        get_generator("openai", base_url=server.url, model="fake", backoff=0.01).generate("Hi")
"""
from __future__ import annotations

import json
import shlex
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import ROOT
from tests.fakes import FakeGenerator


class FakeOpenAIServer:
    def __init__(self, script=(), *, barrier: int = 0, delay: float = 0.0, hold: float = 10.0, serial: bool = False,
                 sample_flag: bool = False, refuse=()):
        self.script = list(script)
        self.sample_flag = sample_flag
        self.refuse = set(refuse)
        self._turn = threading.Lock() if serial else None
        self.requests: list[dict] = []
        self.delay = delay          # seconds between two events of a stream
        self.hold = hold            # longest silence of "slow" and "stall"
        self.in_flight = 0
        self.max_in_flight = 0
        self.disconnects = 0
        self._barrier = threading.Barrier(barrier) if barrier > 1 else None
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._writer = FakeGenerator()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> "FakeOpenAIServer":
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._released.set()
        if self._barrier:
            self._barrier.abort()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def next_step(self):
        with self._lock:
            return self.script.pop(0) if self.script else "ok"

    def text(self, body: dict) -> list[str]:
        """The pieces the fake writes for a request body."""
        temperature = body.get("temperature", 0.0)
        if self.sample_flag and not json.loads(body.get("generation_config") or "{}").get("do_sample"):
            temperature = 0.0
        pieces = self._writer.stream(body["messages"], max_new_tokens=body.get("max_tokens", 200),
                                     temperature=temperature, seed=body.get("seed", 0))
        return list(pieces)


def _handler(server: FakeOpenAIServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):  # quiet
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            with server._lock:
                server.in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server.in_flight)
            try:
                self.answer(server.next_step(), body)
            except (BrokenPipeError, ConnectionResetError):
                server.disconnects += 1
            finally:
                with server._lock:
                    server.in_flight -= 1

        def answer(self, step, body):
            if server.refuse & set(body):
                return self.send(422, "application/json", json.dumps(
                    {"detail": f"Unexpected fields in the request: {server.refuse & set(body)}"}).encode())
            if isinstance(step, int):
                return self.error(step, f"the fake server answers {step}")
            if step == "echo-key":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return self.error(401, f"Incorrect API key provided: {token}")
            if step == "slow":
                server._released.wait(server.hold)
                return self.error(503, "too late")
            if step == "json":
                text = "".join(server.text(body))
                return self.send(200, "application/json", json.dumps(
                    {"object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                               "finish_reason": "stop"}]}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            if step == "ok" and server._barrier:
                try:
                    server._barrier.wait(timeout=3)
                except threading.BrokenBarrierError:
                    pass
            self.event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
            if server._turn:
                with server._turn:
                    return self.stream(step, body)
            self.stream(step, body)

        def stream(self, step, body):
            if step == "ping":
                until = time.monotonic() + server.hold
                while time.monotonic() < until:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                    time.sleep(server.delay or 0.05)
            pieces = [] if step == "empty" else server.text(body)
            for index, piece in enumerate(pieces):
                if step in ("stall", "cut") and index == 2:
                    if step == "stall":
                        server._released.wait(server.hold)
                    return
                if step == "malformed" and index == 1:
                    self.wfile.write(b'data: {"choices": [{"delta": {"content": "oops"\n\n')
                    self.wfile.flush()
                    return
                self.event({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                if server.delay:
                    time.sleep(server.delay)
            reason = "length" if len(pieces) >= body.get("max_tokens", 200) else "stop"
            self.event({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
            self.wfile.write(b": keep-alive comment\n\ndata: [DONE]\n\n")
            self.wfile.flush()

        def event(self, chunk: dict) -> None:
            chunk = {"object": "chat.completion.chunk", "model": "fake", **chunk}
            self.wfile.write(b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n")
            self.wfile.flush()

        def error(self, status: int, message: str) -> None:
            payload = json.dumps({"error": {"message": message, "type": "fake", "code": status}}).encode()
            self.send(status, "application/json", payload, retry_after=status == 429)

        def send(self, status: int, content_type: str, payload: bytes, retry_after: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if retry_after:
                self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()

    return Handler


def readme_command(program: str) -> list[str]:
    """The first line of the README's model-server section that runs ``program``, as words (comment dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Drafting with your company's own model server"):]
    line = next(line for line in section.splitlines() if line.startswith(program + " "))
    return shlex.split(line.split("#")[0])
