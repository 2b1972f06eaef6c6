"""Recommendations for many employees at once: the ranking of ``matching.recommend``, batched.

Scope and why: a weekly digest ranks the whole library for every enrolled
employee. Calling ``recommend`` 10,000 times over 50,000 items redoes, per
unit, three matrix products, three row standardisations and a k-NN smoothing
pass over (units x items) matrices (~183 s for the products alone). Both the
standardisation and the smoothing are linear, so they fold into the *item*
side once:

- per member model ``m``, ``zrow(q·Cmᵀ) = (q·Cmᵀ − q·μm) / σm(q)`` with
  ``μm`` the mean item vector and ``σm(q)² = qᵀ·Gm·q − (q·μm)²`` (``Gm`` the
  items' second-moment matrix, ``d×d``): a per-unit scale and offset;
- smoothing ``S + λ·S·Wᵀ`` adds each item's neighbours: ``C'' = C + λ·W·C`` and
  ``r = 1 + λ·W·1``, so the smoothed, fused, standardised score of unit ``q``
  is one dot product ``q' · Dₙ`` with ``q' = [qm / (M·σm(q))]ₘ`` and
  ``Dₙ = C''ₙ − rₙ·μ``.

One float32 product ``Q' (units, d) @ Dᵀ (d, items)`` per chunk of employees
then gives what ``recommend`` computes, up to float rounding; ``max(·, 0)``,
the weighted mean over each employee's units, the campaign and recency bonus,
the "already shared" and "readable" tiers, near-duplicate filtering (MMR) and
the reasons follow ``recommend`` step by step. The head of each row is found
with a sampled threshold (exact: see :func:`head_candidates`) instead of a
full ``argpartition``.

Lexical evidence (``Weights.lexical_recommend``, 0 by default) is not folded:
with it, each employee goes through ``recommend``.

    >>> recommend_many(ctx, [])
    {}
    >>> recommend_many(ctx, ["camille.durand@…"], limit=3)     # with the demo loaded  # doctest: +SKIP
    {'camille.durand@…': [{'id': …, 'title': …, 'score': 1.73, 'reason': …}, …]}

Shapes: ``D (items, d)`` float32; one chunk's ``S (units, items)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
from scipy import sparse
from scipy.linalg import blas

from ..imports import people
from .embeddings import model_key, text_hash, vectors
from .matching import (WEIGHTS, UNIT_WEIGHTS, ContentIndex, UnknownEmployee, Weights, blocks, content_index,
                       freshness, reason, recommend)
from .ranking import mmr
from .text_languages import languages_of

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

Progress = Callable[[int, int], None]  # (employees done, total)
COLUMN_BLOCK = 4096                      # items per product: the block's scores stay in cache for max and mean


@dataclass
class ItemSide:
    """What every unit is scored against: ``D`` and the per-model moments, for one content index."""

    d: np.ndarray                  # (n, dim) float32: smoothed items minus r·μ
    means: list[np.ndarray]        # per model: μm (dm,) float64
    moments: list[np.ndarray]      # per model: Gm (dm, dm) float64
    parts: list[slice]
    bonus: np.ndarray              # (n,) campaign + recency bonus
    languages: np.ndarray          # (n,) item languages
    ids: dict[str, int]            # item id -> row


_item_cache: dict = {}
_item_lock = threading.Lock()


def item_side(index: ContentIndex, parts: list[slice], weights: Weights, today) -> ItemSide:
    """Fold standardisation and smoothing into the item matrix (cached per content index and day)."""
    key = (id(index.parts), weights, today)
    with _item_lock:
        hit = _item_cache.get("value")
        if hit is not None and _item_cache.get("key") == key:
            return hit
    centred = np.ascontiguousarray(np.hstack(index.parts), dtype=np.float32)   # (n, dim), the models side by side
    n = len(centred)
    means = [part.astype(np.float64).mean(axis=0) for part in index.parts]
    moments = [_second_moment(part) / n for part in index.parts]
    idx, w = index.neighbours
    d = centred.copy()
    r = np.ones(n, dtype=np.float32)
    if weights.smoothing and idx.shape[1]:
        graph = sparse.csr_matrix((w.ravel(), idx.ravel(), np.arange(0, n * idx.shape[1] + 1, idx.shape[1])),
                                  shape=(n, n))
        d += np.float32(weights.smoothing) * (graph @ centred)          # each item plus its neighbours' share
        r += np.float32(weights.smoothing) * w.sum(axis=1)
    mu = np.concatenate(means).astype(np.float32)
    for start in range(0, n, 8192):                                    # minus r·μ, in blocks: no n x dim temporary
        d[start:start + 8192] -= r[start:start + 8192, None] * mu[None, :]
    bonus = np.array([weights.campaign * item["priority"] + weights.recency * freshness(item, today)
                      for item in index.items], dtype=np.float32)
    side = ItemSide(d, means, moments, parts, bonus, np.array([str(i["language"]) for i in index.items]),
                    {item["id"]: row for row, item in enumerate(index.items)})
    with _item_lock:
        _item_cache.clear()
        _item_cache.update(key=key, value=side, index=index)  # the index is kept so id(index.parts) stays unique
    return side


def _second_moment(part: np.ndarray) -> np.ndarray:
    """``partᵀ·part`` (float64) by a symmetric rank-k update: half the flops of a product (float32; ~1e-6 relative)."""
    upper = blas.ssyrk(1.0, part.T, trans=0)                  # part.T of a C-ordered matrix is Fortran-ordered: no copy
    return (np.triu(upper) + np.triu(upper, 1).T).astype(np.float64)


def query_side(centred: list[np.ndarray], side: ItemSide) -> np.ndarray:
    """``Q'``: each model block of the centred units scaled by ``1 / (M · σm)`` (``σ < 1e-9`` → 1, as ``zrows``)."""
    m = len(centred)
    out = []
    for q, mu, g in zip(centred, side.means, side.moments):
        q64 = q.astype(np.float64)
        mean = q64 @ mu
        var = np.einsum("ij,ij->i", (q @ g.astype(np.float32)).astype(np.float64), q64) - mean ** 2
        sd = np.sqrt(np.maximum(var, 0.0))
        sd = np.where(sd < 1e-9, 1.0, sd)
        out.append((q64 / (m * sd)[:, None]).astype(np.float32))
    return np.hstack(out) if out else np.zeros((0, side.d.shape[1]), dtype=np.float32)


