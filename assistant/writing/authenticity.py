"""The authenticity score: how much of a post is the employee's own, 0–100, with named parts.

A post shared unchanged from the brand or from the AI draft is worth little
and looks like spam when fifty colleagues post it. The score rewards what only
the employee can add. Components, each 0–1 with a sentence the employee
understands (in their language, from the catalogue: ``authenticity.*`` in ``assistant/words``):

- ``original_source``: words not taken from the company's text (word 3-gram shingles);
- ``original_draft``: words not taken from the AI draft they started from;
- ``original_colleagues``: not a near-copy of a colleague's post of the same item;
- ``meaning``: embedding similarity to the source inside a band (too close is
  a copy or a translation of it, too far is off-topic); band calibrated on STS;
- ``voice``: personal markers: first person, own experience, opinion, a question;
- ``consistency``: close to the employee's own past writing (topic and habits).

Components without input (no draft, no colleagues, no past posts) drop out and
the weights of the others are renormalised. Penalties then take points
off, each shown with its own line so the total on screen is the visible sum of
its parts:

- ``unchanged_draft``: when the post started from an AI draft, what the
  employee did not change keeps only a quarter of its points (the draft's
  qualities are not the employee's);
- ``no_own_sentence``: a post without one sentence of the employee's own
  (``substance.own_sentences``: four different words or more, not mostly taken from
  the source or the draft, not said earlier in the post) keeps only a quarter
  of its points: new words alone ("Top !!!") are not a message;
- ``repetition``: a post that repeats itself (one sentence pasted 60 times)
  loses its points as the share of repeated word 3-grams grows past
  ``REPEAT_FREE`` (none left at ``REPEAT_FULL``);
- ``decoration``: hashtags, emoji and repeated ``!``/``?`` take the place of
  words (``substance.decoration``): points go as their share grows past
  ``DECORATION_FREE`` (none left at ``DECORATION_FULL``).

A penalty that takes nothing off is not listed, and an empty post has no
penalty lines at all (nothing of a draft is "kept" in it).

``parts`` lists every line as whole points (components positive, penalties
negative) rounded so that they add up to ``total``, the score shown.

    >>> result = score("Le parc produit 12 MWc.", "J'ai visité le parc : 12 MWc, impressionnant ! Et vous ?", lang="fr")
    >>> 0 <= result["score"] <= 100, [c["name"] for c in result["components"]][:2]
    (True, ['original_source', 'voice'])
    >>> sum(p["points"] for p in result["parts"]) == result["total"] == round(result["score"])
    True
    >>> score("Le parc produit 12 MWc.", "Je trouve ce parc superbe, allez le voir. " * 60, lang="fr")["score"] < 10
    True
    >>> score("Le parc produit 12 MWc.", "Top !!! #Nordlys #Solaire #Drôme !!!!!!", lang="fr")["score"]
    0.0
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from ..imports import catalog, people
from ..retrieval.embeddings import vectors
from ..text import EMOJI, WORD
from ..words.catalogue import LANGUAGES, translate
from .substance import decoration, own_sentences, repetition, shingles

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

WEIGHTS = {"original_source": 0.30, "original_draft": 0.15, "original_colleagues": 0.10, "meaning": 0.15,
           "voice": 0.20, "consistency": 0.10}
# Cosine band for "meaning kept" under the default embedder, set from the STS dev pairs
# (`python -m evals authenticity` reports the percentiles; README "Authenticity"):
# LOW ≈ p90 of unrelated pairs (0.46), HIGH just above p90 of genuine rewrites (0.88);
# light edits of a long text sit at 0.99. Below LOW the post is off-topic, above HIGH it is the source again.
MEANING_LOW, MEANING_HIGH = 0.45, 0.92
# Scoring a post while it is typed must stay under a second for 3,000 characters on 2 cores, which
# only the fastest member of the default ensemble allows (USE: ~30 ms for 3,000 characters; e5 and
# MiniLM take seconds). The product therefore scores with that member and its own band, set from the
# same labelled pairs (`python -m evals authenticity` with PORTE_VOIX_EMBEDDER=use: unrelated p90
# 0.16, rewrites p90 0.84): AUC 0.9966 with it, 0.9977 with the whole ensemble.
FAST_MEMBER = "use"
BANDS = {"use": (0.17, 0.88)}
DRAFT_FLOOR = 0.25  # share of the score an unchanged AI draft keeps
REPEAT_FREE, REPEAT_FULL = 0.15, 0.5  # share of repeated word 3-grams: no penalty below, no points left above
OWNLESS_KEEP = 0.25  # share of the score a post without any sentence of its own keeps
DECORATION_FREE, DECORATION_FULL = 0.2, 0.5  # share of hashtags, emoji and repeated !/? among the post's tokens
NEAR_COPY = 0.6  # shingle Jaccard above which two colleagues' posts form a near-copy cluster

Embed = Callable[[list[str]], np.ndarray]

_MARKERS = {
    "first_person": {"fr": r"\b(je|moi|mon|ma|mes|me)\b|\b[jm]['’]", "en": r"\b(i|i'm|i’m|i've|i’ve|me|my|mine)\b"},
    "experience": {"fr": r"\b(j'ai|j’ai|nous avons|on a|quand j|l'an dernier|l’an dernier|depuis \d+|retour d'expérience|j'étais|je me souviens|j'ai appris)",
                   "en": r"\b(i've|i’ve|i have|i had|i was|we did|last (year|week|month)|when i|i learned|i remember|in my \w+ years)\b"},
    "opinion": {"fr": r"\b(je pense|je crois|à mon avis|selon moi|je trouve|pour moi|j'adore|je suis (fier|fière|convaincue?|ravie?))",
                "en": r"\b(i think|i believe|in my view|to me|i love|i'm (proud|convinced|excited)|i am (proud|convinced)|my take)\b"},
    "question": {"fr": r"\?", "en": r"\?"},
}


def _words(lang: str, key: str, **values) -> str:
    """The authenticity text ``key`` in ``lang`` (English for a language without a catalogue), from the
    catalogue (``authenticity.*`` in ``assistant/words``)."""
    return translate(lang if lang in LANGUAGES else "en", f"authenticity.{key}", **values)


def copied_share(post: str, source: str) -> float:
    """Share of the post's word 3-grams that also appear in ``source`` (0 = all new, 1 = all copied)."""
    mine = shingles(post)
    return len(mine & shingles(source)) / len(mine) if mine else 1.0


