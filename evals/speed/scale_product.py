"""The product's own ``matching.recommend`` on a large synthetic library (the scale run's ``product`` worker).

Scope and why: the numpy and VSS methods of ``evals/speed/scale.py`` time the ranking
arithmetic alone; this worker times what an employee waits for, through the
product's code: the content index (vectors, language means, k-NN graph) on the
first call, then warm calls with a cProfile of one. Items (pseudo-word texts,
:func:`evals.synthetic.pseudo_texts`) and their synthetic vectors go straight
into a fresh store, since embedding ``product_items`` texts is not what is
measured; the employee is imported with ``people.import_people`` and embedded
by :class:`evals.synthetic.SyntheticEmbedder`.

    python -m evals scale --product-items 2000 --dims 896 --vss-dims ''
"""

from __future__ import annotations

import cProfile
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from assistant.config import Settings
from assistant.context import open_context
from assistant.imports.people import import_people
from assistant.retrieval import matching
from assistant.retrieval.embeddings import text_hash

from evals.measure import hot_spots, peak_rss_mb
from evals.synthetic import ScaleConfig, SyntheticEmbedder, make_items, pseudo_texts


def worker_product(cfg: ScaleConfig, outdir: Path, settings: Settings, repeat: int = 5) -> dict:
    """First and warm ``recommend`` on ``cfg.items`` synthetic items of ``cfg.dim`` dimensions."""
    embedder = SyntheticEmbedder(cfg)
    ctx = open_context(settings.but(home=outdir / "product-home", embedder=embedder.name), embedder=embedder)
    store = ctx.store
    words = pseudo_texts(cfg, cfg.items)
    titles = [" ".join(w[:6]) for w in words]
    texts = [" ".join(w[6:]) for w in words]
    hashes = [text_hash(f"{t}\n{x}") for t, x in zip(titles, texts)]
    content = pa.table({"id": [f"item-{i:06d}" for i in range(cfg.items)], "title": titles, "text": texts,
                        "language": ["fr", "en"] * (cfg.items // 2) + ["fr"] * (cfg.items % 2), "h": hashes})
    store.db.register("synthetic_content", content)
    store.execute("INSERT INTO content (id, title, text, kind, language, language_supported, content_hash, record_hash) "
                  "SELECT id, title, text, ?, language, TRUE, h, h FROM synthetic_content", ["article"])
    vectors = pa.table({"h": hashes, "v": [v.tobytes() for v in make_items(cfg)]})
    store.db.register("synthetic_vectors", vectors)
    store.execute("INSERT INTO embeddings (model, text_hash, dim, vector) SELECT ?, h, ?, v FROM synthetic_vectors",
                  [embedder.name, cfg.dim])
    person = {"email": "bench@example.com", "name": "Bench", "languages": ["fr", "en"],
              "expertise": " ".join(words[0][:30]), "skills": list(words[1][:6]),
              "posts": [" ".join(words[n][:60]) for n in (2, 3, 4)]}
    (outdir / "person.jsonl").write_text(json.dumps(person) + "\n", encoding="utf-8")
    import_people(store, [outdir / "person.jsonl"], max_file_mb=ctx.settings.max_file_mb)
    t0 = time.perf_counter()
    matching.recommend(ctx, person["email"])
    first_s = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        matching.recommend(ctx, person["email"])
        warm.append(time.perf_counter() - t0)
    profiler = cProfile.Profile()
    profiler.runcall(matching.recommend, ctx, person["email"])
    return {"method": "product_recommend", "dim": cfg.dim, "items": cfg.items,
            "first_call_s": round(first_s, 2), "warm_median_ms": round(float(np.median(warm)) * 1000, 1),
            "warm_calls": repeat, "peak_rss_mb": round(peak_rss_mb(), 1), "profile_top": hot_spots(profiler, 1, top=8)}
