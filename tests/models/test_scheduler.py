"""Concurrent requests share one generator step by step (models.scheduler.Interleaved)."""

import threading
import time

import pytest

from models.generator import Generator
from models.scheduler import Interleaved


class Slow(Generator):
    """One word per 'decoding step' of 20 ms, like a model on a busy CPU."""

    name = "slow"

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0):
        for word in str(prompt).split()[:max_new_tokens]:
            time.sleep(0.02)
            yield word + " "


class Broken(Generator):
    name = "broken"

    def stream(self, prompt, **_):
        yield "one "
        raise RuntimeError("the model crashed")


def test_a_second_request_starts_before_the_first_one_ends():
    shared = Interleaved(Slow())
    long_prompt = " ".join(f"w{i}" for i in range(60))  # ~1.2 s alone
    first_piece, finished = {}, {}

    def run(name, prompt):
        started = time.perf_counter()
        text = ""
        for _, piece in shared.stream_batch([prompt]):
            first_piece.setdefault(name, time.perf_counter() - started)
            text += piece
        finished[name] = (time.perf_counter(), text)

    first = threading.Thread(target=run, args=("first", long_prompt))
    first.start()
    deadline = time.monotonic() + 10
    while "first" not in first_piece and time.monotonic() < deadline:  # the long one is under way
        time.sleep(0.005)
    second = threading.Thread(target=run, args=("second", "short prompt here"))
    second.start()
    first.join(10)
    second.join(10)
    assert finished["first"][1] == long_prompt + " " and finished["second"][1] == "short prompt here "
    assert first_piece["second"] < 0.5  # not after the first request's ~1.2 s
    assert finished["second"][0] < finished["first"][0]  # the short one did not wait for the long one
    assert shared.in_flight() == 0


def test_rows_of_a_batch_come_back_whole_and_in_order():
    shared = Interleaved(Slow())
    texts = ["", ""]
    for row, piece in shared.stream_batch(["a b c", "d e"]):
        texts[row] += piece
    assert texts == ["a b c ", "d e "]


def test_an_error_reaches_the_caller_and_the_next_request_still_runs():
    shared = Interleaved(Broken())
    with pytest.raises(RuntimeError, match="crashed"):
        list(shared.stream_batch(["x"]))
    assert shared.in_flight() == 0
    ok = Interleaved(Slow())
    assert "".join(p for _, p in ok.stream_batch(["still fine"])) == "still fine "


def test_a_caller_that_stops_reading_frees_its_turn():
    shared = Interleaved(Slow())
    stream = shared.stream_batch([" ".join(["x"] * 200)])
    next(stream)
    stream.close()
    deadline = time.time() + 2
    while shared.in_flight() and time.time() < deadline:
        time.sleep(0.02)
    assert shared.in_flight() == 0
