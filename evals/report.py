"""Report files: one JSON (fixed keys) and one Markdown summary per task and dataset.

``evals/reports/<task>-<dataset>.json``::

    {"task": "recommend", "dataset": "sib200-recommend", "system": "product",
     "metrics": {"ndcg@10": ..., "map": ..., "p@5": ..., "recall@10": ...}, "n": 42, "seconds": 3.1,
     "systems": [{"system": ..., "metrics": {...}, "n": ..., "seconds": ...}, ...],   # side by side
     "by_language": {...}, "by_split": {"fit": {...}, "held-out": {...}}, "data": {...counts of odd data...}}

``by_split`` (recommendations): the people the ranking's parameters were chosen on and the people held
out of that choice (``evals.quality.choice``).

The top-level keys describe the default (product) system; ``systems`` holds
every system of the run. ``table()`` renders all reports as the README table.
"""

from __future__ import annotations

import json
from pathlib import Path

REPORTS = Path(__file__).resolve().parent / "reports"
RANK_METRICS = ("ndcg@10", "map", "p@5", "recall@10")
README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- quality:start -->", "<!-- quality:end -->"


def write(report: dict) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    stem = f"{report['task']}-{report['dataset']}"
    path = REPORTS / f"{stem}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (REPORTS / f"{stem}.md").write_text(markdown(report), encoding="utf-8")
    return path


def _fmt(value) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else "—"


def markdown(report: dict) -> str:
    names = list(report["metrics"])
    lines = [f"# {report['task']} on {report['dataset']}", "",
             f"Default system: `{report['system']}`; n = {report['n']}.", "",
             "| system | " + " | ".join(names) + " | seconds |", "|---" * (len(names) + 2) + "|"]
    for row in report.get("systems", []):
        cells = (f"error: {row['error']}" + " |" * (len(names) - 1) if row.get("error") else
                 " | ".join(_fmt(row["metrics"].get(m)) for m in names))
        lines.append(f"| {row['system']} | {cells} | {row['seconds']:.1f} |")
    for key, what, column in (("by_language", "language of the person", "language"),
                              ("by_split", "people the parameters were chosen on (fit) or not (held-out)", "people")):
        if report.get(key):
            lines += ["", f"Default system by {what}:", "",
                      f"| {column} | " + " | ".join(names) + " | n |", "|---" * (len(names) + 2) + "|"]
            for group, row in report[key].items():
                lines.append(f"| {group} | " + " | ".join(_fmt(row.get(m)) for m in names) + f" | {row['n']} |")
    if report.get("data"):
        lines += ["", "Data: " + ", ".join(f"{k} {v}" for k, v in report["data"].items() if not isinstance(v, dict))]
    return "\n".join(lines) + "\n"


COLUMNS = (*RANK_METRICS, "spearman", "overlap@5")


def table(reports_dir: Path = REPORTS) -> str:
    """The README "Quality" table: dataset × system × metrics, from every report on disk; the default
    system's per-language rows (``by_language``) and fit / held-out rows (``by_split``) follow it, and the
    topic pairs give one row per side compared (experts, items)."""
    rows = ["| task | dataset | system | nDCG@10 | MAP | P@5 | recall@10 | Spearman | overlap@5 |",
            "|---|---|---|---|---|---|---|---|---|"]

    def line(report: dict, name: str, metrics: dict) -> str:
        return f"| {report['task']} | {report['dataset']} | {name} | " + " | ".join(_fmt(metrics.get(k)) for k in COLUMNS) + " |"

    for path in sorted(reports_dir.glob("*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        if report.get("task") not in ("recommend", "experts", "sts", "topics"):
            continue
        for row in report.get("systems", [report]):
            main = row["system"] == report["system"]
            rows.append(line(report, f"**{row['system']}**" if main else row["system"], row["metrics"]))
            if main:
                rows += [line(report, f"{row['system']}, {group} people", sub)
                         for key in ("by_language", "by_split") for group, sub in report.get(key, {}).items()]
                rows += [line(report, f"{row['system']}, {side}", {"overlap@5": row["metrics"].get(f"overlap@5_{side}")})
                         for side in ("experts", "items") if f"overlap@5_{side}" in row["metrics"]]
    return "\n".join(rows)


def update_readme(readme: Path = README) -> bool:
    """Replace the table between the quality markers in the README; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{table()}\n{END}{tail}", encoding="utf-8")
    return True
