"""The contracts every embedder and every generator keeps, run against each backend.

The fast suite runs them on the fakes (and on the ``openai`` backend talking to a local
server that writes with the fake); ``-m slow`` adds the packaged models, any local folder
(``st:``, ``transformers``) and the compared models when `make models-compare` installed them.
A new backend is one more parameter here.

Embedders: float32 rows of unit length and width ``dim``; ``(0, dim)`` for no text; French
and English text; a text's vector does not depend on its batch; ``query`` and ``passage``
vectors differ exactly when the model says it is ``asymmetric``; ``parts`` add up to ``dim``.
Generators: the joined stream is the generated text; the same seed gives the same sample;
``max_new_tokens`` bounds the pieces and greedy text only grows with it; ``stream_batch`` row
``i`` is prompt ``i`` written alone (greedy).
"""
import numpy as np
import pytest

from models import get_embedder
from models.generator import get_generator
from models.sentence_transformer import packaged_minilm_path
from models.transformers_generator import ModelFileError
from tests.openai_server import FakeOpenAIServer

slow = pytest.mark.slow

TEXTS = ["Nous recrutons une ingénieure données à Lyon : postulez avant le 3 mai.",
         "We are hiring a data engineer in Lyon; apply before 3 May.",
         "Le congé parental passe à 16 semaines pour tous les parents.",
         "Quarterly results: revenue grew 12 % year on year."]


@pytest.fixture(params=["fake", "fake+fake",
                        pytest.param("use", marks=slow), pytest.param("e5", marks=slow),
                        pytest.param("minilm", marks=slow), pytest.param("use+e5+minilm", marks=slow),
                        pytest.param("st:", marks=slow)])
def embedder(request):
    if request.param == "st:":  # any local sentence-transformers folder: here the packaged MiniLM's
        return get_embedder(f"st:{packaged_minilm_path()}")
    return get_embedder(request.param)


def test_rows_are_unit_length_float32_of_width_dim(embedder):
    vectors = embedder.embed_batch(TEXTS)
    assert vectors.shape == (len(TEXTS), embedder.dim) and vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_no_text_gives_an_empty_matrix_of_width_dim(embedder):
    for kind in ("passage", "query"):
        assert embedder.embed_batch([], kind=kind).shape == (0, embedder.dim)


def test_french_and_english_texts_get_distinct_vectors(embedder):
    french, english, other_french, other_english = embedder.embed_batch(TEXTS)
    assert not np.allclose(french, other_french, atol=1e-3)
    assert not np.allclose(english, other_english, atol=1e-3)
    assert not np.allclose(french, english, atol=1e-3)


def test_a_vector_does_not_depend_on_its_batch(embedder):
    together = embedder.embed_batch(TEXTS)
    alone = np.vstack([embedder.embed_batch([text]) for text in TEXTS])
    assert np.allclose(together, alone, atol=2e-3)
    assert np.allclose(embedder.embed(TEXTS[0], kind="passage"), together[0], atol=2e-3)


def test_query_and_passage_differ_only_for_asymmetric_models(embedder):
    passages = embedder.embed_batch(TEXTS[:2], kind="passage")
    queries = embedder.embed_batch(TEXTS[:2], kind="query")
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-3)
    assert np.allclose(queries, passages, atol=1e-5) != embedder.asymmetric


def test_parts_name_the_models_and_add_up_to_dim(embedder):
    parts = embedder.parts
    assert [name for name, _ in parts] == embedder.name.split("+")
    assert sum(width for _, width in parts) == embedder.dim and all(width > 0 for _, width in parts)


# --- generators -------------------------------------------------------------------------------

CHAT = [{"role": "system", "content": "You write short LinkedIn posts in the first person."},
        {"role": "user", "content": "- Brightpath opens a repair centre in Leeds on 9 June 2025\n- 40 technicians\n"
                                    "Write a short post in English."}]
FRENCH = [{"role": "system", "content": "Tu écris des posts LinkedIn courts, à la première personne."},
          {"role": "user", "content": "- Nordelec ouvre un centre à Nantes le 14 mars 2025\n- 62 techniciens\n"
                                      "Écris un court post en français."}]


@pytest.fixture(params=["fake", "openai", pytest.param("qwen", marks=slow), pytest.param("transformers", marks=slow),
                        pytest.param("gemma3-270m", marks=slow), pytest.param("smollm2-135m", marks=slow)])
def generator(request, tmp_path_factory):
    if request.param == "qwen":
        return request.getfixturevalue("qwen")
    if request.param == "transformers":  # any local transformers folder: here the default model's conversion
        qwen = request.getfixturevalue("qwen")
        return get_generator("transformers", model_path=qwen.model_folder(), cache_dir=qwen.cache_dir, threads=2)
    if request.param in ("gemma3-270m", "smollm2-135m"):  # the compared models, installed by `make models-compare`
        try:
            return get_generator(request.param, cache_dir=tmp_path_factory.mktemp("models"), threads=2)
        except ModelFileError as exc:
            pytest.skip(str(exc))
    if request.param == "openai":
        server = request.getfixturevalue("openai_server")
        return get_generator("openai", base_url=server.url, model="fake", timeout=5, cache_dir="/unused")
    return get_generator(request.param, cache_dir="/unused")


@pytest.fixture
def openai_server():
    """A local OpenAI-compatible server writing with the fake generator."""
    with FakeOpenAIServer() as server:
        yield server


def test_the_joined_stream_is_the_generated_text(generator):
    pieces = list(generator.stream(CHAT, max_new_tokens=16))
    assert len(pieces) > 1 and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == generator.generate(CHAT, max_new_tokens=16)


def test_the_same_seed_gives_the_same_sample(generator):
    first = generator.generate(CHAT, max_new_tokens=10, temperature=1.0, seed=7)
    assert generator.generate(CHAT, max_new_tokens=10, temperature=1.0, seed=7) == first
    assert len({first} | {generator.generate(CHAT, max_new_tokens=10, temperature=1.0, seed=s) for s in (1, 2)}) > 1


def test_max_new_tokens_bounds_the_text(generator):
    short = list(generator.stream(FRENCH, max_new_tokens=6))
    longer = generator.generate(FRENCH, max_new_tokens=16)
    assert 0 < len(short) <= 6  # a piece is at most one token
    assert longer.startswith("".join(short).rstrip()) and len(longer) > len("".join(short))


def test_each_batch_row_is_its_prompt_written_alone(generator):
    """The batching itself (padding, masks, caches) adds nothing to a row. Checked in exact arithmetic: a
    local model quantised to int8 scales the activations of a whole batch together, so its rows may
    differ from the same prompts written alone in a late, close token."""
    if getattr(generator, "quantize", None):
        generator = get_generator(generator.name, cache_dir=generator.cache_dir, threads=2, quantize=None,
                                  dtype="float32")
    prompts = [CHAT, FRENCH, CHAT]  # the same prompt twice: rows of one batch must not interfere
    rows = [""] * len(prompts)
    for index, piece in generator.stream_batch(prompts, max_new_tokens=12):
        rows[index] += piece
    alone = {id(p): generator.generate(p, max_new_tokens=12) for p in prompts}
    assert rows == [alone[id(p)] for p in prompts] and all(rows)
