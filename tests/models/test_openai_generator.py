"""The ``openai`` generator against a small OpenAI-compatible server on 127.0.0.1 (tests/openai_server.py).

Each test starts its own server and stops it; timeouts are a fraction of a second, so the
whole file runs in a few seconds.
"""
import json
import logging
import threading
import time
import traceback

import pytest

from models.generator import GeneratorUnavailable, get_generator
from models.openai_generator import OpenAIGenerator
from models.scheduler import Interleaved
from models.server_load import Slots
from tests.fakes import FakeGenerator
from tests.openai_server import FakeOpenAIServer

KEY = "sk-test-0123456789abcdef"
CHAT = [{"role": "system", "content": "Tu écris des posts à la première personne, en français."},
        {"role": "user", "content": "- Nordelec ouvre un centre à Nantes le 14 mars 2025\n- 62 techniciens\n"
                                    "Écris le post en français."}]


def client(server, **options):
    options = {"api_key": KEY, "timeout": 2.0, "connect_timeout": 1.0, "retries": 2, "backoff": 0.01, **options}
    return get_generator("openai", base_url=server.url, model="fake-model", cache_dir="/unused", **options)


def failure(call) -> GeneratorUnavailable:
    with pytest.raises(GeneratorUnavailable) as caught:
        call()
    return caught.value


def assert_no_key(error: BaseException, *texts: str) -> None:
    shown = [str(error), repr(error), "".join(traceback.format_exception(error)), *texts]
    assert all(KEY not in text for text in shown)


# --- normal use -------------------------------------------------------------------------------

def test_streams_the_servers_pieces_and_sends_a_chat_completion_request():
    with FakeOpenAIServer() as server:
        gen = client(server)
        pieces = list(gen.stream(CHAT, max_new_tokens=40, temperature=0.7, seed=3))
    expected = FakeGenerator().stream(CHAT, max_new_tokens=40, temperature=0.7, seed=3)
    assert pieces == list(expected) and len(pieces) > 5
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == f"Bearer {KEY}"
    assert request["body"] == {"model": "fake-model", "messages": CHAT, "stream": True, "max_tokens": 40,
                               "temperature": 0.7, "top_p": 0.95, "seed": 3,
                               "generation_config": '{"do_sample": true, "temperature": 0.7, "top_p": 0.95}'}
    assert gen.last_stats["pieces"] == len(pieces) and gen.last_stats["first_token_seconds"] is not None


def test_a_plain_string_prompt_is_one_user_message_and_no_key_means_no_header():
    with FakeOpenAIServer() as server:
        text = client(server, api_key=None).generate("Acme hired 12 people in May.")
    assert "Acme hired 12 people in May." in text
    assert server.requests[0]["body"]["messages"] == [{"role": "user", "content": "Acme hired 12 people in May."}]
    assert "Authorization" not in server.requests[0]["headers"]


def test_a_server_that_ignores_stream_and_answers_in_one_piece_still_works():
    with FakeOpenAIServer(script=["json"]) as server:
        assert client(server).generate(CHAT) == FakeGenerator().generate(CHAT)


def test_stream_batch_sends_the_prompts_concurrently_and_each_row_is_its_prompt_alone():
    prompts = [CHAT, "Brightpath launched 40 vans in Leeds.", CHAT]
    with FakeOpenAIServer(barrier=3, delay=0.002) as server:
        gen = client(server)
        rows = [""] * 3
        order = []
        for index, piece in gen.stream_batch(prompts, max_new_tokens=30, temperature=0.9, seed=5):
            rows[index] += piece
            order.append(index)
    assert server.max_in_flight == 3  # all three were written at the same time
    assert rows == [FakeGenerator().generate(p, max_new_tokens=30, temperature=0.9, seed=5 + i)
                    for i, p in enumerate(prompts)]
    assert [r["body"]["seed"] for r in sorted(server.requests, key=lambda r: r["body"]["seed"])] == [5, 6, 7]
    assert gen.last_stats["sequences"] == 3


def test_concurrency_limits_the_requests_in_flight():
    with FakeOpenAIServer(delay=0.002) as server:
        client(server, concurrency=2).generate_many(CHAT, n=4, max_new_tokens=20)
    assert server.max_in_flight <= 2 and len(server.requests) == 4


