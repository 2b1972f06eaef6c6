"""Semantic similarity (``python -m evals sts``): Spearman of each system's similarity against gold scores.

Scope: a set of ``pairs.jsonl`` (``{"a", "b", "score"}``), scored by every
embedder's plain cosine and by the product's similarity
(:func:`assistant.retrieval.matching.pair_similarity`: each text centred on its
language's mean over the texts compared, as the ranking centres on its corpus,
then the ensemble's members weighed by the mix of the two languages). The
product row is the default system; the plain rows show what each model brings.

Cross-language pairs: two sets whose pairs are translations of each other, line
by line with the same scores (``stsb-fr`` and ``stsb-en`` are one set in two
languages), give a third set, ``<a>+<b>`` (``stsb-en+fr``): the first text of
each pair in one language, the second in the other, both ways round (3,000
pairs from 1,500). That is the FR–EN pair of languages the ensemble's mix needs.

Vectors are computed once per model and text and shared by every row (the
ensemble's vector is its members' vectors side by side, as it embeds them).

    >>> side_language(["Un homme joue de la guitare.", "Une femme coupe un oignon."])
    'fr'
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import numpy as np

from assistant import language
from assistant.config import Settings
from assistant.context import open_context
from assistant.retrieval.matching import pair_similarity

from evals.dataset import Dataset, read
from evals.metrics import spearman

PRODUCT = "product"


def side_language(texts: list[str]) -> str:
    """The language of one side of a set: the most common supported language detected in its texts
    (a short sentence alone is often mistaken for a neighbour language; hundreds are not)."""
    counts = Counter(language.detect(t) for t in texts)
    supported = [lang for lang, _ in counts.most_common() if language.is_supported(lang)]
    return supported[0] if supported else counts.most_common(1)[0][0]


def pair_languages(pairs: list[dict]) -> tuple[list[str], list[str]]:
    """Each pair's two languages: given (``lang_a``/``lang_b``, as in a crossed set), else each side's."""
    side_a = side_language([p["a"] for p in pairs if "lang_a" not in p] or ["-"])
    side_b = side_language([p["b"] for p in pairs if "lang_b" not in p] or ["-"])
    return [p.get("lang_a", side_a) for p in pairs], [p.get("lang_b", side_b) for p in pairs]


def clean_pairs(ds: Dataset) -> list[dict]:
    return [p for p in ds.pairs if str(p.get("a") or "").strip() and str(p.get("b") or "").strip()]


def crossed(first: Dataset, second: Dataset) -> Dataset | None:
    """The cross-language set of two sets that are translations of each other (same length, same scores
    line by line), or None when they are not."""
    a, b = first.pairs, second.pairs
    if not a or len(a) != len(b) or any(float(x["score"]) != float(y["score"]) for x, y in zip(a, b)):
        return None
    keep = [(x, y) for x, y in zip(a, b) if all(str(p.get(k) or "").strip() for p in (x, y) for k in ("a", "b"))]
    one, two = side_language([x["a"] for x, _ in keep]), side_language([y["a"] for _, y in keep])
    ds = Dataset(f"{first.name}+{second.name.rsplit('-', 1)[-1]}", first.folder)
    ds.pairs = ([{"a": x["a"], "b": y["b"], "score": x["score"], "lang_a": one, "lang_b": two} for x, y in keep]
                + [{"a": y["a"], "b": x["b"], "score": x["score"], "lang_a": two, "lang_b": one} for x, y in keep])
    ds.stats = {"pairs": len(ds.pairs), "from": [first.name, second.name]}
    return ds


class Vectors:
    """Vectors per (model, text), computed once: ``get("use+e5", texts)`` builds the ensemble's rows from
    its members' as :class:`models.embedder.EnsembleEmbedder` does (unit vectors scaled by ``1/sqrt(m)``)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.done: dict[str, dict[str, np.ndarray]] = {}

    def embedder(self, name: str):
        return open_context(self.settings.but(embedder=name)).embedder

    def get(self, name: str, texts: list[str]) -> np.ndarray:
        members = name.split("+")
        if len(members) > 1 and ":" not in name:
            scale = 1.0 / np.sqrt(len(members))
            return np.hstack([self.get(m, texts) * scale for m in members]).astype(np.float32)
        known = self.done.setdefault(name, {})
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            known.update(zip(missing, self.embedder(name).embed_batch(missing)))
        return np.vstack([known[t] for t in texts]).astype(np.float32)


def run_sts(data: Path | Dataset, embedders: list[str], settings: Settings, cache: Vectors | None = None) -> dict:
    """Spearman of each embedder's cosine, and of the product's similarity (``settings.embedder``, mixed and
    centred: the default system), against the gold scores of a set (a folder or a crossed ``Dataset``)."""
    ds = data if isinstance(data, Dataset) else read(data)
    cache = cache or Vectors(settings)
    pairs = clean_pairs(ds)
    gold = [float(p["score"]) for p in pairs]
    a_texts, b_texts = [p["a"] for p in pairs], [p["b"] for p in pairs]
    langs_a, langs_b = pair_languages(pairs)
    rows = []
    for name in [*embedders, PRODUCT]:
        start = time.perf_counter()
        model = settings.embedder if name == PRODUCT else name
        a, b = cache.get(model, a_texts), cache.get(model, b_texts)
        if name == PRODUCT:
            sims = pair_similarity(cache.embedder(model), a, b, langs_a, langs_b)
        else:
            sims = (a * b).sum(axis=1)
        rows.append({"system": name if name != PRODUCT else f"{PRODUCT} ({model}, mixed)",
                     "metrics": {"spearman": round(spearman(sims.tolist(), gold), 4)}, "n": len(pairs),
                     "seconds": round(time.perf_counter() - start, 2)})
    main = rows[-1]
    return {"task": "sts", "dataset": ds.name, "system": main["system"], "metrics": main["metrics"], "n": main["n"],
            "seconds": main["seconds"], "systems": rows, "languages": sorted(set(langs_a) | set(langs_b)),
            "data": {k: v for k, v in ds.stats.items() if k == "pairs"} | {"skipped_empty_pairs": len(ds.pairs) - len(pairs)}}
