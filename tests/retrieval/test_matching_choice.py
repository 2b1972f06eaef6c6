"""``python -m evals choice`` on a tiny set with the fake embedder: the held-out people are every third one
of each language, the best candidate is the best on the fit people alone, experts are scored topic by topic."""

import json

from evals.quality import choice
from evals.dataset import load
from tests.conftest import write

TOPICS = {"wind": ("le vent et les éoliennes en mer", "wind turbines at sea"),
          "data": ("les pipelines de données en temps réel", "real-time data pipelines")}


def _set(folder):
    people, content, qrels = [], [], []
    for lang, side in (("fr", 0), ("en", 1)):
        for n, (topic, texts) in enumerate(list(TOPICS.items()) * 2):
            pid = f"{lang}-{topic}-{n}"
            people.append({"id": pid, "lang": lang, "posts": [f"{texts[side]} {n}", f"{texts[side]} encore {n}"]})
            for item_lang, item_side in (("fr", 0), ("en", 1)):
                qrels.append({"person": pid, "content": f"{item_lang}-{topic}", "grade": 1})
    for topic, texts in TOPICS.items():
        content += [{"id": f"fr-{topic}", "text": f"Article : {texts[0]}.", "lang": "fr"},
                    {"id": f"en-{topic}", "text": f"Article: {texts[1]}.", "lang": "en"}]
    write(folder / "people.jsonl", "\n".join(json.dumps(p, ensure_ascii=False) for p in people))
    write(folder / "content.jsonl", "\n".join(json.dumps(c, ensure_ascii=False) for c in content))
    write(folder / "qrels.jsonl", "\n".join(json.dumps(q) for q in qrels))
    return folder


def test_choice_picks_on_the_fit_people_and_reports_the_held_out_ones(tmp_path, settings):
    ds = load(_set(tmp_path / "tiny"), settings, tmp_path / "home")
    fit, held = choice.split_people(ds.people)
    assert len(held) == 2 and held == {"fr-wind-2", "en-wind-2"} and not fit & held
    result = choice.recommend_choice(ds)
    assert (result["fit_people"], result["held_out_people"]) == (6, 2)
    rows = result["candidates"]
    assert set(rows) == {str(k) for k in choice.ITEM_NEIGHBOURS}
    assert all(set(row) == {"fit", "held_out", "all", "en", "fr"} for row in rows.values())
    assert all(0.0 <= v <= 1.0 for row in rows.values() for v in row.values())
    assert result["best_on_fit"] == choice.pick({k: r["fit"] for k, r in rows.items()}, result["default"])


def test_experts_choice_is_left_one_topic_out(tmp_path, settings):
    folder = _set(tmp_path / "tiny")
    write(folder / "queries.jsonl", "\n".join(json.dumps({"id": t, "text": texts[1]}) for t, texts in TOPICS.items()))
    write(folder / "qrels.jsonl", "\n".join(json.dumps({"query": t, "person": f"en-{t}-{n}", "grade": 1})
                                             for n, t in enumerate(list(TOPICS) * 2)))
    result = choice.experts_choice(load(folder, settings, tmp_path / "home"))
    assert set(result["folds"]) == set(TOPICS)
    assert len(result["candidates"]) == len(choice.EXPERT_CANDIDATES) and result["default"] in result["candidates"]
    for topic, fold in result["folds"].items():  # the held-out topic's AP is the AP of the candidate chosen without it
        assert fold["chosen"] in result["candidates"] and 0.0 <= fold["held_out_ap"] <= 1.0
    assert result["adopt"] == (result["held_out_map"] > result["default_map"])


def test_recommend_reports_carry_the_fit_and_held_out_people_into_the_table(tmp_path):
    import json as _json

    from evals import report

    metrics = {"ndcg@10": 0.9, "map": 0.8, "p@5": 0.7, "recall@10": 0.6}
    result = {"task": "recommend", "dataset": "tiny", "system": "product", "metrics": metrics, "n": 3, "seconds": 0.1,
              "systems": [{"system": "product", "metrics": metrics, "n": 3, "seconds": 0.1}],
              "by_language": {"fr": {**metrics, "n": 3}},
              "by_split": {"fit": {**metrics, "ndcg@10": 0.95, "n": 2}, "held-out": {**metrics, "ndcg@10": 0.8, "n": 1}}}
    (tmp_path / "recommend-tiny.json").write_text(_json.dumps(result), encoding="utf-8")
    rows = report.table(tmp_path).splitlines()
    assert "| recommend | tiny | product, held-out people | 0.800 | 0.800 | 0.700 | 0.600 | — | — |" in rows
    assert any(r.startswith("| recommend | tiny | product, fit people | 0.950") for r in rows)
    assert "| held-out | 0.800 |" in report.markdown(result)