def head_candidates(scores: np.ndarray, head: int, sample_every: int = 10) -> list[np.ndarray]:
    """Per row, a set of column indices that holds the row's ``head`` best finite values.

    Exact, and cheap for long rows: the ``head``-th best value of a column sample
    is a threshold that at least ``head`` values of the full row reach, and that
    every value of the row's true top ``head`` reaches, so ``row >= threshold``
    keeps the top (about ``head · sample_every`` columns), which a small
    ``argpartition`` then cuts. Rows whose sample has too few finite values are
    cut over all their finite columns. ``-inf`` marks excluded columns.

    >>> s = np.array([[0.1, 5, 3, -np.inf, 4, 2]], dtype=np.float32)
    >>> sorted(head_candidates(s, 2, sample_every=2)[0].tolist())
    [1, 4]
    """
    rows, n = scores.shape
    sample = scores[:, ::sample_every]
    if sample.shape[1] > head:
        threshold = -np.partition(-sample, head - 1, axis=1)[:, head - 1]
    else:
        threshold = np.full(rows, -np.inf, dtype=scores.dtype)
    out = []
    for row in range(rows):
        t = threshold[row]
        cand = np.flatnonzero(scores[row] >= t) if np.isfinite(t) else np.flatnonzero(np.isfinite(scores[row]))
        if len(cand) > head:
            cand = cand[np.argpartition(-scores[row, cand], head - 1)[:head]]
        out.append(np.sort(cand))
    return out