def test_a_server_writing_one_answer_at_a_time_is_waited_for_while_it_writes():
    """Each answer takes about the silence limit; the last one waits three times that: not a timeout."""
    prompts = [CHAT, "Brightpath launched 40 vans in Leeds.", CHAT, "Acme hired 12 people in May."]
    with FakeOpenAIServer(serial=True, delay=0.02) as server:
        gen = client(server, timeout=0.3, retries=0)
        rows = [""] * 4
        for index, piece in gen.stream_batch(prompts, max_new_tokens=12, temperature=0.9, seed=5):
            rows[index] += piece
    assert server.max_in_flight == 4 and gen.last_stats["seconds"] > 0.6  # queued at the server, not refused
    assert rows == [FakeGenerator().generate(p, max_new_tokens=12, temperature=0.9, seed=5 + i)
                    for i, p in enumerate(prompts)]


def test_keep_alive_comments_keep_a_request_waiting():
    with FakeOpenAIServer(script=["ping"], hold=0.8) as server:
        assert client(server, timeout=0.3).generate(CHAT) == FakeGenerator().generate(CHAT)


def test_concurrency_is_shared_by_every_caller_and_waiting_callers_are_not_timed_out():
    with FakeOpenAIServer(delay=0.01) as server:
        gen = client(server, concurrency=2, timeout=0.3)
        texts = {}
        callers = [threading.Thread(target=lambda k=k: texts.update({k: gen.generate_many(CHAT, n=3, max_new_tokens=20)}))
                   for k in range(2)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=10)
    assert server.max_in_flight == 2 and len(server.requests) == 6
    assert texts[0] == texts[1] and all(texts[0])


def test_slots_are_handed_out_in_arrival_order_and_a_cancelled_waiter_leaves_the_line():
    slots, order = Slots(1), []
    never, cancelled = threading.Event(), threading.Event()
    assert slots.take(never)

    def until(condition):
        deadline = time.monotonic() + 5
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)

    waiters = []
    for k, name in enumerate("abc"):
        waiters.append(threading.Thread(target=lambda n=name: slots.take(cancelled if n == "b" else never)
                                        and order.append(n)))
        waiters[-1].start()
        until(lambda: len(slots._line) == k + 1)
    cancelled.set()
    waiters[1].join(timeout=2)
    for k in range(2):
        slots.give()
        until(lambda: len(order) == k + 1)
    assert order == ["a", "c"] and slots.free == 0 and not slots._line


def test_an_interleaved_caller_gets_its_pieces_while_another_callers_request_is_queued_at_the_server():
    with FakeOpenAIServer(serial=True, delay=0.02) as server:
        shared = Interleaved(client(server, timeout=2))
        events = []

        def draft(who):
            for _, piece in shared.stream_batch([CHAT], max_new_tokens=15):
                events.append(who)

        first = threading.Thread(target=draft, args=("a",))
        first.start()
        while not server.requests:
            time.sleep(0.01)
        second = threading.Thread(target=draft, args=("b",))
        second.start()
        while len(server.requests) < 2:
            time.sleep(0.01)
        assert shared.in_flight() == 2
        first.join(timeout=10)
        second.join(timeout=10)
    # a's answer is not held back until b's first piece (which the server writes once a's is done)
    assert events[:12] == ["a"] * 12 and sorted(events) == ["a"] * 15 + ["b"] * 15


def test_empty_answers_are_counted():
    with FakeOpenAIServer(script=["empty", "ok"]) as server:
        gen = client(server, concurrency=1)
        rows = gen.generate_many(CHAT, n=2, max_new_tokens=10)
    assert rows[0] == "" and rows[1] and gen.last_stats["empty"] == 1


# --- sampling ---------------------------------------------------------------------------------

def test_two_seeds_give_two_texts_through_a_server_that_samples_only_when_told():
    with FakeOpenAIServer(sample_flag=True) as server:  # transformers serve on a folder without do_sample
        gen = client(server)
        one, two, again = (gen.generate(CHAT, max_new_tokens=30, temperature=0.7, seed=s) for s in (1, 2, 1))
        greedy = {gen.generate(CHAT, max_new_tokens=30, temperature=0.0, seed=s) for s in (1, 2)}
    assert one != two and one == again and len(greedy) == 1
    assert json.loads(server.requests[-1]["body"]["generation_config"]) == {"do_sample": False}


