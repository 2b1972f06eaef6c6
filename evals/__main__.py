"""``python -m evals TASK …``: every measurement of the product, by what it measures.

With no task, the list (``TASKS`` below, grouped as quality, speed and load). The
quality tasks run here read a set in the shared layout (``--data DIR``):
``recommend`` (people → content), ``experts`` (query → people), ``sts`` (pairs →
Spearman per embedder and of the product's mixed similarity; ``--cross`` scores a
set against its translation), ``topics`` (the demo's French/English topic pairs:
overlap@5, nonsense finds nobody), ``all`` (every set under a folder, by the files
it has, plus the crossed STS set and the topic pairs) and ``table`` (print the
README table). Each prints a table, writes ``evals/reports/<task>-<dataset>.{json,md}``
and with ``--json`` prints the report on stdout. Every other task is a module of its
group (``evals/quality``, ``evals/speed``, ``evals/load``) that takes the rest of the
command line: ``python -m evals TASK --help`` prints its options.

This is the evals' entry point: it reads the configuration once
(``load_settings``) and hands the settings down; every run builds its own
context over them (a throw-away home per set), so nothing steers the product
through the environment.

    >>> task_of(Path("no-such-folder")) is None
    True
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from importlib import import_module
from inspect import signature
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.storage.store import close_all

from evals import report as reports
from evals.quality import choice
from evals.dataset import by_language, load, read
from evals.metrics import evaluate_rankings
from evals.quality.sts import Vectors, crossed, run_sts
from evals.quality.topic_pairs import run_topic_pairs
from evals.systems import BASELINE_EMBEDDERS, rank_experts, rank_recommend, system_names

# Every task, grouped by what it measures: the quality of the product's answers, its speed, its behaviour under
# load. The tasks run here (a module of None) read a set in the shared layout; the others are modules of their
# group that take the rest of the command line.
TASKS = {
    "quality": {"recommend": None, "experts": None, "sts": None, "topics": None, "all": None, "table": None,
                "drafting": "evals.quality.drafting", "authenticity": "evals.quality.authenticity",
                "mixes": "evals.quality.mixes", "choice": "evals.quality.choice",
                "privacy_audit": "evals.quality.privacy_audit"},
    "speed": {"bench": "evals.speed.bench", "engagement_bench": "evals.speed.engagement_bench",
              "digest_bench": "evals.speed.digest_bench", "import_speed": "evals.speed.import_speed",
              "scale": "evals.speed.scale", "ui_latency": "evals.speed.ui_latency",
              "postgres_routes": "evals.speed.postgres_routes"},
    "load": {"ui_bench": "evals.load.ui_bench", "click_load": "evals.load.click_load",
             "slow_clients": "evals.load.slow_clients"},
}
MODULES = {task: module for group in TASKS.values() for task, module in group.items() if module}


def run_module(task: str, argv: list[str], settings: Settings) -> int:
    """Run a task's own module with the rest of the command line (and the settings, where it takes them)."""
    main = import_module(MODULES[task]).main
    return main(argv, settings) if "settings" in signature(main).parameters else main(argv)


def _systems(arg: str | None) -> list[str]:
    if not arg:
        return ["product"]
    if arg == "all":
        return system_names()
    return [s.strip() for s in arg.split(",") if s.strip()]


def run_ranking(task: str, data: Path, systems: list[str], settings: Settings,
                home: str | Path | None = None) -> dict:
    """Import set ``data`` into a fresh installation over ``settings`` and score each system on ``task``."""
    started = time.perf_counter()
    ds = load(data, settings, home)
    load_seconds = time.perf_counter() - started
    qrels = ds.qrels_person if task == "recommend" else ds.qrels_query
    rank = rank_recommend if task == "recommend" else rank_experts
    rows, by_lang, by_split = [], {}, {}
    for system in systems:
        start = time.perf_counter()
        rankings = rank(ds, system)
        metrics = evaluate_rankings(rankings, qrels)
        n = metrics.pop("n")
        rows.append({"system": system, "metrics": metrics, "n": n, "seconds": round(time.perf_counter() - start, 2)})
        if system == "product" and task == "recommend":
            for lang, ids in sorted(by_language(ds).items()):
                by_lang[lang] = evaluate_rankings(rankings, {p: qrels[p] for p in ids if p in qrels})
            # the people the ranking's parameters are chosen on (evals.quality.choice) and those held out of the choice
            for part, ids in zip(("fit", "held-out"), choice.split_people(ds.people)):
                by_split[part] = evaluate_rankings(rankings, {p: qrels[p] for p in sorted(ids) if p in qrels})
    main = next((r for r in rows if r["system"] == "product"), rows[0])
    return {"task": task, "dataset": ds.name, "system": main["system"], "metrics": main["metrics"],
            "n": main["n"], "seconds": main["seconds"], "systems": rows, "by_language": by_lang,
            "by_split": by_split,
            "data": {**ds.stats, "load_seconds": round(load_seconds, 2)}}


