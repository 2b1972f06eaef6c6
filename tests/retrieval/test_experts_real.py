"""The experts' relevance floor with the real default ensemble (slow: embeds the demo, ~3 min on 2 cores).

The floors (``assistant.retrieval.evidence``) were set on these demo topics and the topic pairs of
``evals/data/topic_pairs.jsonl``: nonsense finds nobody in either language, real topics in French and English
find colleagues, the first of them with at least moderate evidence, and a French topic finds the people its
English translation finds.
"""

import pytest

from assistant.config import Settings
from assistant.context import open_context
from assistant.demo import load as load_demo
from assistant.retrieval import matching
from assistant.storage.store import close_all
from evals.quality.topic_pairs import overlap, read_pairs

pytestmark = pytest.mark.slow

PAIRS = read_pairs()
NONSENSE = ["quantum basket weaving", "tissage de paniers quantiques", "medieval cheese sculpture",
            "origami pour chats", "underwater opera singing", "astrologie des tracteurs"] + [
    p[lang] for p in PAIRS if p["kind"] == "nonsense" for lang in ("fr", "en")]
REAL = ["sécurité des réseaux industriels", "wind power forecasting", "Kafka data pipelines",
        "recrutement des ingénieurs", "batteries stockage", "industrial cybersecurity"]


@pytest.fixture(scope="module")
def real_ctx(tmp_path_factory):
    ctx = open_context(Settings(home=tmp_path_factory.mktemp("experts-real"), generator="fake", bcrypt_rounds=4))
    load_demo(ctx)
    ctx.store.execute("UPDATE employees SET consent_interviews = TRUE")
    yield ctx
    close_all()


@pytest.mark.parametrize("topic", NONSENSE)
def test_nobody_is_an_expert_in_nonsense(real_ctx, topic):
    assert matching.experts(real_ctx, topic) == []


@pytest.mark.parametrize("topic", REAL)
def test_real_topics_find_colleagues_with_evidence_in_words(real_ctx, topic):
    found = matching.experts(real_ctx, topic)
    assert found and found[0]["strength"] in ("strong", "moderate")


def test_a_french_topic_finds_the_english_writer_its_translation_finds(real_ctx):
    """Issue #21: « maintenance des éoliennes en mer » found nobody while its translation found Lars Eriksen."""
    for topic in ("maintenance des éoliennes en mer", "offshore wind turbine maintenance"):
        found = matching.experts(real_ctx, topic, limit=5)
        assert found and found[0]["name"] == "Lars Eriksen", (topic, [r["name"] for r in found])


def test_french_and_english_topics_find_the_same_colleagues(real_ctx):
    topics = [p for p in PAIRS if p["kind"] == "topic"]
    names = {(p["id"], lang): [r["name"] for r in matching.experts(real_ctx, p[lang], limit=5)]
             for p in topics for lang in ("fr", "en")}
    agreement = sum(overlap(names[p["id"], "fr"], names[p["id"], "en"]) for p in topics) / len(topics)
    assert agreement >= 0.6, names
    assert sum(bool(names[p["id"], "fr"]) for p in topics) >= 0.85 * len(topics)