def test_a_server_that_refuses_generation_config_gets_the_request_again_without_it():
    with FakeOpenAIServer(refuse={"generation_config"}) as server:
        gen = client(server, retries=0)
        assert gen.generate(CHAT, temperature=0.7, seed=1) == FakeGenerator().generate(CHAT, temperature=0.7, seed=1)
        gen.generate(CHAT, temperature=0.7, seed=2)
    assert ["generation_config" in r["body"] for r in server.requests] == [True, False, False]
    assert all(r["body"]["top_p"] == 0.95 and r["body"]["temperature"] == 0.7 for r in server.requests)


def test_a_generation_config_of_the_operators_own_is_sent_as_it_is():
    with FakeOpenAIServer(refuse={"generation_config"}) as server:
        gen = client(server, retries=0, extra_body={"generation_config": '{"do_sample": true}'})
        assert "HTTP 422" in str(failure(lambda: gen.generate(CHAT)))
    assert [r["body"]["generation_config"] for r in server.requests] == ['{"do_sample": true}']  # never dropped


# --- failures ---------------------------------------------------------------------------------

def test_5xx_then_success_is_retried():
    with FakeOpenAIServer(script=[503, 502]) as server:
        text = client(server, retries=2).generate(CHAT)
    assert text == FakeGenerator().generate(CHAT)
    assert len(server.requests) == 3


def test_429_is_retried_after_the_servers_retry_after():
    with FakeOpenAIServer(script=[429]) as server:
        started = time.perf_counter()
        assert client(server, backoff=5.0).generate(CHAT)  # Retry-After: 0 wins over the 5 s back-off
    assert len(server.requests) == 2 and time.perf_counter() - started < 2


def test_5xx_always_gives_a_clear_error_after_the_retries(caplog):
    with FakeOpenAIServer(script=[500] * 5) as server, caplog.at_level(logging.WARNING):
        error = failure(lambda: client(server, retries=2).generate(CHAT))
    assert len(server.requests) == 3
    message = str(error)
    assert "HTTP 500" in message and "after 3 attempts" in message and server.url in message
    assert "the fake server answers 500" in message
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 2
    assert_no_key(error, caplog.text)


def test_client_errors_are_not_retried():
    with FakeOpenAIServer(script=[404]) as server:
        error = failure(lambda: client(server).generate(CHAT))
    assert len(server.requests) == 1 and "HTTP 404" in str(error)


def test_nothing_listening_is_a_connection_error_after_retries():
    with FakeOpenAIServer() as server:
        url = server.url
    gen = get_generator("openai", base_url=url, model="m", api_key=KEY, retries=1, backoff=0.01, connect_timeout=0.5)
    error = failure(lambda: gen.generate(CHAT))
    assert "cannot connect" in str(error) and "after 2 attempts" in str(error)
    assert_no_key(error)


def test_no_answer_within_the_silence_limit_names_the_setting_to_raise():
    with FakeOpenAIServer(script=["slow"]) as server:
        started = time.perf_counter()
        error = failure(lambda: client(server, timeout=0.3, timeout_name="PORTE_VOIX_GENERATOR_TIMEOUT_S").generate(CHAT))
        assert time.perf_counter() - started < 2
    assert "sent nothing for 0.3 s while waiting for the answer" in str(error)
    assert "slower than the limit" in str(error) and "raise PORTE_VOIX_GENERATOR_TIMEOUT_S" in str(error)
    assert len(server.requests) == 1  # a busy server is not sent more work


def test_a_stalled_stream_fails_on_the_read_timeout_after_its_first_pieces():
    with FakeOpenAIServer(script=["stall"]) as server:
        gen = client(server, timeout=0.3)
        received = []
        started = time.perf_counter()
        with pytest.raises(GeneratorUnavailable, match="sent nothing for 0.3 s inside the stream"):
            for piece in gen.stream(CHAT):
                received.append(piece)
        assert time.perf_counter() - started < 2
    assert len(received) == 2 and len(server.requests) == 1  # what was streamed is never sent twice


def test_a_stream_cut_before_its_end_is_an_error():
    with FakeOpenAIServer(script=["cut"]) as server:
        error = failure(lambda: client(server).generate(CHAT))
    assert "ended before the answer was complete" in str(error)


def test_malformed_events_are_an_error():
    with FakeOpenAIServer(script=["malformed"]) as server:
        error = failure(lambda: client(server).generate(CHAT))
    assert "malformed event" in str(error)


