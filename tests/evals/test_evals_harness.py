"""The eval harness on a tiny, deliberately messy set (fake embedder): it runs, counts the oddities, writes reports."""

import json
from types import SimpleNamespace

from tests.conftest import write

from evals import report
from evals import __main__ as entry
from evals.__main__ import run_ranking, task_of


def _set(folder):
    people = [{"id": "p1", "lang": "fr", "posts": ["Nos éoliennes produisent plus grâce aux prévisions météo."]},
              {"id": "p2", "lang": "en", "posts": ["Wind forecasting helps our turbines produce more."]},
              {"id": "p3", "lang": "en", "posts": []},                                   # no posts
              {"id": "p3", "lang": "en", "posts": ["A duplicated id."]},                  # duplicated id
              {"id": "p4", "posts": ["Wir lieben Windkraft und Wettervorhersagen sehr."]}]  # unsupported language
    content = [{"id": "c1", "text": "Wind forecasts for turbines."}, {"id": "c2", "text": "Prévisions de vent pour les éoliennes."},
               {"id": "c3", "text": ""},                                                   # empty text
               {"id": "c4", "text": "Recipes for apple pie."}]
    write(folder / "people.jsonl", "\n".join(json.dumps(p) for p in people) + "\nnot json\n")
    write(folder / "content.jsonl", "\n".join(json.dumps(c) for c in content))
    write(folder / "qrels.jsonl", "\n".join(json.dumps(q) for q in [
        {"person": "p1", "content": "c1", "grade": 1}, {"person": "p1", "content": "c2", "grade": 2},
        {"person": "p2", "content": "c1", "grade": 1}]))
    return folder


def test_recommend_on_messy_data_counts_oddities(tmp_path, monkeypatch, settings):
    folder = _set(tmp_path / "messy")
    assert task_of(folder) == "recommend"
    result = run_ranking("recommend", folder, ["product", "bm25", "dense:fake"], settings, tmp_path / "eval")
    data = result["data"]
    assert data["people_without_posts"] == 1 and data["duplicate_ids"] == 1 and data["empty_texts"] == 1
    assert data["unreadable_lines"] == 1 and data["rejected"] >= 1
    assert set(result["metrics"]) == {"ndcg@10", "map", "p@5", "recall@10"} and result["n"] == 2
    assert [r["system"] for r in result["systems"]] == ["product", "bm25", "dense:fake"]
    assert set(result["by_language"]) >= {"fr", "en"}
    monkeypatch.setattr(report, "REPORTS", tmp_path / "reports")
    path = report.write(result)
    saved = json.loads(path.read_text())
    assert {"task", "dataset", "system", "metrics", "n", "seconds"} <= set(saved)
    assert (tmp_path / "reports" / "recommend-messy.md").exists()


def test_experts_on_a_tiny_set(tmp_path, settings):
    folder = tmp_path / "tiny"
    write(folder / "people.jsonl", "\n".join(json.dumps(p) for p in [
        {"id": "a", "posts": ["Support vector machines for text classification."]},
        {"id": "b", "posts": ["Planning under uncertainty for robots."]}, {"id": "c", "posts": []}]))
    write(folder / "queries.jsonl", json.dumps({"id": "q", "text": "support vector machine"}))
    write(folder / "qrels.jsonl", json.dumps({"query": "q", "person": "a", "grade": 1}))
    result = run_ranking("experts", folder, ["product", "bm25"], settings, tmp_path / "eval")
    assert result["metrics"]["p@5"] > 0 and result["metrics"]["map"] == 1.0
    assert result["data"]["people_without_posts"] == 1