def jaccard(a: str, b: str) -> float:
    return _jaccard_sets(shingles(a), shingles(b))


def _jaccard_sets(sa: set, sb: set) -> float:
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0


def voice_markers(text: str, lang: str) -> dict[str, bool]:
    folded = text.casefold()
    out = {}
    for name, patterns in _MARKERS.items():
        pats = [patterns.get(lang) or patterns["en"]] + [p for l, p in patterns.items() if l != lang]
        out[name] = any(re.search(p, folded) for p in pats)
    return out


def meaning_value(cosine: float, low: float = MEANING_LOW, high: float = MEANING_HIGH) -> tuple[float, str]:
    """1 inside the band; falls linearly to 0 over 0.1 below ``low`` and 0.1 above ``high``."""
    if cosine > high:
        return max(0.0, 1 - (cosine - high) / 0.1), "copy"
    if cosine < low:
        return max(0.0, 1 - (low - cosine) / 0.1), "off"
    return 1.0, "ok"


def style_similarity(post: str, past: list[str]) -> float:
    """How well the post matches the employee's habits: emoji, hashtags, length."""
    def features(text):
        words = max(len(WORD.findall(text)), 1)
        return (EMOJI.search(text) is not None, text.count("#") > 0, np.log(words))
    mine = features(post)
    theirs = [features(p) for p in past]
    emoji = np.mean([t[0] for t in theirs])
    tags = np.mean([t[1] for t in theirs])
    length = np.mean([t[2] for t in theirs])
    agree = 1 - (abs(mine[0] - emoji) + abs(mine[1] - tags)) / 2
    return float(0.5 * agree + 0.5 * max(0.0, 1 - abs(mine[2] - length) / 2))


