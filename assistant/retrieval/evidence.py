"""How strong a colleague's evidence is for a typed topic, in absolute terms: the experts' relevance floor.

Scope and why: the ranking's z-scores are relative to the other documents, so even a nonsense topic
has "best" documents; the floor decides whether anyone is listed at all, and says the strength in
words. It has to hold in both languages and across them. A French topic compared with English
documents gets lower cosines than its English translation does (measured on the demo's topic pairs,
``evals/data/topic_pairs.jsonl``: « maintenance des éoliennes en mer » reaches 0.12 with Lars
Eriksen's posts, "offshore wind turbine maintenance" 0.23), while nonsense reaches 0.10–0.13 in either
language: no single cosine floor separates them. So a colleague's evidence is three numbers, each
comparable across languages:

- ``similarity``: the language-centred cosine of the topic with their best document, each model
  weighed by the mix of the two languages (``Embedder.mix``: no English-only model on a French text);
- ``margin``: that cosine minus the topic's highest cosine with everyday sentences in the document's
  language (``background.SENTENCES``, under the same mix): how much more the document is about the
  topic than ordinary workplace talk is. A translation pays the cross-language discount on both
  terms, so the difference survives it; nonsense is as close to small talk as to any document;
- ``words``: a BM25 match of a document that holds most of the topic's distinctive weight
  (``Bm25.matched_share`` ≥ 0.5), so one common word ("training" in "unicorn training for
  beginners") is not evidence.

A colleague is listed when any of them clears its floor. The floors were set on the demo: 24 topic
pairs and 7 nonsense pairs of ``evals/data/topic_pairs.jsonl`` plus the topics of
``tests/retrieval/test_experts_real.py`` (``python -m evals topics`` reports what each language finds).

    >>> strength(0.4, 0.0, False), strength(0.2, 0.0, False), strength(0.05, 0.12, False), strength(0.12, 0.0, True)
    ('strong', 'moderate', 'moderate', 'moderate')
    >>> strength(0.10, 0.05, False) is None
    True
"""

from __future__ import annotations

import numpy as np

EVIDENCE_FLOOR = 0.18     # mixed cosine from which a colleague is listed
EVIDENCE_STRONG = 0.30    # "strong" from this cosine (or from half of it with distinctive words)
MARGIN_FLOOR = 0.09       # cosine above the topic's closeness to everyday sentences, from which a colleague is listed
MARGIN_STRONG = 0.18      # "strong" from this margin
LEXICAL_FLOOR = 1.0       # BM25 score of a document that shares distinctive words with the topic
WORDS_SHARE = 0.5         # share of the topic's distinctive (IDF) weight those words must hold


def strength(similarity: float, margin: float, words: bool) -> str | None:
    """The evidence of one colleague in words: "strong", "moderate", "weak", or None (under every floor)."""
    if similarity >= EVIDENCE_STRONG or margin >= MARGIN_STRONG or (words and similarity >= EVIDENCE_STRONG / 2):
        return "strong"
    if similarity >= EVIDENCE_FLOOR or margin >= MARGIN_FLOOR or (words and similarity >= EVIDENCE_FLOOR / 2):
        return "moderate"
    return "weak" if words else None


def margins(cosine: np.ndarray, everyday: np.ndarray, everyday_langs: list, doc_langs: list) -> np.ndarray:
    """``cosine`` (per document) minus the highest cosine of the topic with the everyday sentences of each
    document's language (all of them for a language without sentences), shape like ``cosine``.

    >>> margins(np.array([0.3, 0.3]), np.array([0.1, 0.2]), ["fr", "en"], ["fr", "de"]).round(2).tolist()
    [0.2, 0.1]
    """
    langs = np.asarray(everyday_langs, dtype=object)
    top = {lang: float(everyday[langs == lang].max()) for lang in set(everyday_langs)}
    default = float(everyday.max()) if len(everyday) else 0.0
    return cosine - np.array([top.get(lang, default) for lang in doc_langs], dtype=np.float32)
