"""How the ensemble's mixes were chosen: ``python -m evals mixes --data ../shared/evaldata``.

Scope: for each pair of languages (FR–FR from ``stsb-fr``, EN–EN from ``stsb-en``, FR–EN from the two
crossed, see :mod:`evals.quality.sts`), the similarity the product uses (each text centred on its language's
mean, each member's cosine weighed) is scored by Spearman against the gold scores. Every weighting
on a 0.05 grid of the simplex is tried on the *fit* split (pairs whose line number is not 2 mod 3);
three candidates then meet on the *held-out* split (the other third): equal weights, the default
rule (equal weights over the members that read both languages: no English-only member on French),
and the fit split's best. The held-out winner is the mix (ties go to the simpler: equal weights,
then the rule). The result is ``models/mixes.py``; this command prints it and writes
``evals/reports/mixes.json``.

Only dev sets are read; the held-out third keeps the choice honest, and the full-set Spearman the
STS eval reports is computed with the chosen weights afterwards.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.retrieval.matching import blocks, pair_similarity

from evals.dataset import read
from evals.metrics import spearman
from evals.report import REPORTS
from evals.quality.sts import Vectors, clean_pairs, crossed, pair_languages

STEP = 0.05


def simplex(members: int, step: float = STEP) -> list[np.ndarray]:
    """Every weighting of ``members`` on a grid of ``step``, summing to 1.

    >>> len(simplex(3, 0.5)), simplex(2, 0.5)[1].tolist()
    (6, [0.5, 0.5])
    """
    n = int(round(1 / step))

    def rec(left: int, k: int):
        if k == 1:
            yield (left,)
            return
        for first in range(left + 1):
            for rest in rec(left - first, k - 1):
                yield (first, *rest)

    return [np.array(w, dtype=np.float64) / n for w in rec(n, members)]


def member_cosines(embedder, cache: Vectors, pairs: list[dict]) -> tuple[np.ndarray, list[float], tuple[str, str]]:
    """Per pair and member, the centred cosine the product computes (one member at a time): ``(pairs, members)``."""
    a_texts, b_texts = [p["a"] for p in pairs], [p["b"] for p in pairs]
    langs_a, langs_b = pair_languages(pairs)
    a, b = cache.get(embedder.name, a_texts), cache.get(embedder.name, b_texts)
    one_hot = []
    for k in range(len(blocks(embedder))):
        weights = np.eye(len(blocks(embedder)))[k]
        one_hot.append(pair_similarity(_Fixed(embedder, weights), a, b, langs_a, langs_b))
    return np.stack(one_hot, axis=1), [float(p["score"]) for p in pairs], (langs_a[0], langs_b[0])


class _Fixed:
    """The embedder seen with one fixed mix (to read one member's cosine through the product's code)."""

    def __init__(self, embedder, weights):
        self.parts, self.name, self._weights = embedder.parts, embedder.name, weights

    def mix(self, lang_a, lang_b):
        return self._weights


def choose(cosines: np.ndarray, gold: list[float], rule: np.ndarray) -> dict:
    """Fit on two thirds, choose on the last third; returns the candidates' scores and the chosen weights."""
    gold = np.asarray(gold)
    fit = np.arange(len(gold)) % 3 != 2
    grid = simplex(cosines.shape[1])
    best = max(grid, key=lambda w: spearman((cosines[fit] @ w).tolist(), gold[fit].tolist()))
    candidates = {"equal": np.full(cosines.shape[1], 1 / cosines.shape[1]), "rule": rule, "fit": best}
    held = {name: round(spearman((cosines[~fit] @ w).tolist(), gold[~fit].tolist()), 4) for name, w in candidates.items()}
    chosen = max(candidates, key=lambda name: (held[name], -list(candidates).index(name)))
    weights = candidates[chosen]
    return {"candidates": {name: [round(float(x), 3) for x in w] for name, w in candidates.items()}, "held_out": held,
            "fit": round(spearman((cosines[fit] @ best).tolist(), gold[fit].tolist()), 4), "chosen": chosen,
            "weights": [round(float(x), 3) for x in weights],
            "all": round(spearman((cosines @ weights).tolist(), gold.tolist()), 4)}


def run(data: Path, settings: Settings) -> dict:
    embedder = open_context(settings).embedder
    cache = Vectors(settings)
    fr, en = read(data / "stsb-fr"), read(data / "stsb-en")
    sets = {"fr-fr": clean_pairs(fr), "en-en": clean_pairs(en), "en-fr": clean_pairs(crossed(fr, en))}
    out = {"embedder": embedder.name, "members": [name for name, _ in embedder.parts], "pairs": {}}
    for key, pairs in sets.items():
        cosines, gold, langs = member_cosines(embedder, cache, pairs)
        rule = np.array([1.0 if m.languages is None or (langs[0] in m.languages and langs[1] in m.languages) else 0.0
                         for m in getattr(embedder, "members", [embedder])])
        result = choose(cosines, gold, rule / rule.sum())
        result["members_alone"] = {name: round(spearman(cosines[:, k].tolist(), gold), 4)
                                   for k, (name, _) in enumerate(embedder.parts)}
        out["pairs"][key] = result
    return out


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals mixes")
    p.add_argument("--data", type=Path, required=True, help="the folder holding stsb-fr and stsb-en")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    result = run(args.data, settings or load_settings())
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "mixes.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(result))
    else:
        for key, r in result["pairs"].items():
            print(f"{key}: chosen {r['chosen']} {r['weights']} (held-out {r['held_out']}; fit best {r['fit']}; "
                  f"all pairs {r['all']}; members alone {r['members_alone']})")
    return 0