def score(source: str, post: str, draft: str | None = None, colleagues: Iterable[str] = (),
          past_posts: Iterable[str] = (), lang: str = "en", embed: Embed | None = None,
          band: tuple[float, float] = (MEANING_LOW, MEANING_HIGH)) -> dict:
    """Authenticity of ``post`` written from ``source``.

    Returns ``{"score" (0–100, one decimal), "total" (the whole points shown), "components" (name, label,
    value 0–1, weight, explanation), "parts" (name, label, points; penalties negative), "repetition",
    "tips", "facts" (the measured values, to re-word the result with :func:`describe`)}``.
    """
    colleagues, past_posts = [c for c in colleagues if c.strip()], [p for p in past_posts if p.strip()]
    values: dict[str, float] = {}
    values["original_source"] = 1 - copied_share(post, source)
    if draft and draft.strip():
        values["original_draft"] = 1 - copied_share(post, draft)
    if colleagues:
        mine = shingles(post)
        values["original_colleagues"] = 1 - max(_jaccard_sets(mine, shingles(c)) for c in colleagues)
    verdict = "ok"
    if embed is not None and post.strip():
        texts = [source, post] + ([" ".join(past_posts)] if past_posts else [])
        vecs = embed(texts)
        values["meaning"], verdict = meaning_value(float(vecs[0] @ vecs[1]), *band)
        if past_posts:
            topical = float(np.clip(vecs[1] @ vecs[2], 0, 1))
            values["consistency"] = 0.5 * topical + 0.5 * style_similarity(post, past_posts)
    elif past_posts:
        values["consistency"] = style_similarity(post, past_posts)
    markers = voice_markers(post, lang)
    values["voice"] = sum(markers.values()) / len(markers)

    repeated = repetition(post)
    facts = {"values": values, "verdict": verdict, "markers": markers, "repetition": repeated,
             "empty": not post.strip(), "own_sentences": len(own_sentences(post, source, draft)),
             "decoration": decoration(post),
             "draft_kept": 1 - values["original_draft"] if "original_draft" in values else None}
    return {**describe(facts, lang), "facts": facts}


def describe(facts: dict, lang: str) -> dict:
    """Score, parts, components and tips from a score's ``facts``, worded in ``lang`` (``score`` calls it;
    a page in another language than the employee's calls it again to re-word a result)."""
    values, verdict, markers, repeated = facts["values"], facts["verdict"], facts["markers"], facts["repetition"]
    total_weight = sum(WEIGHTS[n] for n in values)
    found = [_words(lang, f"markers.{m}") for m, ok in markers.items() if ok]
    missing = [_words(lang, f"markers.{m}") for m, ok in markers.items() if not ok]
    nothing = _words(lang, "none")
    components, parts = [], []
    empty = facts["empty"]
    for name in WEIGHTS:
        if name not in values:
            continue
        label = _words(lang, f"{name}.label")
        explanation = _words(lang, "empty") if empty else _words(
            lang, f"{name}.text", pct=round(100 * values[name]), verdict=_words(lang, f"verdict.{verdict}"),
            found=", ".join(found) or nothing, missing=", ".join(missing) or nothing)
        weight = WEIGHTS[name] / total_weight
        components.append({"name": name, "label": label, "value": round(values[name], 3),
                           "weight": round(weight, 3), "explanation": explanation})
        parts.append({"name": name, "label": label, "exact": 0.0 if empty else 100 * weight * values[name]})
    total = sum(p["exact"] for p in parts)
    penalties = [] if empty else _penalties(facts)
    for name, kept, share in penalties:
        label = _words(lang, f"{name}.label")
        lost = total * (1 - kept)
        if lost <= 0:
            continue
        total -= lost
        parts.append({"name": name, "label": label, "exact": -lost,
                      "explanation": _words(lang, f"{name}.text", pct=round(100 * share))})
    for part, points in zip(parts, whole_points([p["exact"] for p in parts])):
        part["points"] = points
        del part["exact"]
    advice = tips(values, markers, lang)
    faults = [name for name, _, _ in penalties if name in ("decoration", "repetition", "no_own_sentence")]
    if "no_own_sentence" in faults and advice and advice[0] in (_words(lang, "tips.original_source"),
                                                                _words(lang, "tips.original_draft")):
        faults.remove("no_own_sentence")  # "rewrite it in your own words" already says it
    for name in faults:  # the worst fault first
        advice = [_words(lang, f"tips.{name}")] + advice[:2]
    return {"score": round(total, 1), "total": sum(p["points"] for p in parts), "components": components,
            "parts": parts, "repetition": round(repeated, 3), "tips": advice}


def _penalties(facts: dict) -> list[tuple[str, float, float]]:
    """``(name, share of the points kept, share shown)`` for each penalty that takes points off, in order."""
    out = []
    kept_draft = facts.get("draft_kept")
    if kept_draft is None and "original_draft" in facts["values"]:
        kept_draft = 1 - facts["values"]["original_draft"]
    if kept_draft:
        # The draft's own qualities (original wording, voice markers) are not the employee's:
        # what they did not change only counts for a quarter.
        out.append(("unchanged_draft", DRAFT_FLOOR + (1 - DRAFT_FLOOR) * (1 - kept_draft), kept_draft))
    if facts.get("own_sentences", 1) == 0:
        out.append(("no_own_sentence", OWNLESS_KEEP, 1.0))
    for name, share, free, full in (("repetition", facts["repetition"], REPEAT_FREE, REPEAT_FULL),
                                    ("decoration", facts.get("decoration", 0.0), DECORATION_FREE, DECORATION_FULL)):
        if share > free:
            out.append((name, 1 - min(1.0, (share - free) / (full - free)), share))
    return out


