"""A :class:`Generator` over any local transformers causal LM, or a GGUF file.

Scope: load a local model (never a hub download), verify its files against pinned SHA-256
hashes first, and stream text with greedy or seeded sampling. torch/transformers are imported
inside the methods, so building the object is free; the model loads on first use (or `load()`).

A ``.gguf`` file is dequantized once by transformers (``from_pretrained(dir, gguf_file=...)``,
slow: ~50-100 s on 2 cores) and saved as safetensors under ``cache_dir/<sha256[:16]>/``; later
loads read that folder (a few seconds). When the GGUF's hash is pinned and its conversion is
in the cache, the GGUF itself is not even read again. Preparing the files (join, verify,
convert) holds a file lock in ``cache_dir``, so processes that start together (app, CLI,
tests) convert once and never remove a folder another one is reading.

Example::

    gen = TransformersGenerator("/models/qwen.gguf", cache_dir=home / "models",
                                expected_sha256={"qwen.gguf": "1d96..."}, threads=2)
    for piece in gen.stream([{"role": "user", "content": "Bonjour"}], max_new_tokens=50):
        print(piece, end="")
    gen.last_stats  # {"tokens": 50, "seconds": 7.1, "first_token_seconds": 0.9, "prompt_tokens": 20}
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import warnings
from pathlib import Path
from typing import Iterator

from filelock import FileLock

from .batch_decoding import PrefixCache, banned_runs, decode
from .chat import Prompt, ends_with_start, marked_source
from .generator import Generator

_URL = re.compile(r"https?://\S+")

_DONE_MARKER = "porte-voix-conversion.json"


class ModelFileError(RuntimeError):
    """A model file is missing or does not have its pinned SHA-256."""


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks (~200 MB/s here)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def verify_sha256(path: str | os.PathLike, expected: str) -> str:
    """Raise :class:`ModelFileError` unless ``path`` exists with SHA-256 ``expected``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file not found: {path}")
    actual = sha256_file(path)
    if actual.lower() != expected.lower():
        raise ModelFileError(
            f"SHA-256 mismatch for {path}: expected {expected.lower()}, got {actual}. "
            "The file is corrupt or not the pinned version; reinstall it or update the pin."
        )
    return actual


