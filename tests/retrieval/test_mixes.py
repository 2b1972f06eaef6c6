"""The ensemble's per-language mixes: English-only members never weigh on French, learned tables apply,
and the STS eval scores the product's mixed similarity, FR–EN included (fake models)."""

import json

import numpy as np
import pytest

from evals.dataset import read
from evals.quality.sts import Vectors, crossed, run_sts
from models import get_embedder, register_embedder, unregister_embedder
from models.embedder import Embedder, EnsembleEmbedder, unit_rows
from tests.conftest import write


class _Axis(Embedder):
    """Every text on one axis of its own: cosine 1 within the model, so the mix alone sets a similarity."""

    def __init__(self, name, languages=None):
        self.name, self.dim, self.languages = name, 2, languages

    def embed_batch(self, texts, kind="passage"):
        return unit_rows(np.tile([1.0, 0.0], (len(texts), 1)))


class _Opposite(_Axis):
    """Texts in French point the other way: an English-only model that cannot compare across languages."""

    def embed_batch(self, texts, kind="passage"):
        return unit_rows(np.array([[-1.0, 0.0] if " le " in f" {t} " else [1.0, 0.0] for t in texts]))


def test_an_english_only_member_never_weighs_on_french_text():
    pair = EnsembleEmbedder([_Axis("multi"), _Opposite("english", ("en",))], "multi+english")
    assert pair.mix("en", "en").tolist() == [0.5, 0.5]
    assert pair.mix("fr", "en").tolist() == [1.0, 0.0]
    assert pair.mix("fr", "fr").tolist() == [1.0, 0.0]
    assert pair.mix(None, "en").tolist() == [1.0, 0.0]     # a topic of unknown language: only what reads any
    french, english = pair.embed_batch(["le vent", "the wind"])
    plain = float(french @ english)                        # the stored vector: the plain mean of the members
    mixed = float(pair.similarity(french[None], english[None], ["fr"], ["en"])[0, 0])
    assert plain == pytest.approx(0.0, abs=1e-6) and mixed == pytest.approx(1.0)


def test_learned_mixes_and_their_shape():
    pair = EnsembleEmbedder([_Axis("a"), _Axis("b", ("en",))], "a+b", mixes={("fr", "fr"): (3, 1), ("en", "fr"): (1, 0)})
    assert pair.mix("fr", "fr").tolist() == [0.75, 0.25]
    assert pair.mix("fr", "en").tolist() == pair.mix("en", "fr").tolist() == [1.0, 0.0]
    table = pair.mixes(["fr", "en", None], ["fr", "en"])
    assert table.shape == (2, 3, 2) and np.allclose(table.sum(axis=0), 1.0)
    assert table[:, 0, 0].tolist() == [0.75, 0.25] and table[:, 2, 1].tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        EnsembleEmbedder([_Axis("a"), _Axis("b")], "a+b", mixes={("fr", "fr"): (1, 2, 3)})


def test_the_packaged_ensemble_carries_its_learned_mixes_without_loading_weights():
    ensemble = get_embedder("use+e5+minilm")                  # building loads nothing
    assert [m.languages for m in ensemble.members] == [None, None, ("en",)]
    assert ensemble.mix("fr", "en")[2] == 0.0 and ensemble.mix("fr", "fr")[2] < ensemble.mix("en", "en")[2]
    assert np.isclose(ensemble.mix("fr", "fr").sum(), 1.0)


@pytest.fixture
def two_languages():
    register_embedder("axis-multi")(lambda **_: _Axis("axis-multi"))
    register_embedder("axis-english")(lambda **_: _Opposite("axis-english", ("en",)))
    yield
    unregister_embedder("axis-multi")
    unregister_embedder("axis-english")


def test_sts_crosses_a_set_with_its_translation_and_scores_the_mixed_product(tmp_path, settings, two_languages):
    fr = [{"a": "le vent souffle fort ce matin", "b": "le vent se lève sur la mer", "score": 4.0},
          {"a": "le chat dort sur le canapé", "b": "le marché ouvre à huit heures", "score": 0.5},
          {"a": "le train part de la gare", "b": "le train quitte la gare", "score": 4.5}]
    en = [{"a": "the wind blows hard this morning", "b": "the wind rises over the sea", "score": 4.0},
          {"a": "the cat sleeps on the sofa", "b": "the market opens at eight", "score": 0.5},
          {"a": "the train leaves the station", "b": "the train departs from the station", "score": 4.5}]
    write(tmp_path / "sts-fr" / "pairs.jsonl", "\n".join(json.dumps(p, ensure_ascii=False) for p in fr))
    write(tmp_path / "sts-en" / "pairs.jsonl", "\n".join(json.dumps(p) for p in en))
    both = crossed(read(tmp_path / "sts-fr"), read(tmp_path / "sts-en"))
    assert both.name == "sts-fr+en" and len(both.pairs) == 6
    assert {(p["lang_a"], p["lang_b"]) for p in both.pairs} == {("fr", "en"), ("en", "fr")}
    assert crossed(read(tmp_path / "sts-fr"), read(tmp_path / "sts-fr" / "missing")) is None
    result = run_sts(both, ["fake"], settings.but(embedder="axis-multi+axis-english"), Vectors(settings))
    rows = {r["system"]: r for r in result["systems"]}
    assert set(rows) == {"fake", "product (axis-multi+axis-english, mixed)"}
    assert result["system"] == "product (axis-multi+axis-english, mixed)" and result["languages"] == ["en", "fr"]
