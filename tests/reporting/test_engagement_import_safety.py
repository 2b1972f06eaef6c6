"""`engagement import` (and the marketing upload) takes files as the content importers do: hostile ones are named
and refused, the good ones between them are all imported."""

import io
import os
import threading
import time
import zipfile

import pytest
from openpyxl import Workbook

from assistant.imports import archives
from assistant.imports.records import BadFile
from assistant.reporting import engagement_import
from assistant.reporting.metrics import Filters, share_metrics
from tests.reporting.conftest import SAMPLES

SECRET = "root:x:0:0:SECRET-LINE"


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_part(data: bytes, name: str, change) -> bytes:
    """``data`` (an XLSX) with its part ``name`` rewritten by ``change``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info)
            archive.writestr(info.filename, change(body) if info.filename == name else body)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
GOOD_SHEET = _xlsx([["share_id", "impressions", "reactions"], ["s-quiet", 700, 7]])


def _bomb() -> bytes:
    """A valid-looking XLSX whose sheet inflates from ~30 KB to 30 MB of blanks (a real bomb: 1.8 MB -> 1 GB)."""
    source, out = zipfile.ZipFile(io.BytesIO(GOOD_SHEET)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != SHEET:
                archive.writestr(info.filename, source.read(info))
                continue
            body = source.read(info)
            with archive.open(SHEET, "w") as part:
                part.write(body[:-len("</worksheet>")])
                for _ in range(30):
                    part.write(b" " * (1 << 20))
                part.write(b"</worksheet>")
    return out.getvalue()


def _entities(secret_path) -> dict[str, bytes]:
    xxe = _with_part(GOOD_SHEET, SHEET, lambda body: body.replace(
        b"<worksheet", f'<!DOCTYPE w [<!ENTITY xxe SYSTEM "file://{secret_path}">]><worksheet'.encode(), 1)
        .replace(b"<t>s-quiet</t>", b"<t>&xxe;</t>"))
    laughs = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    lol = _with_part(GOOD_SHEET, SHEET, lambda body: body.replace(
        b"<worksheet", f'<!DOCTYPE w [<!ENTITY l0 "lol">{laughs}]><worksheet'.encode(), 1)
        .replace(b"<t>s-quiet</t>", b"<t>&l9;</t>"))
    utf16 = _with_part(GOOD_SHEET, "xl/workbook.xml", lambda body: body.decode().replace(
        "<workbook", '<!DOCTYPE w [<!ENTITY a "a">]><workbook', 1).replace("utf-8", "utf-16").encode("utf-16"))
    return {"xxe.xlsx": xxe, "laughs.xlsx": lol, "utf16.xlsx": utf16}


def _run_bounded(fn, seconds=60):
    """``fn()`` in a thread: a FIFO or a bomb must not hang the suite (the thread is abandoned if it does)."""
    box = {}
    thread = threading.Thread(target=lambda: box.update(result=fn()), daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the import hung for {seconds} s"
    return box["result"], time.perf_counter() - start


def _network(store) -> dict:
    return {r["id"]: (r["impressions"], r["reactions"]) for r in share_metrics(store, Filters()) if r["reach_reported"]}


def test_a_mixed_hostile_batch_loses_no_good_row(ctx, posts, tmp_path):  # noqa: F811
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    batch = tmp_path / "batch"
    batch.mkdir()
    hostile = {"bomb.xlsx": _bomb(), **_entities(secret), "broken.xlsx": b"PK\x03\x04 not a zip at all",
               "binary.csv": b"share_id,impressions\x00\n", "huge-field.csv": b"share_id,impressions\ns-1,\"" +
               b"9" * 200_000 + b"\"\n", "not-a-count.csv": b"share_id,impressions\ns-li1,1e999\n"}
    for name, data in hostile.items():
        (batch / name).write_bytes(data)
    os.mkfifo(batch / "pipe.csv")
    os.symlink(secret, batch / "passwd.csv")
    os.symlink(secret, tmp_path / "linked.csv")
    os.mkfifo(tmp_path / "fifo.xlsx")
    (batch / "good-generic.csv").write_bytes((SAMPLES / "generic-metrics.csv").read_bytes())
    (batch / "good-sheet.xlsx").write_bytes(GOOD_SHEET)
    (batch / "good-fr.csv").write_bytes("URL de la publication;Impressions;Réactions\n"
                                        "https://www.linkedin.com/feed/update/urn:li:activity:7204444444444444444/;"
                                        "1 100;13\n".encode("cp1252"))
    paths = [tmp_path / "linked.csv", tmp_path / "fifo.xlsx", batch, SAMPLES / "linkedin-posts-fr.xlsx",
             tmp_path / "missing.csv", SAMPLES / "conversions.csv", SAMPLES / "x-post-analytics.csv"]
    results, seconds = _run_bounded(lambda: engagement_import.import_files(ctx, paths))
    assert seconds < 20, seconds
    analytics = next(r for r in results if r["kind"] == "analytics")
    problems = "\n".join(analytics["problems"])
    expected = {"linked.csv": "symbolic link", "passwd.csv": "symbolic link", "fifo.xlsx": "not a regular file",
                "pipe.csv": "not a regular file", "missing.csv": "file not found", "bomb.xlsx": "zip bomb",
                "xxe.xlsx": "declares a DTD", "laughs.xlsx": "declares a DTD", "utf16.xlsx": "declares a DTD",
                "broken.xlsx": "not an XLSX file", "binary.csv": "binary file",
                "huge-field.csv": "could not be read (Error: field larger than field limit"}
    for name, reason in expected.items():
        assert any(name in p and reason in p for p in analytics["problems"]), (name, problems)
    assert "not-a-count.csv:2: no metric value" in problems
    assert SECRET not in str(results) and "Traceback" not in problems
    assert all("\n" not in p for p in analytics["problems"])
    assert analytics["files_rejected"] == len(expected)
    stored = _network(posts)  # every good row of every good file, hostile files between them
    assert stored["s-generic-1"] == (1500, 20) and stored["s-quiet"] == (700, 7) and stored["s-li4"] == (1100, 13)
    assert stored["s-li1"] == (1234, 48) and stored["s-x1"] == (3120, 37)  # the FR XLSX and the X CSV samples
    conversions = next(r for r in results if r["kind"] == "conversions")
    assert conversions["stored"] == 2 and conversions["folded"] == 2
    assert engagement_import.failed(results)


def test_the_marketing_upload_takes_the_same_rules_and_odd_names(ctx, posts):  # noqa: F811
    files = [("stats.csv", b"share_id,impressions\ns-generic-1,10\n"), ("stats.csv", b"share_id,impressions\ns-quiet,20\n"),
             ("..", b"share_id,impressions\ns-li1,30\n"), ("bomb.xlsx", _bomb()), ("notes.txt", b"hello")]
    results = engagement_import.import_uploads(ctx, files)
    analytics = next(r for r in results if r["kind"] == "analytics")
    assert [p.split(":")[0] for p in analytics["problems"]] == ["upload", "bomb.xlsx", "notes.txt"]
    assert "porte-voix-upload" not in str(results) and "zip bomb" in analytics["problems"][1]
    stored = _network(posts)  # two uploads named alike: both imported
    assert (stored["s-generic-1"][0], stored["s-quiet"][0]) == (10, 20)


def test_zip_limits_are_checked_on_declared_sizes_before_inflating():
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:  # stored: ratio 1, but 3 MB in all
        for n in range(3):
            archive.writestr(f"xl/media/image{n}.bin", os.urandom(1 << 20))
    with pytest.raises(BadFile, match="inflates to 3 MB"):
        archives.open_zip(big.getvalue(), max_unzipped_mb=2)
    archives.open_zip(big.getvalue(), max_unzipped_mb=4).close()
    archives.open_zip(GOOD_SHEET).close()
    start = time.perf_counter()
    with pytest.raises(BadFile, match="zip bomb"):
        archives.open_zip(_bomb())
    assert time.perf_counter() - start < 1.0
