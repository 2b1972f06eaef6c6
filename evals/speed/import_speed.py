"""Import throughput: rows per second of a large content CSV through ``catalog.ingest``.

``python -m evals import_speed [--rows 100000] [--detect-rows 2000]`` writes a
synthetic CSV (French and English rows, every documented column, 5 % of rows
with a bad value so the rejection path is exercised too) into a throw-away home
and imports it three times: the fresh import (the target: ≥ 2,000 rows/s on the
2-core machine), the same file again (everything unchanged) and a smaller file
without a ``language`` column (language detection, langdetect, dominates
there, so it is reported separately). It also times the reading of a few
hostile files (40,000 ``[``, HTML that is quadratic for ``html.parser``, a YAML
alias bomb) in CPU seconds. The report goes to stdout and
``evals/reports/import-speed.json``.

    >>> rows = list(synthetic_rows(4))
    >>> [r["language"] for r in rows], rows[0]["id"]
    (['fr', 'en', 'fr', 'en'], 'speed-000000')
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import tempfile
import time
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.imports.catalog import ingest
from assistant.imports.readers import BadFile, read_file
from assistant.storage.store import open_store

from evals.measure import peak_rss_mb

REPORT = Path(__file__).resolve().parents[1] / "reports" / "import-speed.json"
COLUMNS = ("id", "title", "text", "url", "kind", "language", "campaign", "priority", "published_at", "expires_at")
_FR = ("Nous recrutons une ingénieure données à Lyon pour notre plateforme temps réel",
       "Le parc solaire de la Drôme produit désormais l'équivalent de quatre mille foyers",
       "Retour d'expérience sur la migration de nos pipelines vers le lakehouse")
_EN = ("We are hiring a security analyst in Grenoble to run our operations centre",
       "Our wind forecast now looks 48 hours ahead with a lower error on every site",
       "Lessons learned from moving our sensor pipelines to a lakehouse architecture")
_KINDS = ("article", "news", "job_offer", "event")


def synthetic_rows(n: int, seed: int = 7, bad_share: float = 0.05, language: bool = True):
    """``n`` content rows as dicts of CSV strings; about ``bad_share`` of them carry one bad value."""
    rng = random.Random(seed)
    for i in range(n):
        french = i % 2 == 0
        base = (_FR if french else _EN)[i % 3]
        row = {
            "id": f"speed-{i:06d}", "title": f"{base[:40]} #{i}",
            "text": f"{base}, édition {i}." if french else f"{base}, edition {i}.",
            "url": f"https://www.nordlys-energie.example/items/{i}", "kind": _KINDS[i % 4],
            "language": "fr" if french else "en", "campaign": f"campaign-{i % 20}", "priority": str(i % 4),
            "published_at": "2026-11-01", "expires_at": "2027-06-30",
        }
        if rng.random() < bad_share:
            field, value = rng.choice([("priority", "inf"), ("url", "javascript:alert(1)"),
                                       ("published_at", "soon"), ("kind", "podcast"), ("text", "")])
            row[field] = value
        if not language:
            row.pop("language")
        yield row


def write_csv(path: Path, rows) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            count += 1
    return count


def timed_import(store, path: Path) -> dict:
    """One import of ``path``: its counts, wall and CPU seconds, rows per second (wall and CPU)."""
    start, cpu = time.perf_counter(), time.process_time()
    report = ingest(store, [path])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = sum(report.counts.values())
    return {"rows": rows, **report.counts, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "rows_per_s": round(rows / seconds), "rows_per_cpu_s": round(rows / max(cpu, 1e-9))}


HOSTILE = {
    "markdown: 40,000 '['": ("b.md", "---\ntitle: Brackets\n---\n" + "[" * 40_000),
    "markdown: 20,000 '!['": ("i.md", "![" * 20_000),
    "markdown: 20,000 '*_'": ("e.md", "*_" * 20_000),
    "html: 20,000 '<a b=' (66 s with html.parser)": ("a.html", "<p>x</p>" + "<a b=" * 20_000),
    "html: 25,000 '<!--'": ("c.html", "<p>x</p>" + "<!--" * 25_000),
    "yaml: 700-byte alias bomb": ("y.md", "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)) + "---\nB\n"),
}


def hostile_timings(folder: Path) -> dict:
    """CPU seconds to read each hostile file of ``HOSTILE`` (best of three)."""
    out = {}
    for label, (name, text) in HOSTILE.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            try:
                read_file(path)
            except BadFile:
                pass
            best = min(best, time.process_time() - start)
        out[label] = round(best, 3)
    return out


def run(rows: int, detect_rows: int, settings: Settings) -> dict:
    """Time the imports in ``settings.home`` (a throw-away folder: the files are written there too)."""
    home = settings.home
    store = open_store(settings)
    big = home / "content.csv"
    write_csv(big, synthetic_rows(rows))
    fresh = timed_import(store, big)
    again = timed_import(store, big)
    small = home / "no-language.csv"
    write_csv(small, ({**r, "id": "d" + r["id"], "text": r["text"] and "Détection : " + r["text"]}
                      for r in synthetic_rows(detect_rows, seed=11, language=False)))
    detect = timed_import(store, small)
    return {"rows": rows, "file_mb": round(big.stat().st_size / 1e6, 1), "fresh": fresh, "reimport": again,
            "with_language_detection": detect, "peak_rss_mb": round(peak_rss_mb(), 1), "target_rows_per_s": 2000,
            "hostile_read_cpu_s": hostile_timings(home), "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--detect-rows", type=int, default=2_000)
    parser.add_argument("--no-report", action="store_true", help="print only, do not write evals/reports")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="porte-voix-import-speed-") as tmp:
        result = run(args.rows, args.detect_rows, load_settings().but(home=Path(tmp)))
    print(json.dumps(result, indent=2))
    if not args.no_report:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
