"""Finding what fits: embeddings stored once per (model, text) and computed for what is new, the
detected languages of profile texts, BM25, the per-language background prior, the pure ranking
arithmetic, and recommendations per employee (one, or many at once for the digests) and experts
per topic, with their reasons and the strength of their evidence (one relevance floor for French
and English topics). Grouped because they are one hybrid-ranking pipeline, shared by the
feed, the digests and the evals.
"""
