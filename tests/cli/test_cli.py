"""The `porte-voix` command, run in-process with the fake embedder."""

import json

import pytest
from tests.conftest import DEMO, write

from assistant.cli import main
from assistant.context import open_context
from models.embedder import register_embedder, unregister_embedder
from tests.fakes import FakeEmbedder


@pytest.fixture
def run(ctx, capsys):
    """``run(*argv) -> (exit code, stdout, stderr)``: the command in-process, on the test's context."""
    def call(*argv, context=None):
        code = main(list(argv), context or ctx)
        out = capsys.readouterr()
        return code, out.out, out.err

    return call


def test_ingest_twice_computes_zero_embeddings_the_second_time(run):
    code, out, _ = run("ingest", str(DEMO / "content"), "--json")
    first = json.loads(out)
    assert code == 0 and first["added"] >= 40 and first["embeddings_computed"] > 0
    code, out, _ = run("ingest", str(DEMO / "content"))
    assert code == 0
    assert "0 added, 0 updated" in out and "0 embeddings computed" in out and "already stored" in out


def test_switching_model_reembeds_lazily(run, ctx):
    run("ingest", str(DEMO / "content"))

    @register_embedder("fake2")
    def _fake2(**_):
        emb = FakeEmbedder(dim=128)
        emb.name = "fake2"
        return emb

    try:
        other = open_context(ctx.settings.but(embedder="fake2"))
        code, out, _ = run("ingest", str(DEMO / "content"), "--json", context=other)
        assert json.loads(out)["embeddings_computed"] > 0
        models = {r["model"] for r in ctx.store.rows("SELECT DISTINCT model FROM embeddings")}
        assert {"fake", "fake2"} <= models
    finally:
        unregister_embedder("fake2")


def test_rejections_are_one_line_each_and_exit_nonzero(run, tmp_path):
    write(tmp_path / "ok.jsonl", json.dumps({"title": "Fine", "text": "A fine item about wind farms."}) + "\n")
    write(tmp_path / "bad.csv", b"\x00\x01binary")
    code, out, err = run("ingest", str(tmp_path))
    assert code == 1
    assert "1 added" in out and "1 rejected" in out
    assert err.strip().count("\n") == 0 and "bad.csv: binary file" in err


def test_recommend_and_experts_json_schemas(run):
    run("demo")
    code, out, _ = run("recommend", "camille.durand@nordlys-energie.example", "--limit", "4", "--json")
    results = json.loads(out)
    assert code == 0 and len(results) == 4
    for r in results:
        assert {"id", "title", "score", "reason"} <= set(r) and isinstance(r["score"], float)
    code, out, _ = run("experts", "cybersécurité industrielle", "--limit", "3", "--json")
    found = json.loads(out)
    assert code == 0 and 0 < len(found) <= 3
    for r in found:
        assert {"email", "name", "score", "evidence"} <= set(r) and isinstance(r["evidence"], list) and r["evidence"]


def test_demo_is_idempotent(run):
    code, out, _ = run("demo", "--json")
    first = json.loads(out)
    assert code == 0 and first["content"]["added"] >= 40 and first["people"]["added"] >= 20
    code, out, _ = run("demo", "--json")
    again = json.loads(out)
    assert again["content"]["added"] == 0 and again["people"]["added"] == 0 and again["embeddings_computed"] == 0


def test_unknown_employee_is_one_line_error(run):
    run("demo")
    code, out, err = run("recommend", "nobody@example.com")
    assert code == 2 and "nobody@example.com" in err and err.count("\n") == 1


def test_draft_builds_every_variant_on_my_words_with_checks_and_json(run):
    run("demo")
    words = "j'ai passé deux nuits sur ce tableau de bord, et je le referais"
    code, out, _ = run("draft", "camille.durand@nordlys-energie.example", "news-flux42-fr", "--variants", "2",
                       "--my-words", words, "--json")
    drafts = json.loads(out)
    assert code == 0 and len(drafts) == 2
    for d in drafts:
        assert {"id", "form", "language", "text", "own_words", "checks"} <= set(d) and d["checks"]["passed"]
        [mine] = d["own_words"]
        assert d["text"][mine["start"]:mine["end"]] == mine["text"] and mine["text"].startswith("J'ai passé deux nuits")
    code, out, err = run("draft", "camille.durand@nordlys-energie.example", "news-flux42-fr", "--variants", "1")
    assert code == 0 and "variant 1" in out and "✍️" in out, "without words: an outline to complete"
    assert "--my-words" in err, "the question and its starters are offered"


def test_score_compares_a_copy_and_a_personal_post(run, tmp_path):
    source = write(tmp_path / "s.txt", "Le parc solaire de Crest produit 12 MWc depuis le 3 novembre 2026.")
    copy = write(tmp_path / "c.txt", source.read_text())
    mine = write(tmp_path / "m.txt", "J'ai visité le parc de Crest : 12 MWc depuis le 3 novembre 2026. "
                                     "Je pense que c'est un bel exemple. Et vous, quel projet vous inspire ?")
    _, out, _ = run("score", "--source", str(source), "--post", str(copy), "--json")
    low = json.loads(out)["score"]
    code, out, _ = run("score", "--source", str(source), "--post", str(mine), "--json")
    result = json.loads(out)
    assert code == 0 and low < result["score"]
    assert {c["name"] for c in result["components"]} >= {"original_source", "meaning", "voice"}
    code, out, _ = run("score", "--source", str(source), "--post", str(mine))
    assert "authenticity" in out and "Vos propres mots" in out


def test_score_missing_file_is_a_clear_error(run, tmp_path):
    code, _, err = run("score", "--source", str(tmp_path / "none.txt"), "--post", str(tmp_path / "x.txt"))
    assert code == 2 and "none.txt" in err