def test_task_options_reach_the_task_whole(monkeypatch):
    """`python -m evals bench --embedder X` must hand `--embedder` to the bench, not read it as `--embedders`."""
    seen = {}

    def bench(argv, settings):
        seen.update(argv=argv, settings=settings, module=asked[-1])
        return 0

    asked = []
    monkeypatch.setattr(entry, "import_module", lambda name: asked.append(name) or SimpleNamespace(main=bench))
    assert entry.main(["bench", "--embedder", "fake", "--skip-scale", "--json"]) == 0
    assert seen["argv"] == ["--embedder", "fake", "--skip-scale", "--json"]
    assert seen["settings"] is not None and seen["module"] == "evals.speed.bench"
    assert entry.main(["mixes", "--data", "sets"]) == 0
    assert seen["argv"] == ["--data", "sets"] and seen["module"] == "evals.quality.mixes"  # parsed here, handed on whole


def test_every_task_module_exists_and_has_a_main():
    """The dispatcher's table names real modules: each imports and has ``main``."""
    from importlib import import_module

    for task, module in entry.MODULES.items():
        assert callable(import_module(module).main), task


def test_no_task_lists_every_task_by_group(capsys):
    assert entry.main([]) == 0
    listed = capsys.readouterr().out
    for group, tasks in entry.TASKS.items():
        assert f"{group}: " + ", ".join(tasks) in listed


def test_two_sets_can_share_one_home_folder(tmp_path, monkeypatch, capsys):
    """`--home H` keeps one store per set under H: the experts run never meets the recommend set's people."""
    messy = _set(tmp_path / "messy")
    tiny = tmp_path / "tiny"
    write(tiny / "people.jsonl", "\n".join(json.dumps(p) for p in [
        {"id": "a", "posts": ["Support vector machines for text classification."]},
        {"id": "b", "posts": ["Planning under uncertainty for robots."]}]))
    write(tiny / "queries.jsonl", json.dumps({"id": "q", "text": "support vector machine"}))
    write(tiny / "qrels.jsonl", json.dumps({"query": "q", "person": "a", "grade": 1}))
    monkeypatch.setenv("PORTE_VOIX_EMBEDDER", "fake")
    monkeypatch.setenv("PORTE_VOIX_PLUGINS", "tests.fakes")
    monkeypatch.setattr(report, "REPORTS", tmp_path / "reports")
    home = tmp_path / "kept"
    assert entry.main(["recommend", "--data", str(messy), "--home", str(home), "--json"]) == 0
    assert entry.main(["experts", "--data", str(tiny), "--home", str(home), "--json"]) == 0
    assert {p.name for p in home.iterdir()} == {"messy", "tiny"}
    experts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert experts["metrics"]["map"] == 1.0


def test_topic_pairs_on_the_demo_report_their_metrics(settings, tmp_path):
    """``python -m evals topics``: metric names are an API; per pair, who each language finds and the items'
    top 5 per item language (the floors are calibrated on the real models: test_experts_real.py)."""
    from evals.quality.topic_pairs import overlap, run_topic_pairs

    pairs = [{"id": "kafka", "kind": "topic", "fr": "pipelines de données Kafka temps réel", "en": "Kafka real-time data pipelines"},
             {"id": "nonsense", "kind": "nonsense", "fr": "zorglub vrombissant", "en": "zorglub humming"}]
    result = run_topic_pairs(settings, tmp_path / "demo", pairs)
    assert set(result["metrics"]) == {"overlap@5", "overlap@5_experts", "overlap@5_items", "found_fr", "found_en",
                                      "nonsense_found_fr", "nonsense_found_en"}
    kafka = result["pairs"][0]
    assert kafka["experts"]["fr"] and kafka["overlap_experts"] == overlap(kafka["experts"]["fr"], kafka["experts"]["en"])
    assert len(kafka["items"]["fr"]["fr"]) == len(kafka["items"]["en"]["en"]) == 5
    assert 0.0 <= kafka["overlap_items"] <= 1.0 and "items" not in result["pairs"][1]
    assert run_topic_pairs(settings, tmp_path / "demo", pairs)["metrics"] == result["metrics"]  # a kept home loads again
