"""The drafting eval reports what it claims: rates in [0, 1], per-check and per-language shares (fake model)."""

from pathlib import Path

from evals import drafting as drafting_eval

SET = Path(__file__).resolve().parents[1] / "data" / "drafting-eval"


def test_the_second_set_run_reports_every_share_it_claims(settings):
    metrics = drafting_eval.run(settings, pairs_n=4, dataset=SET)
    assert metrics["variants"] == 12 and metrics["model_candidates"] == 24
    for key in ("right_language", "all_facts", "fallback", "pass_every_check", "model_pass_rate"):
        assert 0 <= metrics[key] <= 1, key
    assert set(metrics["fallback_by_language"]) <= {"fr", "en"} and metrics["fallback_by_language"]
    assert set(metrics["check_rates_model"]) == set(drafting_eval.CHECKS) and "grammar_ok" in drafting_eval.CHECKS
    # what reaches the employee passes the checks the issue counts, whatever the model wrote
    assert metrics["chatter"] == metrics["model_urls"] == metrics["wrong_company"] == metrics["invented_numbers"] == 0
    by_language = metrics["check_rates_model_by_language"]
    assert set(by_language) <= {"fr", "en"} and by_language
    assert all(0 <= rates["passed"] <= 1 and set(rates) == {"passed", *drafting_eval.CHECKS}
               for rates in by_language.values())
    assert len(metrics["every_candidate"]) == 24 and len(metrics["every_draft"]) == 12
    assert {c["language"] for c in metrics["every_candidate"]} <= {"fr", "en"}