def test_the_key_is_never_in_errors_logs_or_reprs(caplog):
    with FakeOpenAIServer(script=["echo-key", 503, 503, 503]) as server, caplog.at_level(logging.DEBUG):
        gen = client(server, retries=2)
        refused = failure(lambda: gen.generate(CHAT))
        unavailable = failure(lambda: gen.generate(CHAT))
    assert server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"  # it was sent, to the server only
    assert "Incorrect API key provided: <hidden>" in str(refused)
    assert_no_key(refused, repr(gen), repr(vars(gen)), caplog.text)
    assert_no_key(unavailable)


def test_one_failing_prompt_of_a_batch_cancels_the_others_and_names_itself():
    with FakeOpenAIServer(script=["ok", "stall"], delay=0.01) as server:
        gen = client(server, timeout=0.5, retries=0)
        started = time.perf_counter()
        with pytest.raises(GeneratorUnavailable, match=r"prompt \d of 2"):
            list(gen.stream_batch([CHAT, CHAT], max_new_tokens=200))
        assert time.perf_counter() - started < 3


def test_closing_a_batch_early_closes_its_connections_at_once():
    with FakeOpenAIServer(script=["stall", "stall"], hold=5) as server:
        batch = client(server, timeout=5).stream_batch([CHAT, CHAT])
        next(batch)
        started = time.perf_counter()
        batch.close()
        assert time.perf_counter() - started < 0.5  # not the 5 s read timeout
        assert not [t for t in threading.enumerate() if t.name.startswith("openai-generator")]


# --- configuration ----------------------------------------------------------------------------

def test_base_url_and_model_are_required_and_credentials_stay_out_of_urls():
    with pytest.raises(ValueError, match="base_url and model"):
        get_generator("openai", cache_dir="/unused")
    with pytest.raises(ValueError, match="must not hold credentials") as caught:
        OpenAIGenerator(base_url="https://user:s3cret@llm.example/v1", model="m")
    assert "s3cret" not in str(caught.value)
    with pytest.raises(ValueError, match="http"):
        OpenAIGenerator(base_url="llm.example/v1", model="m")


def test_a_gateway_query_string_is_sent_but_not_shown():
    with FakeOpenAIServer() as server:
        gen = OpenAIGenerator(base_url=server.url + "?api-version=2024-10-21", model="m")
        gen.generate("Hi there.")
    assert server.requests[0]["path"] == "/v1/chat/completions?api-version=2024-10-21"
    assert "api-version" not in repr(gen)


def test_extra_body_reaches_the_server_and_says_whether_a_start_is_continued():
    with FakeOpenAIServer() as server:
        plain = client(server)
        vllm = client(server, extra_body={"continue_final_message": True, "add_generation_prompt": False})
        vllm.generate(CHAT + [{"role": "assistant", "content": "Dans mon métier"}], max_new_tokens=5)
    assert not plain.continues_start and vllm.continues_start
    body = server.requests[0]["body"]
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert body["messages"][-1] == {"role": "assistant", "content": "Dans mon métier"}


def test_the_silence_limit_and_concurrency_come_from_the_settings(tmp_path):
    from assistant.config import load_settings
    from assistant.context import open_context

    with FakeOpenAIServer(script=["slow"], hold=5) as server:
        settings = load_settings({"PORTE_VOIX_HOME": str(tmp_path), "PORTE_VOIX_GENERATOR": "openai",
                                  "PORTE_VOIX_GENERATOR_BASE_URL": server.url, "PORTE_VOIX_GENERATOR_MODEL": "m",
                                  "PORTE_VOIX_GENERATOR_TIMEOUT_S": "1.5", "PORTE_VOIX_GENERATOR_CONCURRENCY": "2"})
        gen = open_context(settings).generator
        assert (gen.timeout, gen.concurrency) == (1.5, 2)
        started = time.perf_counter()
        error = failure(lambda: gen.generate(CHAT))
        assert time.perf_counter() - started < 4
    assert "sent nothing for 1.5 s" in str(error) and "raise PORTE_VOIX_GENERATOR_TIMEOUT_S (now 1.5)" in str(error)
    with pytest.raises(ValueError, match="PORTE_VOIX_GENERATOR_TIMEOUT_S"):
        load_settings({"PORTE_VOIX_HOME": str(tmp_path), "PORTE_VOIX_GENERATOR_TIMEOUT_S": "a minute"})


def test_the_readme_runs_transformers_serve_with_the_path_and_port_the_slow_test_replaces():
    from tests.openai_server import readme_command

    command = readme_command("transformers serve")
    assert "/path/to/model" in command and command[command.index("--port") + 1] == "8000"