def whole_points(values: list[float]) -> list[int]:
    """``values`` rounded to whole numbers that still add up to the rounded sum (largest remainders).

    >>> whole_points([10.4, 10.4, 10.2]), whole_points([30.6, -12.3])
    ([11, 10, 10], [30, -12])
    """
    target = round(sum(values))
    floors = [math.floor(v) for v in values]
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: max(0, target - sum(floors))]:
        floors[i] += 1
    return floors


def tips(values: dict[str, float], markers: dict[str, bool], lang: str) -> list[str]:
    """At most three coaching tips, the most useful first."""
    out = [_words(lang, f"tips.{name}") for name in ("original_source", "original_draft", "original_colleagues")
           if name in values and values[name] < 0.5]
    out += [_words(lang, f"tips.{m}") for m in ("experience", "opinion", "question", "first_person") if not markers.get(m)]
    return out[:3]


def near_copy_clusters(items: list[dict], threshold: float = NEAR_COPY) -> list[list]:
    """Groups (size ≥ 2) of ``items`` (dicts with "id", "text") whose texts are near-copies of each other.

    Pairs with shingle Jaccard ≥ ``threshold`` are linked; clusters are the connected
    components of that graph (scipy), largest first.

    >>> near_copy_clusters([{"id": 1, "text": "a b c d e"}, {"id": 2, "text": "a b c d e!"}, {"id": 3, "text": "x y z"}])
    [[1, 2]]
    """
    sets = [shingles(i["text"]) for i in items]
    columns: dict[tuple, int] = {}
    cells = [(row, columns.setdefault(g, len(columns))) for row, found in enumerate(sets) for g in found]
    if not cells:
        return []
    rows, cols = zip(*cells)
    x = csr_matrix((np.ones(len(cells), dtype=np.float32), (rows, cols)), shape=(len(items), len(columns)))
    shared = (x @ x.T).tocoo()  # shingles in common, for every pair that has one (sparse: no n² loop)
    sizes = np.array([len(found) for found in sets], dtype=np.float32)
    upper = shared.row < shared.col
    i, j, common = shared.row[upper], shared.col[upper], shared.data[upper]
    linked = common / (sizes[i] + sizes[j] - common) >= threshold
    if not linked.any():
        return []
    graph = coo_matrix((np.ones(int(linked.sum())), (i[linked], j[linked])), shape=(len(items), len(items)))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list] = {}
    for item, label in zip(items, labels):
        groups.setdefault(int(label), []).append(item["id"])
    return sorted((g for g in groups.values() if len(g) > 1), key=len, reverse=True)


def score_post(ctx: Context, email: str, content_id: str, text: str, draft_text: str | None = None) -> dict:
    """Score an employee's post about an item, with their past posts and colleagues' shares of it."""
    store, embedder = ctx.store, ctx.embedder
    item = catalog.get_item(store, content_id)
    if item is None:
        raise LookupError(f"no content item {content_id!r}")
    person = people.get_person(store, email)
    lang = (person["languages"] or ["en"])[0] if person else "en"
    source = catalog.embedding_text(item)

    member, part = fast_member(embedder)

    def embed(texts: list[str]) -> np.ndarray:
        # texts = [source, post, past posts?]: the source and the past posts are stable, so their
        # (ensemble) vectors are stored once and only their fast member's block is read; only the
        # post being typed is embedded on each call, by the fast member alone.
        stable, _ = vectors(store, embedder, [texts[0]] + texts[2:])
        if part is not None:
            stable = _unit(stable[:, part])
        return np.vstack([stable[:1], member.embed_batch(texts[1:2]), stable[1:]])

    colleagues = [r["text"] for r in store.rows(
        "SELECT text FROM shares WHERE content_id = ? AND email <> ?", [content_id, email])]
    past = [p["text"] for p in people.posts_of(store, email)] if person else []
    return score(source, text, draft=draft_text, colleagues=colleagues, past_posts=past, lang=lang, embed=embed,
                 band=BANDS.get(member.name, (MEANING_LOW, MEANING_HIGH)))


def fast_member(embedder) -> tuple:
    """``(member, columns)``: the ensemble's ``FAST_MEMBER`` and its block of the ensemble vector, or
    ``(embedder, None)`` when it is not an ensemble holding it (then the embedder scores by itself)."""
    start = 0
    for member in getattr(embedder, "members", None) or []:
        if member.name == FAST_MEMBER:
            return member, slice(start, start + member.dim)
        start += member.dim
    return embedder, None


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)
