"""The ``openai`` generator against a real OpenAI-compatible server (slow).

``transformers serve`` (transformers 5, extra ``serving``) is started on 127.0.0.1 with the
packaged default model's converted folder (from the ``qwen`` fixture), as a company would run
vLLM or Ollama; the drafting prompt of a French request goes through the ``openai`` backend.
The test skips, saying why, when the server cannot start here.
"""
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from assistant import language
from assistant.writing.facts import key_facts
from assistant.writing.prompting import own_examples, prompt
from assistant.writing.voice import build
from models.generator import get_generator

pytestmark = pytest.mark.slow

START_SECONDS = 240  # loading a 0.5B model on two busy cores


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(qwen, tmp_path_factory):
    """``(base_url, model name)`` of a ``transformers serve`` process holding the packaged model."""
    pytest.importorskip("fastapi", reason="`transformers serve` needs transformers[serving]: pip install -e '.[dev]'")
    command = Path(sys.executable).with_name("transformers")
    if not command.exists():
        pytest.skip(f"no `transformers` command next to {sys.executable}")
    folder = qwen.model_folder()
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {"HOME": str(work), "HF_HOME": str(work / "hf"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": "2", "PYTHONUNBUFFERED": "1"}
    log = open(work / "serve.log", "wb")
    server = subprocess.Popen([str(command), "serve", str(folder), "--host", "127.0.0.1", "--port", str(port),
                               "--device", "cpu", "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.skip(f"`transformers serve` exited with {server.returncode}: "
                            + (work / "serve.log").read_text(errors="replace")[-600:])
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.skip(f"`transformers serve` did not answer /health within {START_SECONDS} s")
            time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1", str(folder)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_a_french_draft_through_transformers_serve(served):
    base_url, model = served
    gen = get_generator("openai", base_url=base_url, model=model, api_key="sk-local-test", timeout=120,
                        retries=1, cache_dir="/unused")
    person = {"name": "Camille", "role": "Ingénieure maintenance", "languages": ["fr"]}
    posts = ["Ravie de partager notre dernier chantier : trois éoliennes remises en service en une semaine."]
    item = {"title": "Nordelec ouvre un centre de maintenance à Nantes", "language": "fr",
            "text": "Le 14 mars 2025, Nordelec a ouvert à Nantes un centre de maintenance avec 62 techniciens."}
    messages = prompt(build(person, posts, lang="fr"), item, key_facts(item["text"], item["title"]), "job", "fr",
                      item["text"], own_examples(posts, "fr"))
    started = time.perf_counter()
    pieces = list(gen.stream(messages, max_new_tokens=60, temperature=0.7, seed=1))
    text = "".join(pieces)
    print(f"\ntransformers serve: {len(pieces)} pieces in {time.perf_counter() - started:.1f} s "
          f"(first after {gen.last_stats['first_token_seconds']} s): {text!r}")
    assert len(pieces) > 5 and text.strip()
    assert language.detect(text) == "fr"
