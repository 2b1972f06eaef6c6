"""``python -m evals authenticity``: does the score separate copies from genuine rewrites?

The labelled set is built from the public STS dev pairs (../shared/evaldata/stsb-*),
deterministically (seeded), for every source sentence ``a`` (≥ 8 words):

- ``verbatim``: ``a`` itself;
- ``light_edit``: ``a`` with one word dropped, a short opener ("Great news:" /
  "Bonne nouvelle :") and a hashtag — what a hurried sharer does;
- ``translation``: the other language's version of ``a`` (the sets are aligned);
- ``unrelated``: the ``b`` of another, random pair;
- ``rewrite``: for every pair of the set rated ≥ 3.5 (same meaning) whose ``b``
  re-uses fewer than 60 % of ``a``'s words, ``b`` as a post about ``a`` — an
  independent wording of the same message;
- ``spam``: one of :data:`SPAM_KINDS` made from ``a`` (in turn): ``stuffed``
  ("Top !!! #Word #Word … !!!!!!", the source's own words as hashtags),
  ``repeated`` (one exclamation pasted twelve times), ``hashtags`` (hashtags
  only) — what a sharer in a hurry for points posts.

Metrics: AUC of the score separating rewrites (positives) from verbatim copies
and light edits (negatives); the mean score per label; the share of each label
the share rules refuse (``refused_<label>``: all of the spam, none of the
rewrites); and the ordering spam < verbatim < light edit < personal rewrite on
the hand-written demo cases in ``data/demo/authenticity_cases.jsonl`` (every
spam kind below the verbatim copy). The "meaning" band is calibrated on the
same labelled pairs: cosine percentiles per label are reported next to the
thresholds in use. The embedder is the configured one, from a context over the
settings handed to :func:`main` (with a throw-away home).

    >>> reused("the cat sat", "the cat ran away")
    0.5
    >>> spam("Le parc solaire de la Drôme produit douze mégawatts.", "fr", "stuffed")
    'Top !!! #Mégawatts #Produit #Solaire #Drôme #Douze !!!!!!'
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.demo import DEMO_DIR
from assistant.sharing.share_rules import refusals
from assistant.storage.store import close_all
from assistant.text import WORD
from assistant.writing import authenticity

from evals import report as reports
from evals.dataset import read_jsonl
from evals.measure import ROOT
from evals.metrics import auc

DATA = ROOT.parent / "shared" / "evaldata"
CASES = DEMO_DIR / "authenticity_cases.jsonl"
OPENERS = {"en": "Great news: ", "fr": "Bonne nouvelle : "}
SPAM_KINDS = ("stuffed", "repeated", "hashtags")
CHEERS = {"en": "Great! ", "fr": "Génial ! "}


def light_edit(text: str, lang: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 4:
        del words[rng.randrange(1, len(words) - 1)]
    return OPENERS[lang] + " ".join(words) + " #" + ("fier" if lang == "fr" else "proud")


def spam(source: str, lang: str, kind: str) -> str:
    """A post that says nothing of its own about ``source``: its longest words as hashtags between
    exclamation marks (``stuffed``), one cheer twelve times (``repeated``) or eight hashtags (``hashtags``)."""
    words = sorted(dict.fromkeys(w for w in WORD.findall(source) if len(w) > 3 and not w.isdigit()),
                   key=lambda w: (-len(w), w))
    tags = " ".join("#" + w[:1].upper() + w[1:] for w in words[:8])
    if kind == "stuffed":
        return "Top !!! " + " ".join(tags.split()[:5]) + " !!!!!!"
    if kind == "repeated":
        return (CHEERS[lang] * 12).strip()
    return tags


def build(data: Path = DATA, per_language: int = 200, seed: int = 0) -> list[dict]:
    """Labelled (source, post, label, lang) rows from the aligned STS sets."""
    sets = {lang: read_jsonl(data / f"stsb-{lang}" / "pairs.jsonl")[0] for lang in ("en", "fr")}
    rows = []
    for lang, other in (("en", "fr"), ("fr", "en")):
        pairs, rng = sets[lang], random.Random(f"{seed}-{lang}")
        indices = [i for i, p in enumerate(pairs) if len(p["a"].split()) >= 8]
        rng.shuffle(indices)
        for i in indices[:per_language]:
            a = pairs[i]["a"]
            rows += [{"source": a, "post": a, "label": "verbatim", "lang": lang},
                     {"source": a, "post": light_edit(a, lang, rng), "label": "light_edit", "lang": lang},
                     {"source": a, "post": sets[other][i]["a"], "label": "translation", "lang": lang},
                     {"source": a, "post": pairs[rng.randrange(len(pairs))]["b"], "label": "unrelated", "lang": lang},
                     {"source": a, "post": spam(a, lang, SPAM_KINDS[len(rows) % len(SPAM_KINDS)]), "label": "spam",
                      "lang": lang}]
        for pair in pairs:  # every independent same-meaning wording of the set
            a, b = pair["a"], pair["b"]
            if len(a.split()) >= 8 and float(pair["score"]) >= 3.5 and reused(a, b) < 0.6:
                rows.append({"source": a, "post": b, "label": "rewrite", "lang": lang})
    return rows


def reused(a: str, b: str) -> float:
    """Share of ``b``'s words that also occur in ``a``."""
    words_a = set(re.findall(r"\w+", a.lower()))
    words_b = re.findall(r"\w+", b.lower())
    return sum(w in words_a for w in words_b) / max(len(words_b), 1)


