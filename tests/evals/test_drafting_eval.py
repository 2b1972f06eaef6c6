"""The drafting eval reports what it claims on the own-words cases and the outline path."""

from pathlib import Path

from evals.quality import drafting as drafting_eval

SET = Path(__file__).resolve().parents[2] / "data" / "drafting-eval"


def test_the_own_words_run_reports_every_figure_it_claims(settings):
    metrics = drafting_eval.run(settings, SET)
    assert metrics["variants"] == 3 * len(drafting_eval._rows(SET, "own-words.jsonl")) >= 120
    for key in ("own_words_kept", "all_facts", "right_language", "pass_every_check"):
        assert 0 <= metrics[key] <= 1, key
    assert metrics["colleague_pairs"] >= 10 and 0 <= metrics["colleague_similarity"] <= 1
    assert metrics["cross_language_variants"] > 0 and set(metrics["check_rates"]) == set(drafting_eval.CHECKS)
    assert metrics["first_variant_p95_s"] is not None and metrics["five_at_once_first_variant_p95_s"] is not None


def test_jaccard_is_the_share_of_shared_word_3grams():
    assert drafting_eval.jaccard("a b c d", "a b c d") == 1.0
    assert drafting_eval.jaccard("a b c d", "a b c x") == 1 / 3


def test_a_polish_gate_compares_the_models_stories_with_the_composed_ones(settings):
    gate = drafting_eval.polish_gate(settings, SET, "fake", cases_n=4)
    assert gate["model"] == "fake" and set(gate["gate"]) == set(gate["rates"]) and gate["rates"]
    for lang, rates in gate["rates"].items():
        assert 0 <= rates["polished_pass"] <= 1 and 0 <= rates["composed_pass"] <= 1
        assert gate["gate"][lang] == (rates["polished_pass"] >= rates["composed_pass"])