class TransformersGenerator(Generator):
    """Local transformers model or GGUF file behind the :class:`Generator` interface.

    ``expected_sha256`` maps file names (relative to the model folder, or the GGUF's own
    name) to hex digests; every listed file is checked before anything is loaded.
    ``dtype`` is the compute dtype: ``"auto"`` takes bfloat16 where the CPU computes it natively
    (AVX512-BF16/AMX: twice the speed of float32 at the same output quality, measured on the
    default model) and float32 elsewhere.
    ``prefix_cache`` keeps the attention caches of recent prompt prefixes: a new prompt that
    starts with the same tokens (the same rules and worked example, another angle of the same
    item) skips recomputing them, which is most of the time to first token on a CPU.
    :meth:`stream_batch` decodes several prompts together (see :mod:`models.batch_decoding`).
    ``no_copy_ngram=n`` forbids writing any run of ``n`` tokens of the texts a call asks to
    ``avoid`` (the source, example posts), so a small model has to rephrase instead of pasting.
    ``loop_run=n`` stops a row that writes again an ``n``-token run of its own: it loops, and the
    batch no longer waits for its last tokens (a looping draft fails the checks either way).
    ``quantize="int8"`` turns the linear layers into dynamically quantised int8 ones after loading
    (~10 s once): on a 2-core CPU, decoding is 3-4 times faster (Qwen2.5-0.5B: 9 → 32 tokens/s
    for 6 rows); for weights that came from a 4-bit GGUF, nothing of their precision is lost. The
    activations of one batch share a scale, so a row may differ in a late, close token from the same
    prompt written alone (``quantize=None`` for exact batch-invariance).

    After loading, ``load_seconds`` holds the load time; after each call ``last_stats`` holds
    ``tokens``, ``sequences``, ``seconds``, ``first_token_seconds``, ``prompt_tokens``,
    ``cached_prompt_tokens`` and ``tokens_per_second``.
    """

    continues_start = True  # the chat template continues a final assistant message

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        cache_dir: str | os.PathLike,
        expected_sha256: dict[str, str] | None = None,
        threads: int | None = None,
        dtype: str = "auto",
        prefix_cache: bool = True,
        no_copy_ngram: int | None = None,
        loop_run: int | None = 24,
        name: str | None = None,
        chat_template: str | None = None,
        stop_tokens: tuple[str, ...] = (),
        quantize: str | None = None,
    ):
        self.model_path = Path(model_path)
        self.cache_dir = Path(cache_dir)
        self.expected_sha256 = dict(expected_sha256 or {})
        self.threads = threads
        self.dtype = dtype
        self.prefix_cache = prefix_cache
        self.no_copy_ngram = no_copy_ngram
        self.loop_run = loop_run
        self.chat_template = chat_template  # for a model whose files carry none (a pretrained, not chat, model)
        self.stop_tokens = tuple(stop_tokens)  # end-of-turn tokens the model's config does not list as ends
        if quantize not in (None, "int8"):
            raise ValueError(f"quantize={quantize!r}: only 'int8' (or None) is supported")
        self.quantize = quantize
        self._prefixes = PrefixCache()
        self.name = name or self.model_path.name
        self.load_seconds: float | None = None
        self.last_stats: dict | None = None
        self._model = None
        self._tokenizer = None
        self._lock = threading.RLock()  # re-entrant: models.scheduler interleaves generations from one thread

    # --- files ------------------------------------------------------------------------------

    @property
    def is_gguf(self) -> bool:
        return self.model_path.suffix.lower() == ".gguf"

    def source_path(self) -> Path:
        """The file or folder to read. Subclasses may build it here (e.g. join parts)."""
        return self.model_path

    def converted_dir(self, sha256: str) -> Path:
        """Where the safetensors conversion of the GGUF with this hash lives."""
        return self.cache_dir / sha256[:16]

    def verify(self) -> None:
        """Check every pinned file; raises :class:`ModelFileError` on the first mismatch."""
        base = self.model_path.parent if self.is_gguf else self.model_path
        for filename, expected in self.expected_sha256.items():
            verify_sha256(base / filename, expected)

    def _pinned_gguf_sha(self) -> str | None:
        return self.expected_sha256.get(self.model_path.name) if self.is_gguf else None

    def _is_converted(self, folder: Path) -> bool:
        return (folder / _DONE_MARKER).is_file()

    def preparation_lock(self) -> FileLock:
        """The lock held while this model's files are joined, verified or converted (one per model name)."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.cache_dir / f".{self.model_path.name}.lock"))

    def model_folder(self) -> Path:
        """A verified local transformers folder, converting the GGUF first when needed.

        A finished conversion is never modified, so it is read without the lock; everything
        else happens under :meth:`preparation_lock`, and a process that waited for another
        one's conversion finds it done and reuses it.
        """
        pinned = self._pinned_gguf_sha()
        if pinned and self._is_converted(self.converted_dir(pinned)):
            return self.converted_dir(pinned)
        with self.preparation_lock():
            if pinned and self._is_converted(self.converted_dir(pinned)):
                return self.converted_dir(pinned)
            source = self.source_path()
            if not source.exists():
                raise ModelFileError(f"Model not found: {source}")
            self.verify()
            if not self.is_gguf:
                return source
            sha = pinned or sha256_file(source)
            folder = self.converted_dir(sha)
            if not self._is_converted(folder):
                self.convert(source, folder, sha)
            return folder

    def convert(self, gguf: Path, folder: Path, sha256: str) -> None:
        """Dequantize ``gguf`` and save it as a transformers folder; call it under :meth:`preparation_lock`.

        Writes into a temporary folder and renames it; an unfinished folder left by an
        interrupted run (no completion marker) is replaced.
        """
        import torch  # deferred: torch and transformers take seconds to import
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._set_threads(torch)
        partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        common = dict(gguf_file=gguf.name, local_files_only=True, cache_dir=str(self.cache_dir / "hf"))
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), **common)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), dtype=torch.float32, **common)
        # Without GGUF kernels transformers dequantizes everything to plain tensors, but it
        # still marks the model as "gguf-quantized" and refuses to save it: drop that mark.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(str(partial))
        tokenizer.save_pretrained(str(partial))
        record = {"source": gguf.name, "sha256": sha256, "seconds": round(time.perf_counter() - started, 1)}
        (partial / _DONE_MARKER).write_text(json.dumps(record))
        if folder.exists():  # an unfinished leftover: under the lock, nobody else is writing or reading it
            shutil.rmtree(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial.rename(folder)
        del model

    # --- model ------------------------------------------------------------------------------

    def _set_threads(self, torch) -> None:
        if self.threads:
            torch.set_num_threads(int(self.threads))

    def compute_dtype(self) -> str:
        """``self.dtype``, with ``"auto"`` resolved for this CPU."""
        if self.dtype != "auto":
            return self.dtype
        import torch  # deferred: seconds to import

        return "bfloat16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "float32"

    def load(self) -> None:
        """Verify, convert if needed, and load tokenizer and model (once)."""
        if self._model is not None:
            return
        started = time.perf_counter()
        folder = self.model_folder()
        import torch  # deferred: torch and transformers take seconds to import
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._set_threads(torch)
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        if self.chat_template and not tokenizer.chat_template:
            tokenizer.chat_template = self.chat_template
        model = AutoModelForCausalLM.from_pretrained(
            str(folder), local_files_only=True,  # int8 quantisation starts from float32 weights
            dtype=torch.float32 if self.quantize else getattr(torch, self.compute_dtype()),
        )
        model.eval()
        if self.quantize == "int8":
            model = _int8(torch, model)
        self._tokenizer, self._model = tokenizer, model
        self.load_seconds = time.perf_counter() - started

    def _encode(self, prompt: Prompt) -> list[int]:
        if isinstance(prompt, str):
            return self._tokenizer(prompt)["input_ids"]
        messages = list(prompt)
        # A final assistant message is a prefix to continue ("Je ", "I ..."): the output is
        # what comes after it.
        prefix = ends_with_start(messages)
        return list(self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=not prefix, continue_final_message=prefix,
            tokenize=True, return_dict=True,
        )["input_ids"])

    def _stop_ids(self) -> set[int]:
        ids = {self._tokenizer.eos_token_id, getattr(self._model.generation_config, "eos_token_id", None),
               *(self._tokenizer.convert_tokens_to_ids(t) for t in self.stop_tokens)}
        flat = set()
        for value in ids:
            flat.update(value if isinstance(value, (list, tuple)) else [value])
        return {int(v) for v in flat if v is not None}

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0) -> Iterator[str]:
        for _, piece in self.stream_batch([prompt], max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                          avoid=[s] if (s := marked_source(prompt)) else ()):
            yield piece

    def _banned(self, avoid: list[str]):
        """The ``no_copy_ngram``-token runs of ``avoid``; URLs and runs with a digit stay writable (facts).

        Words in a run that must stay writable (names to keep) are the caller's to cut out of
        ``avoid`` (a line break between two parts starts a new text).
        """
        if not self.no_copy_ngram or not avoid:
            return None
        texts, digits, inside = [], set(), set()
        for text in avoid:
            for segment in _URL.split(text):
                for part in segment.split("\n"):
                    ids = self._tokenizer(part, add_special_tokens=False)["input_ids"]
                    for i in ids:
                        piece = self._tokenizer.decode([i])
                        if any(c.isdigit() for c in piece):
                            digits.add(i)
                        if piece[:1].isalpha() or piece[:1] == "\ufffd":  # continues a word (or a character)
                            inside.add(i)
                    texts.append(ids)

        def allowed(run: tuple) -> bool:
            # Facts stay writable; and a run is only ever cut between two words: forbidding the end of a
            # word the model has begun makes it finish the word with other letters ("systéms", "temoin").
            return any(i in digits for i in run) or run[-1] in inside

        return banned_runs(texts, int(self.no_copy_ngram), allowed=allowed) or None

    def stream_batch(self, prompts, *, max_new_tokens=200, temperature=0.0, seed=0, avoid=()) -> Iterator[tuple[int, str]]:
        """All prompts decoded together (see :mod:`models.batch_decoding`), text streamed per row.

        Sampling draws every row from one generator seeded with ``seed``: the same call gives the
        same texts, and rows with the same prompt differ. With ``no_copy_ngram = n``, no run of
        ``n`` tokens of the ``avoid`` texts is written (numbers, dates and URLs stay possible).
        """
        self.load()
        import torch  # deferred: seconds to import (already loaded by load())

        with self._lock:  # one generation at a time per model
            self._set_threads(torch)
            started = time.perf_counter()
            rows = [self._encode(p) for p in prompts]
            stats: dict = {}
            pad_id = self._tokenizer.pad_token_id
            tokens: list[list[int]] = [[] for _ in rows]
            shown = [""] * len(rows)
            first = None
            for step in decode(self._model, rows, prefix_cache=self._prefixes if self.prefix_cache else None,
                               max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                               stop_ids=self._stop_ids(), pad_id=self._tokenizer.eos_token_id if pad_id is None else pad_id,
                               banned=self._banned(list(avoid)), loop_run=self.loop_run or 0, stats=stats):
                first = first if first is not None else time.perf_counter() - started
                for row, token in step:
                    tokens[row].append(token)
                    text = self._tokenizer.decode(tokens[row], skip_special_tokens=True)
                    if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
                        continue
                    if len(text) > len(shown[row]):
                        piece, shown[row] = text[len(shown[row]):], text
                        yield row, piece
            seconds = time.perf_counter() - started
            count = sum(len(t) for t in tokens)
            self.last_stats = {
                "tokens": count, "sequences": len(rows), "seconds": round(seconds, 3),
                "first_token_seconds": round(first if first is not None else seconds, 3), **stats,
                "tokens_per_second": round(count / seconds, 2) if seconds else 0.0,
            }


def _int8(torch, model):
    """``model`` with its ``nn.Linear`` layers dynamically quantised to int8 (CPU inference).

    torch marks eager-mode quantisation as deprecated in favour of the separate ``torchao``
    package; it is still shipped and is the one CPU int8 path without another dependency.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
