"""BM25 over French and English texts, in numpy: the lexical half of the hybrid ranking.

Dense embeddings catch meaning across languages; exact words (product names,
technical terms such as "SVM" or "RAG") are better caught lexically. Tokens
are lower-cased, accent-folded, stop-word filtered and lightly stemmed.

    >>> index = Bm25(["solar farm in Drôme", "phishing awareness"])
    >>> first, second = index.scores("drome solar")
    >>> bool(first > 1.0), float(second)
    (True, 0.0)
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from ..text import fold

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in is it its of on or that the this to was were will with
    we our you your i my me he she they them their his her not but if so than then there what which who
    can could would should do does did been being into over about after before more most also just
    le la les un une des du de d l et ou en au aux a est sont etre pour par sur dans avec ce cet cette ces
    qui que quoi dont ou il elle ils elles on nous vous je tu me te se mon ma mes ton ta tes son sa ses
    notre nos votre vos leur leurs ne pas plus moins tres tout tous toute toutes comme mais donc car si
    y c j n s qu lui ont avons avez fait faire ete sera""".split()
)


def stem(token: str) -> str:
    """A deliberately light FR/EN stemmer: the plural (Harman's S-stemmer rules, so "turbines" and
    "turbine", "éoliennes" and "éolienne" meet), then a few common endings.

    >>> [stem(t) for t in ("turbines", "turbine", "eoliennes", "policies", "process", "deployments")]
    ['turbine', 'turbine', 'eolienne', 'policy', 'process', 'deploy']
    """
    if len(token) > 4 and token.endswith("ies") and not token.endswith(("eies", "aies")):
        token = token[:-3] + "y"
    elif len(token) > 3 and token.endswith("es") and not token.endswith(("aes", "ees", "oes")):
        token = token[:-1]
    elif len(token) > 3 and token.endswith("s") and not token.endswith(("us", "ss")):
        token = token[:-1]
    for suffix in ("ement", "ation", "ment", "ing"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


def tokens(text: str) -> list[str]:
    return [stem(t) for t in _WORD.findall(fold(text)) if t not in STOPWORDS and len(t) > 1]


class Bm25:
    """Okapi BM25 over a fixed list of documents (k1=1.2, b=0.75)."""

    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.docs = [Counter(tokens(d)) for d in documents]
        lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float32)
        self.norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()) if len(lengths) else 1.0, 1e-9))
        df = Counter(term for d in self.docs for term in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(self.docs):
            for term, tf in d.items():
                self.postings.setdefault(term, []).append((i, tf))

    def matched_share(self, query: str) -> np.ndarray:
        """Per document, the share of the query's distinctive weight (the IDF of its terms) that it contains;
        a term no document holds weighs as much as the rarest, so "unicorn training" is half unknown."""
        terms = set(tokens(query))
        unseen = math.log(1 + (len(self.docs) + 0.5) / 0.5)
        weight = {t: self.idf.get(t, unseen) for t in terms}
        total = sum(weight.values())
        out = np.zeros(len(self.docs), dtype=np.float32)
        for term in terms:
            for i, _ in self.postings.get(term, ()):
                out[i] += weight[term]
        return out / total if total else out

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (shape ``(n_docs,)``)."""
        out = np.zeros(len(self.docs), dtype=np.float32)
        for term, qtf in Counter(tokens(query)).items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, tf in self.postings[term]:
                out[i] += idf * tf * (self.k1 + 1) / (tf + self.norm[i])
        return out
