"""The experts' relevance floor with the real default ensemble (slow: embeds the demo, ~3 min on 2 cores).

The floor (``matching.EVIDENCE_FLOOR``) was set on these demo topics: nonsense finds nobody, real topics in
French and English find colleagues, and the first of them has at least moderate evidence.
"""

import pytest

from assistant.config import Settings
from assistant.context import open_context
from assistant.demo import load as load_demo
from assistant.retrieval import matching
from assistant.storage.store import close_all

pytestmark = pytest.mark.slow

NONSENSE = ["quantum basket weaving", "tissage de paniers quantiques", "medieval cheese sculpture",
            "origami pour chats", "underwater opera singing", "astrologie des tracteurs"]
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