def task_of(folder: Path) -> str | None:
    if (folder / "pairs.jsonl").exists():
        return "sts"
    if (folder / "queries.jsonl").exists():
        return "experts"
    if (folder / "content.jsonl").exists():
        return "recommend"
    return None


def emit(result: dict, as_json: bool) -> None:
    path = reports.write(result)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(reports.markdown(result))
        print(f"written {path}")


def main(argv: list[str] | None = None) -> int:
    listing = "\n".join(f"  {group}: {', '.join(tasks)}" for group, tasks in TASKS.items())
    p = argparse.ArgumentParser(prog="python -m evals", allow_abbrev=False,  # task options pass through whole
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog="tasks:\n" + listing)
    p.add_argument("task", choices=[task for tasks in TASKS.values() for task in tasks], metavar="TASK")
    p.add_argument("--data", type=Path, help="a set folder (or, for `all`, a folder of sets)")
    p.add_argument("--systems", help="comma-separated systems, or 'all' (default: the product's)")
    p.add_argument("--embedders", help="for sts: comma-separated embedders (default: every backend and the default)")
    p.add_argument("--cross", type=Path, help="for sts: the same pairs in another language; scores the crossed set "
                                              "(first text in one language, second in the other)")
    p.add_argument("--home", help="keep the evaluation stores here, one folder per set (reuses embeddings between runs)")
    p.add_argument("--json", action="store_true")
    if not (sys.argv[1:] if argv is None else argv):  # no task: the list, not a usage error
        print("python -m evals TASK [options]  (python -m evals TASK --help)\n\ntasks:\n" + listing)
        return 0
    args, rest = p.parse_known_args(argv)
    settings = load_settings()

    if args.task in MODULES:
        given = (["--data", str(args.data)] if args.data else []) + (["--json"] if args.json else [])
        return run_module(args.task, rest + given, settings)  # --data and --json were parsed here: handed on
    if args.task == "table":
        print(reports.table())
        return 0
    if args.task == "topics":  # the demo's French/English topic pairs; --home keeps the loaded demo
        with tempfile.TemporaryDirectory(prefix="porte-voix-topics-") as scratch:
            try:
                emit(run_topic_pairs(settings, Path(args.home or scratch) / "demo"), args.json)
            finally:
                close_all()
        return 0
    if args.data is None:
        p.error("--data is required")
    if not args.data.is_dir():
        p.error(f"--data {args.data}: not a folder")
    embedders = (args.embedders.split(",") if args.embedders
                 else list(dict.fromkeys([*BASELINE_EMBEDDERS, settings.embedder])))
    with tempfile.TemporaryDirectory(prefix="porte-voix-evals-") as scratch:
        try:
            if args.task == "all":
                vectors, sts_sets = Vectors(settings.but(home=Path(scratch) / "sts")), []
                for folder in sorted(f for f in args.data.iterdir() if f.is_dir()):
                    task = task_of(folder)
                    if task is None:
                        continue
                    home = Path(args.home or scratch) / folder.name
                    if task == "sts":
                        sts_sets.append(read(folder))
                        result = run_sts(sts_sets[-1], embedders, settings, vectors)
                    else:
                        result = run_ranking(task, folder, _systems(args.systems or "all"), settings, home)
                    emit(result, args.json)
                for i, first in enumerate(sts_sets):  # pairs of sets that translate each other: the FR-EN set
                    for second in sts_sets[i + 1:]:
                        both = crossed(first, second)
                        if both is not None:
                            emit(run_sts(both, embedders, settings, vectors), args.json)
                emit(run_topic_pairs(settings, Path(scratch) / "topic-pairs"), args.json)
                if reports.update_readme():
                    print("README quality table updated", file=sys.stderr)
                return 0
            home = Path(args.home or scratch) / args.data.name  # one store per set: sets never share people
            if args.task == "sts":
                ds = read(args.data)
                both = crossed(ds, read(args.cross)) if args.cross else ds
                if both is None:
                    p.error(f"--cross {args.cross}: not the same pairs as {args.data} (length or scores differ)")
                emit(run_sts(both, embedders, settings.but(home=home)), args.json)
            else:
                emit(run_ranking(args.task, args.data, _systems(args.systems), settings, home), args.json)
            return 0
        finally:
            close_all()  # the throw-away stores live under scratch, which goes now


if __name__ == "__main__":
    sys.exit(main())