def _people(store, emails: list[str]) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """Employees and their posts (in ``posts_of`` order), two queries for everyone."""
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails))
    persons = {p["email"]: p for p in store.rows(
        "SELECT e.* FROM employees e JOIN (SELECT unnest(?::TEXT[]) AS email) w USING (email)", [wanted])}
    missing = [e for e in wanted if e not in persons]
    if missing:
        raise UnknownEmployee(f"no employee with email {missing[0]!r}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    posts: dict[str, list[dict]] = {e: [] for e in wanted}
    for post in store.rows("""SELECT p.email, p.text, p.language FROM employee_posts p
                              JOIN (SELECT unnest(?::TEXT[]) AS email) w USING (email)
                              ORDER BY p.email, p.created_at, p.id""", [wanted]):
        posts[post["email"]].append(post)
    return persons, posts


def _shared(store, emails: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in store.rows("""SELECT s.email, s.content_id FROM shares s
                             JOIN (SELECT unnest(?::TEXT[]) AS email) w USING (email)""", [emails]):
        out.setdefault(row["email"], set()).add(row["content_id"])
    return out


def _unit_vectors(store, embedder, texts: list[str]) -> np.ndarray:
    """Stored vectors of ``texts`` by one join (``embeddings.vectors`` filters with ``list_contains``, ~8x
    slower for 40,000 texts); only texts never embedded go through ``vectors``, which embeds and stores them."""
    hashes = [text_hash(t) for t in texts]
    known = {h: np.frombuffer(blob, dtype=np.float32) for h, blob in store.execute(
        """SELECT e.text_hash, e.vector FROM embeddings e JOIN (SELECT unnest(?::TEXT[]) AS text_hash) w USING (text_hash)
           WHERE e.model = ?""", [list(dict.fromkeys(hashes)), model_key(embedder, "passage")]).fetchall()}
    missing = list(dict.fromkeys(t for t, h in zip(texts, hashes) if h not in known))
    if missing:
        computed, _ = vectors(store, embedder, missing)
        known.update(zip((text_hash(t) for t in missing), computed))
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([known[h] for h in hashes]).astype(np.float32, copy=False)


@dataclass
class _Units:
    """Every employee's units, laid out contiguously: rows ``starts[i]:starts[i+1]`` are employee ``i``'s."""

    labels: list[tuple[str, str]]
    langs: list[str]
    weights: np.ndarray
    starts: np.ndarray

    def size(self, position: int) -> int:
        return int(self.starts[position + 1] - self.starts[position])


def _units(store, order: list[str], persons: dict, posts: dict, weights: Weights) -> _Units:
    labels, langs, w, starts = [], [], [], [0]
    pending: list[tuple[int, str]] = []
    for email in order:
        mine = posts[email]
        units = people.profile_texts(persons[email], mine)
        post_langs = {p["text"]: p["language"] for p in mine}
        for label, text in units:
            lang = post_langs.get(text)
            if not lang:
                pending.append((len(langs), text))
            langs.append(lang)
            labels.append((label, text))
            w.append(getattr(weights, UNIT_WEIGHTS[label]) if UNIT_WEIGHTS.get(label) else 1.0)
        starts.append(len(labels))
    detected = languages_of(store, [text for _, text in pending])  # expertise and skills: stored, else detected once
    for (row, text) in pending:
        langs[row] = detected[text]
    return _Units(labels, langs, np.array(w, dtype=np.float32), np.array(starts))


def _centre_rows(raw: np.ndarray, langs: list[str], means: list[dict], parts: list[slice]) -> list[np.ndarray]:
    """``ranking.centre`` for each model block, with one mean matrix per language instead of one per row."""
    out = []
    lang_arr = np.array(langs, dtype=object)
    for part, mu in zip(parts, means):
        x = raw[:, part].astype(np.float32, copy=True)
        for lang in set(langs):
            rows = lang_arr == lang
            x[rows] -= mu.get(lang, mu[None])
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        out.append(x / np.where(norms == 0, 1, norms))
    return out


def recommend_many(ctx: Context, emails: Iterable[str], limit: int = 10, weights: Weights = WEIGHTS,
                   chunk_units: int = 1024, progress: Progress | None = None) -> dict[str, list[dict]]:
    """Top ``limit`` items for each of ``emails``, as ``{email: recommend(ctx, email, limit)}`` would give.

    Employees are grouped by the languages they read: ``recommend`` only falls back to
    items in other languages when fewer than ``limit`` readable ones remain, so a group is
    scored against its readable items only (half the library for a one-language reader),
    and the rare employee short of readable items is completed alone. ``chunk_units``
    bounds memory: a chunk holds its employees' scores (``employees x items``, ~50 MB for 256
    employees and 50,000 items) and one ``chunk_units x 4,096`` block of unit scores at a time.
    Unknown emails raise ``UnknownEmployee``.
    """
    store, embedder, today = ctx.store, ctx.embedder, ctx.today()
    order = list(dict.fromkeys(e.strip().lower() for e in emails))
    if not order:
        return {}
    if weights.lexical_recommend:
        return {email: recommend(ctx, email, limit, weights) for email in order}
    persons, posts = _people(store, order)
    index = content_index(store, embedder, today, weights=weights)
    if not index.items:
        return {email: [] for email in order}
    side = item_side(index, blocks(embedder), weights, today)
    units = _units(store, order, persons, posts, weights)
    raw = _unit_vectors(store, embedder, [text for _, text in units.labels])
    shared = _shared(store, order)
    groups: dict[frozenset, list[int]] = {}
    for position, email in enumerate(order):
        groups.setdefault(frozenset(persons[email]["languages"] or []), []).append(position)
    results: dict[str, list[dict]] = {}
    done = 0
    for reads, positions in groups.items():
        cols = np.arange(len(index.items)) if not reads else np.flatnonzero(np.isin(side.languages, sorted(reads)))
        group = _Group(reads, cols, np.ascontiguousarray(side.d[cols]), side.bonus[cols])
        start = 0
        while start < len(positions):
            stop, size = start + 1, units.size(positions[start])
            while stop < len(positions) and size + units.size(positions[stop]) <= chunk_units:
                size += units.size(positions[stop])
                stop += 1
            chunk = positions[start:stop]
            _rank_chunk(ctx, [order[p] for p in chunk], chunk, units, raw, index, side, group, persons, shared,
                        limit, weights, results)
            done += len(chunk)
            start = stop
            if progress:
                progress(done, len(order))
    return {email: results[email] for email in order}


@dataclass
class _Group:
    """Employees reading the same languages: their readable items (``cols``) and those items' rows of ``D``."""

    reads: frozenset
    cols: np.ndarray
    d: np.ndarray
    bonus: np.ndarray


def _rank_chunk(ctx, emails, positions, units: "_Units", raw, index: ContentIndex, side: ItemSide, group: _Group,
                persons, shared, limit, weights: Weights, results) -> None:
    head = max(4 * limit, 50)
    rows = np.concatenate([np.arange(units.starts[p], units.starts[p + 1]) for p in positions]).astype(np.int64)
    sizes = np.array([units.size(p) for p in positions])
    local = np.concatenate([[0], np.cumsum(sizes)])
    scores = np.zeros((len(emails), len(group.cols)), dtype=np.float32)
    q = np.zeros((0, side.d.shape[1]), dtype=np.float32)
    if len(rows):
        centred = _centre_rows(raw[rows], [units.langs[r] for r in rows], index.means, side.parts)
        q = query_side(centred, side)
        w = units.weights[rows]
        owner = np.repeat(np.arange(len(emails)), sizes)
        totals = np.bincount(owner, weights=w, minlength=len(emails))
        mean = sparse.csr_matrix((w / totals[owner], (owner, np.arange(len(rows)))), shape=(len(emails), len(rows)))
        for c0 in range(0, len(group.cols), COLUMN_BLOCK):   # a block of scores stays in cache for max and mean
            s = q @ group.d[c0:c0 + COLUMN_BLOCK].T          # (units, items): smoothed, fused, standardised
            np.maximum(s, 0, out=s)
            scores[:, c0:c0 + COLUMN_BLOCK] = mean @ s       # weighted mean over each employee's units
    scores += group.bonus
    tier_scores = scores.copy()
    for b, email in enumerate(emails):
        rows_shared = np.array([side.ids[c] for c in shared.get(email, ()) if c in side.ids], dtype=np.int64)
        if len(rows_shared):
            j = np.searchsorted(group.cols, rows_shared)
            keep = j < len(group.cols)
            j = j[keep][group.cols[j[keep]] == rows_shared[keep]]       # shared items this group can read
            tier_scores[b, j] = -np.inf
    heads = head_candidates(tier_scores, head)
    del tier_scores
    for b, email in enumerate(emails):
        person = persons[email]
        tier = group.cols[heads[b]]
        picked = mmr(scores[b, heads[b]], index.vectors[tier], limit, duplicate_threshold=weights.duplicate) if len(tier) else []
        order = [int(tier[i]) for i in picked]
        u = q[local[b]:local[b + 1]]
        if len(order) < limit:
            order += _unreadable(email, group, index, side, u, units.weights[rows[local[b]:local[b + 1]]], shared,
                                 limit - len(order), head, weights)
        out = []
        best = np.maximum(u @ side.d[order].T, 0).argmax(axis=0) if len(u) and order else None
        reads = set(person["languages"] or [])
        lang = (person["languages"] or ["en"])[0]
        for j, i in enumerate(order):
            item = index.items[i]
            label, text = units.labels[rows[local[b] + int(best[j])]] if best is not None else (None, None)
            j_col = int(np.searchsorted(group.cols, i))
            score = (float(scores[b, j_col]) if j_col < len(group.cols) and group.cols[j_col] == i
                     else _score_one(u, units.weights[rows[local[b]:local[b + 1]]], side, i))
            out.append({
                "id": item["id"], "title": item["title"], "score": round(score, 4),
                "reason": reason(label, text, item, lang, reads),
                "kind": item["kind"], "language": item["language"], "campaign": item["campaign"], "url": item["url"],
            })
        results[email] = out


def _score_one(u: np.ndarray, w: np.ndarray, side: ItemSide, i: int) -> float:
    base = float((w * np.maximum(u @ side.d[i], 0)).sum() / w.sum()) if len(u) else 0.0
    return base + float(side.bonus[i])


def _unreadable(email, group: _Group, index: ContentIndex, side: ItemSide, u, w, shared, room: int, head: int,
                weights: Weights) -> list[int]:
    """``recommend``'s second tier for one employee short of readable items: items in other languages."""
    if not group.reads:
        return []
    mine = {side.ids[c] for c in shared.get(email, ()) if c in side.ids}
    other = np.array([i for i in np.flatnonzero(~np.isin(side.languages, sorted(group.reads))) if i not in mine],
                     dtype=np.int64)
    if not len(other):
        return []
    score = side.bonus[other].astype(np.float32)
    if len(u):
        score = score + (w[:, None] * np.maximum(u @ side.d[other].T, 0)).sum(axis=0) / w.sum()
    if len(other) > head:
        keep = np.sort(np.argpartition(-score, head - 1)[:head])
        other, score = other[keep], score[keep]
    picked = mmr(score, index.vectors[other], room, duplicate_threshold=weights.duplicate)
    return [int(other[i]) for i in picked]
