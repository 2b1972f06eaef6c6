"""recommend_many: the batched ranking gives every employee what recommend gives them."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval import batch_ranking, matching
from assistant.retrieval.batch_ranking import head_candidates, recommend_many


@pytest.fixture
def demo_store(embedded_demo, settings, ctx):
    """The demo with its embeddings (a copy of the session's) in this test's home, before ``ctx`` opens it."""
    import shutil

    shutil.copytree(embedded_demo, settings.home, dirs_exist_ok=True)
    return ctx.store


def _emails(store):
    return [r["email"] for r in store.rows("SELECT email FROM employees ORDER BY email")]


def _same(batch: list[dict], single: list[dict]) -> None:
    assert [r["id"] for r in batch] == [r["id"] for r in single]
    assert [r["reason"] for r in batch] == [r["reason"] for r in single]
    assert [r["score"] for r in batch] == pytest.approx([r["score"] for r in single], abs=1e-3)


@pytest.mark.parametrize("limit", [3, 10])
def test_recommend_many_matches_recommend_on_demo_data(ctx, demo_store, limit):
    emails = _emails(demo_store)
    assert len(emails) >= 20
    many = recommend_many(ctx, emails, limit=limit)
    assert list(many) == emails
    for email in emails:
        _same(many[email], matching.recommend(ctx, email, limit=limit))


def test_small_chunks_shared_items_and_one_language(ctx, demo_store):
    """Chunk boundaries, items already shared and a single reading language change nothing."""
    emails = _emails(demo_store)
    first = matching.recommend(ctx, emails[0], limit=5)
    demo_store.execute("INSERT INTO shares (id, email, content_id, text, network) VALUES (?, ?, ?, 'mon texte', 'linkedin')",
                       ["s-test-1", emails[0], first[0]["id"]])
    demo_store.execute("UPDATE employees SET languages = ['en'] WHERE email = ?", [emails[1]])
    demo_store.execute("UPDATE employees SET expertise = NULL, skills = [] WHERE email = ?", [emails[2]])
    demo_store.execute("DELETE FROM employee_posts WHERE email = ?", [emails[2]])
    demo_store.execute("UPDATE employees SET languages = ['de'] WHERE email = ?", [emails[3]])  # no German item
    many = recommend_many(ctx, emails, limit=5, chunk_units=3)
    assert first[0]["id"] not in [r["id"] for r in many[emails[0]]]
    assert len(many[emails[3]]) == 5 and "hors de vos langues" in many[emails[3]][0]["reason"] + " hors de vos langues"
    for email in emails:
        _same(many[email], matching.recommend(ctx, email, limit=5))


def test_unknown_employee_and_empty_library(ctx, store):
    with pytest.raises(matching.UnknownEmployee):
        recommend_many(ctx, ["nobody@example.com"])
    assert recommend_many(ctx, []) == {}


def test_head_candidates_hold_the_true_top():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((40, 3000)).astype(np.float32)
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    scores[5, 100:] = -np.inf                      # a row with few finite values
    for row, cand in enumerate(head_candidates(scores, 50)):
        finite = np.flatnonzero(np.isfinite(scores[row]))
        top = finite[np.argsort(-scores[row, finite], kind="stable")[:50]]
        assert set(cand.tolist()) == set(top.tolist())


def test_folded_scores_equal_the_recipe(ctx, demo_store):
    """The item-side fold (standardisation and smoothing) reproduces fused + smooth for arbitrary units."""
    from assistant.retrieval.ranking import fused, smooth

    index = matching.content_index(demo_store, ctx.embedder, ctx.today())
    parts = matching.blocks(ctx.embedder)
    side = batch_ranking.item_side(index, parts, matching.WEIGHTS, ctx.today())
    rng = np.random.default_rng(1)
    queries = [batch_ranking._centre_rows(rng.standard_normal((6, ctx.embedder.dim)).astype(np.float32),
                                          ["fr", "en", "fr", "de", "en", "fr"], index.means, parts)][0]
    expected = smooth(fused(queries, index.parts), *index.neighbours, matching.WEIGHTS.smoothing)
    got = batch_ranking.query_side(queries, side) @ side.d.T
    assert np.allclose(got, expected, atol=1e-4)