def calibration(rows: list[dict], embed) -> dict:
    """Cosine (source, post) percentiles per label, the evidence behind the meaning band."""
    out = {}
    for label in ("verbatim", "light_edit", "translation", "rewrite", "unrelated", "spam"):
        mine = [r for r in rows if r["label"] == label]
        if mine:
            cos = (embed([r["source"] for r in mine]) * embed([r["post"] for r in mine])).sum(axis=1)
            out[label] = {f"p{q}": round(float(np.percentile(cos, q)), 3) for q in (10, 50, 90)}
    return out


def batched(embedder, texts: list[str]):
    """An ``embed(texts)`` function over vectors computed in one batch up front (unknown texts on demand)."""
    unique = list(dict.fromkeys(texts))
    table = dict(zip(unique, embedder.embed_batch(unique)))

    def embed(batch):
        missing = [t for t in batch if t not in table]
        if missing:
            table.update(zip(missing, embedder.embed_batch(missing)))
        return np.vstack([table[t] for t in batch])

    return embed


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    p = argparse.ArgumentParser(prog="python -m evals authenticity")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--per-language", type=int, default=200)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="porte-voix-eval-authenticity-") as home:
        try:
            result = run(settings.but(home=Path(home)), args.data, args.per_language)
        finally:
            close_all()
    path = reports.write(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(json.dumps({k: result[k] for k in ("metrics", "calibration", "demo_cases")}, indent=1, ensure_ascii=False))
        print(f"written {path}")
    return 0


def run(settings: Settings, data: Path = DATA, per_language: int = 200) -> dict:
    """Score the labelled set and the demo cases with the embedder of ``settings``; the report as a dict."""
    embedder = open_context(settings).embedder
    start = time.perf_counter()
    rows = build(data, per_language)
    cases, _ = read_jsonl(CASES)
    embed = batched(embedder, [r[k] for r in rows for k in ("source", "post")]
                    + [c[k] for c in cases for k in ("source", "verbatim", "light_edit", "personal")]
                    + [spam(c["source"], c["lang"], kind) for c in cases for kind in SPAM_KINDS])
    by_label, refused = {}, {}
    for row in rows:
        row["score"] = authenticity.score(row["source"], row["post"], lang=row["lang"], embed=embed)["score"]
        by_label.setdefault(row["label"], []).append(row["score"])
        refused.setdefault(row["label"], []).append(bool(refusals(row["post"], source=row["source"])))
    negatives = by_label["verbatim"] + by_label["light_edit"]
    metrics = {"auc": round(auc(by_label.get("rewrite", []), negatives), 4),
               **{f"mean_{k}": round(float(np.mean(v)), 1) for k, v in sorted(by_label.items())},
               **{f"refused_{k}": round(float(np.mean(refused[k])), 3) for k in ("spam", "rewrite") if k in refused}}
    ordered = 0
    for case in cases:
        s = [authenticity.score(case["source"], case[k], lang=case["lang"], embed=embed)["score"]
             for k in ("verbatim", "light_edit", "personal")]
        spams = [authenticity.score(case["source"], spam(case["source"], case["lang"], kind), lang=case["lang"],
                                    embed=embed)["score"] for kind in SPAM_KINDS]
        case["scores"] = {"spam": max(spams), "verbatim": s[0], "light_edit": s[1], "personal": s[2]}
        ordered += max(spams) < s[0] < s[1] < s[2]
    metrics["demo_cases_ordered"] = f"{ordered}/{len(cases)}"
    result = {"task": "authenticity", "dataset": "stsb-en+fr", "system": embedder.name, "metrics": metrics,
              "n": len(rows), "seconds": round(time.perf_counter() - start, 2),
              "systems": [{"system": embedder.name, "metrics": metrics, "n": len(rows),
                           "seconds": round(time.perf_counter() - start, 2)}],
              "data": {"labels": {k: len(v) for k, v in by_label.items()}},
              "calibration": {"band": [authenticity.MEANING_LOW, authenticity.MEANING_HIGH], "cosine": calibration(rows, embed)},
              "demo_cases": [{"id": c.get("id"), "scores": c["scores"]} for c in cases]}
    return result
