"""The experts' relevance floor: distinctive words, the margin over everyday talk, the same rules in both
languages (fake embedder; the real ensemble is in test_experts_real.py)."""

import json

import numpy as np

from assistant.imports.people import apply_recorded_opt_ins, import_people
from assistant.retrieval import evidence
from assistant.retrieval.lexical import Bm25, stem
from assistant.retrieval.matching import experts
from tests.conftest import write

HR = ("Our training plan for new managers covers feedback, one-to-one meetings, hiring interviews, budgets, "
      "quarterly objectives, career paths, mentoring circles, conflict resolution and the annual review calendar "
      "that every team lead follows across the Lyon, Nantes and Montreal offices.")


OTHERS = ["Kafka and Spark feed our real-time data pipelines.", "Our wind forecasts now look 48 hours ahead.",
          "The substation firewall blocked 3,400 attacks.", "Parental leave grows to 16 weeks.",
          "The control room screens were redesigned with operators.", "Battery storage shaves the solar peak."]


def test_one_common_word_is_not_distinctive_but_most_of_the_topic_is():
    index = Bm25(["Training plan for new managers: feedback and one-to-one meetings.", *OTHERS])
    assert index.scores("unicorn training for beginners")[0] >= evidence.LEXICAL_FLOOR  # BM25 alone: a match
    assert index.matched_share("unicorn training for beginners")[0] < evidence.WORDS_SHARE
    assert index.matched_share("Kafka data pipelines")[1] == 1.0 and index.scores("Kafka data pipelines")[1] >= 1.0
    assert index.matched_share("")[0] == 0.0


def test_plural_and_singular_meet_in_both_languages():
    assert stem("turbines") == stem("turbine") and stem("eoliennes") == stem("eolienne")
    assert Bm25(["Snow and ice on the turbines today."]).scores("turbine icing")[0] > 0


def test_strength_in_words_from_any_of_the_three_signals():
    assert evidence.strength(0.31, 0.0, False) == "strong"
    assert evidence.strength(0.0, evidence.MARGIN_STRONG, False) == "strong"
    assert evidence.strength(0.0, evidence.MARGIN_FLOOR, False) == "moderate"
    assert evidence.strength(evidence.EVIDENCE_FLOOR / 2, 0.0, True) == "moderate"
    assert evidence.strength(0.05, 0.0, True) == "weak"
    assert evidence.strength(0.17, evidence.MARGIN_FLOOR - 0.01, False) is None


def test_margin_uses_the_everyday_sentences_of_each_documents_language():
    out = evidence.margins(np.array([0.3, 0.3, 0.3]), np.array([0.05, 0.2, 0.1]), ["fr", "en", "en"], ["fr", "en", "de"])
    assert np.allclose(out, [0.25, 0.1, 0.1])


def test_experts_report_their_margin_and_a_common_word_lists_nobody(ctx, tmp_path):
    people = [{"email": "hr@example.com", "name": "Hr", "consent_interviews": True, "posts": [HR]},
              {"email": "data@example.com", "name": "Data", "consent_interviews": True,
               "posts": ["Kafka and Spark feed our real-time data pipelines for 52,000 sensors."]}]
    path = write(tmp_path / "p.jsonl", "\n".join(json.dumps(p) for p in people))
    import_people(ctx.store, [path])
    apply_recorded_opt_ins(ctx.store, [path])
    assert experts(ctx, "unicorn training for beginners") == []
    found = experts(ctx, "Kafka data pipelines")
    assert [r["email"] for r in found] == ["data@example.com"]
    assert found[0]["strength"] in ("strong", "moderate") and "margin" in found[0]
