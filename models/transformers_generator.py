"""A :class:`Generator` over any local transformers causal LM, or a GGUF file.

Scope: load a local model (never a hub download), verify its files against pinned SHA-256
hashes first, and stream text with greedy or seeded sampling. torch/transformers are imported
inside the methods, so building the object is free; the model loads on first use (or `load()`).

A ``.gguf`` file is dequantized once by transformers (``from_pretrained(dir, gguf_file=...)``,
slow: ~50-100 s on 2 cores) and saved as safetensors under ``cache_dir/<sha256[:16]>/``; later
loads read that folder (a few seconds). When the GGUF's hash is pinned and its conversion is
in the cache, the GGUF itself is not even read again.

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
from pathlib import Path
from typing import Iterator

from .generator import Generator, Prompt, marked_source

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
    ``dtype`` is the compute dtype ("float32" is fastest on most CPUs; "bfloat16" halves memory).
    ``generation_options`` are passed to ``model.generate`` (e.g. ``repetition_penalty``).
    ``prefix_cache`` keeps the attention cache of the last prompt: a new prompt that starts with
    the same tokens (the same prompt for another variant, or the same system prompt and example
    for another item) skips recomputing them, which is most of the time to first token on a CPU.
    ``no_copy_ngram=n`` forbids reproducing any run of ``n`` tokens of the text between
    ``<<<SOURCE`` and ``SOURCE>>>`` in the last user message (URLs excepted), so a small model
    cannot paste the source back; facts stay possible (runs with digits are never banned,
    names are shorter than ``n`` tokens).

    After loading, ``load_seconds`` holds the load time; after each call ``last_stats`` holds
    ``tokens``, ``seconds``, ``first_token_seconds``, ``prompt_tokens`` and ``tokens_per_second``.
    """

    def __init__(
        self,
        model_path: str | os.PathLike,
        *,
        cache_dir: str | os.PathLike,
        expected_sha256: dict[str, str] | None = None,
        threads: int | None = None,
        dtype: str = "float32",
        generation_options: dict | None = None,
        prefix_cache: bool = True,
        no_copy_ngram: int | None = None,
        name: str | None = None,
    ):
        self.model_path = Path(model_path)
        self.cache_dir = Path(cache_dir)
        self.expected_sha256 = dict(expected_sha256 or {})
        self.threads = threads
        self.dtype = dtype
        self.generation_options = dict(generation_options or {})
        self.prefix_cache = prefix_cache
        self.no_copy_ngram = no_copy_ngram
        self._prefix = None  # (prompt token ids, KV cache) of the last call, see _reusable_cache
        self.name = name or self.model_path.name
        self.load_seconds: float | None = None
        self.last_stats: dict | None = None
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()

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

    def model_folder(self) -> Path:
        """A verified local transformers folder, converting the GGUF first when needed."""
        pinned = self._pinned_gguf_sha()
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
        """Dequantize ``gguf`` and save it as a transformers folder (atomic rename)."""
        import torch
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
        if folder.exists():  # an incomplete leftover from an interrupted run
            shutil.rmtree(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial.rename(folder)
        del model

    # --- model ------------------------------------------------------------------------------

    def _set_threads(self, torch) -> None:
        if self.threads:
            torch.set_num_threads(int(self.threads))

    def load(self) -> None:
        """Verify, convert if needed, and load tokenizer and model (once)."""
        if self._model is not None:
            return
        started = time.perf_counter()
        folder = self.model_folder()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._set_threads(torch)
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            str(folder), local_files_only=True, dtype=getattr(torch, self.dtype)
        )
        model.eval()
        self._tokenizer, self._model = tokenizer, model
        self.load_seconds = time.perf_counter() - started

    def _encode(self, prompt: Prompt):
        if isinstance(prompt, str):
            return self._tokenizer(prompt, return_tensors="pt")
        messages = list(prompt)
        # A final assistant message is a prefix to continue ("Je ", "I ..."): the output is
        # what comes after it.
        prefix = bool(messages) and messages[-1].get("role") == "assistant"
        return self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=not prefix, continue_final_message=prefix,
            return_tensors="pt", return_dict=True,
        )

    def _reusable_cache(self, ids):
        """A copy of the last call's cache cut to the prompt prefix shared with ``ids``, or None."""
        if not self.prefix_cache or self._prefix is None:
            return None, 0
        import copy

        import torch

        old_ids, old_cache = self._prefix
        width = min(len(old_ids), len(ids) - 1)  # generate needs at least one new token
        if width <= 0:
            return None, 0
        same = torch.eq(old_ids[:width], ids[:width]).to(torch.int8)
        shared = int(same.cumprod(0).sum())
        if shared < 16:
            return None, 0
        cache = copy.deepcopy(old_cache)
        extra = cache.get_seq_length() - shared
        if extra > 0:
            cache.crop(-extra)  # negative = remove that many tokens from the end
        return cache, shared

    def _no_copy_processor(self, prompt, prompt_tokens: int):
        """A logits processor banning ``no_copy_ngram``-token runs copied from the source."""
        if not self.no_copy_ngram or isinstance(prompt, str):
            return None
        source = marked_source(prompt)
        if source is None:
            return None
        from transformers import LogitsProcessor

        n = int(self.no_copy_ngram)
        table: dict[tuple, set] = {}
        for segment in _URL.split(source):
            ids = self._tokenizer(segment, add_special_tokens=False)["input_ids"]
            # Runs that contain a digit are facts (dates, amounts) and stay allowed: many
            # tokenizers spell numbers digit by digit, so a date alone is 6-10 tokens.
            digits = [any(c.isdigit() for c in self._tokenizer.decode([i])) for i in ids]
            for start in range(len(ids) - n + 1):
                if not any(digits[start:start + n]):
                    table.setdefault(tuple(ids[start:start + n - 1]), set()).add(ids[start + n - 1])

        class _NoCopy(LogitsProcessor):
            def __call__(self, input_ids, scores):
                for row in range(input_ids.shape[0]):
                    tail = input_ids[row, prompt_tokens:][-(n - 1):].tolist()
                    banned = table.get(tuple(tail)) if len(tail) == n - 1 else None
                    if banned:
                        scores[row, list(banned)] = float("-inf")
                return scores

        return _NoCopy()

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0) -> Iterator[str]:
        self.load()
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Cancel(StoppingCriteria):  # lets an abandoned stream stop the worker thread
            def __init__(self, event):
                self.event = event

            def __call__(self, input_ids, scores, **kwargs):
                return self.event.is_set()

        with self._lock:  # one generation at a time per model
            self._set_threads(torch)
            inputs = self._encode(prompt)
            prompt_tokens = int(inputs["input_ids"].shape[1])
            cache, reused = self._reusable_cache(inputs["input_ids"][0])
            streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
            cancel = threading.Event()
            options = dict(self.generation_options)
            if temperature and temperature > 0:
                options.update(do_sample=True, temperature=float(temperature))
            else:
                options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            no_copy = self._no_copy_processor(prompt, prompt_tokens)
            if no_copy is not None:
                from transformers import LogitsProcessorList

                options["logits_processor"] = LogitsProcessorList([no_copy])
            result: dict = {}
            pad_id = self._tokenizer.pad_token_id
            if pad_id is None:
                pad_id = self._tokenizer.eos_token_id

            def work():
                try:
                    torch.manual_seed(seed)
                    with torch.inference_mode():
                        output = self._model.generate(
                            **inputs, max_new_tokens=max_new_tokens, streamer=streamer,
                            stopping_criteria=StoppingCriteriaList([_Cancel(cancel)]),
                            pad_token_id=pad_id,
                            past_key_values=cache, return_dict_in_generate=True, **options,
                        )
                    result["ids"] = output.sequences
                    if self.prefix_cache:
                        self._prefix = (inputs["input_ids"][0], output.past_key_values)
                except BaseException as error:  # surfaced in the caller's thread
                    result["error"] = error
                    streamer.end()

            started = time.perf_counter()
            first = None
            worker = threading.Thread(target=work, daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        if first is None:
                            first = time.perf_counter() - started
                        yield piece
            finally:
                cancel.set()
                worker.join()
            if "error" in result:
                raise result["error"]
            seconds = time.perf_counter() - started
            tokens = int(result["ids"].shape[1]) - prompt_tokens
            self.last_stats = {
                "tokens": tokens, "seconds": round(seconds, 3),
                "first_token_seconds": round(first if first is not None else seconds, 3),
                "prompt_tokens": prompt_tokens, "cached_prompt_tokens": reused,
                "tokens_per_second": round(tokens / seconds, 2) if seconds else 0.0,
            }

    def generate_many(self, prompt, *, n=3, max_new_tokens=200, temperature=0.7, seed=0) -> list[str]:
        """``n`` sampled variants decoded together as one batch.

        The prompt is encoded once (or taken from the prefix cache) and its attention cache
        copied ``n`` times, so the variants cost one prefill; on a CPU a batch of 3 decodes in
        much less than 3 times the time of one. Greedy (``temperature == 0``) gives ``n``
        identical texts, so it falls back to the one-by-one default.
        """
        if n <= 1 or not temperature or temperature <= 0:
            return super().generate_many(prompt, n=n, max_new_tokens=max_new_tokens,
                                         temperature=temperature, seed=seed)
        self.load()
        import copy

        import torch
        from transformers import DynamicCache, LogitsProcessorList

        with self._lock:
            self._set_threads(torch)
            started = time.perf_counter()
            inputs = self._encode(prompt)
            ids = inputs["input_ids"]
            length = int(ids.shape[1])
            cache, reused = self._reusable_cache(ids[0])
            with torch.inference_mode():
                if cache is None:
                    cache = DynamicCache(config=self._model.config)
                if reused < length - 1:
                    self._model(input_ids=ids[:, reused:length - 1], past_key_values=cache, use_cache=True)
                if self.prefix_cache:
                    self._prefix = (ids[0], copy.deepcopy(cache))
                cache.batch_repeat_interleave(n)
                options = dict(self.generation_options)
                no_copy = self._no_copy_processor(prompt, length)
                if no_copy is not None:
                    options["logits_processor"] = LogitsProcessorList([no_copy])
                pad_id = self._tokenizer.pad_token_id
                if pad_id is None:
                    pad_id = self._tokenizer.eos_token_id
                torch.manual_seed(seed)
                output = self._model.generate(
                    input_ids=ids.repeat(n, 1), attention_mask=torch.ones((n, length), dtype=torch.long),
                    past_key_values=cache, max_new_tokens=max_new_tokens, do_sample=True,
                    temperature=float(temperature), pad_token_id=pad_id, **options,
                )
            new = output[:, length:]
            tokens = [int((row != pad_id).sum()) for row in new]
            seconds = time.perf_counter() - started
            self.last_stats = {
                "tokens": sum(tokens), "sequences": n, "seconds": round(seconds, 3),
                "first_token_seconds": None, "prompt_tokens": length, "cached_prompt_tokens": reused,
                "tokens_per_second": round(sum(tokens) / seconds, 2) if seconds else 0.0,
            }
            return [self._tokenizer.decode(row, skip_special_tokens=True) for row in new]
