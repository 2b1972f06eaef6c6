"""Decode several prompts at once on one causal LM: one shared prefill, then one batched step per token.

Scope: transformers causal LMs with a ``DynamicCache``; token ids in, token ids out (the
tokenizer stays with the caller). Why: on a CPU, decoding is bound by reading the weights,
so a step for 3 rows costs little more than a step for 1, and the 2-3 variants of a draft
are written in about the time of one. The prompts of one request share a long prefix (rules,
worked example, the employee's voice, the item's facts); it is computed once, and kept in a
small :class:`PrefixCache` so that a later request recomputes only what differs.

Rows end with suffixes of different lengths. They are aligned by padding *between* the
shared prefix and each suffix; pads are masked out and positions are given explicitly, so
every row attends to exactly its own prompt::

    prefix (shared, computed once) | pad pad a1 a2 a3 |   row 0
                                   | b1 b2 b3 b4 b5   |   row 1

Example::

    cache = PrefixCache()
    for step in decode(model, [ids_a, ids_b], prefix_cache=cache, max_new_tokens=50,
                       stop_ids={eos}, pad_id=eos):
        ...  # step = [(row, token_id), ...] for the rows still writing
"""
from __future__ import annotations

import copy
from typing import Iterator, Sequence

from .generator import TOP_P

MIN_REUSE = 8  # a shorter shared start is not worth copying a cache for


def common_length(rows: Sequence[Sequence[int]]) -> int:
    """Length of the token prefix shared by every row (``[[1, 2, 3], [1, 2, 4]]`` -> 2)."""
    if not rows:
        return 0
    shortest = min(len(r) for r in rows)
    for i in range(shortest):
        first = rows[0][i]
        if any(r[i] != first for r in rows[1:]):
            return i
    return shortest


class PrefixCache:
    """The attention caches of the last few prompt prefixes, most recent last.

    ``lookup`` returns a private copy cut to the longest start it shares with the new ids,
    so the stored entries are never modified by decoding. A handful of slots covers both
    languages' rules and example plus the request in progress (a few MB each).
    """

    def __init__(self, slots: int = 4):
        self.slots = slots
        self.entries: list[tuple[list[int], object]] = []

    def lookup(self, ids: Sequence[int]):
        """``(cache, shared)``: a copy of the best stored cache cropped to ``shared`` tokens, or ``(None, 0)``."""
        best, shared = None, 0
        for stored, cache in self.entries:
            n = common_length([stored, ids])
            if n > shared:
                best, shared = cache, n
        if best is None or shared < MIN_REUSE:
            return None, 0
        cache = copy.deepcopy(best)
        extra = cache.get_seq_length() - shared
        if extra > 0:
            cache.crop(-extra)  # transformers 5: a negative count removes that many from the end
        return cache, shared

    def store(self, ids: Sequence[int], cache) -> None:
        """Keep a copy of ``cache`` (which holds ``ids``), replacing entries it extends.

        A prefix stored already (a request whose shared start was all reused) only moves to the
        most recent slot: no copy.
        """
        ids = list(ids)
        same = [entry for entry in self.entries if entry[0] == ids]
        if same:
            self.entries = [e for e in self.entries if e is not same[0]] + same[:1]
            return
        self.entries = [(s, c) for s, c in self.entries if common_length([s, ids]) < len(s)]
        self.entries.append((ids, copy.deepcopy(cache)))
        del self.entries[: -self.slots]


def banned_runs(texts: Sequence[Sequence[int]], n: int, allowed=lambda run: False) -> dict[tuple, set]:
    """``{first n-1 tokens: {n-th tokens}}`` for every ``n``-token run of ``texts`` that ``allowed`` refuses.

    With it, :func:`decode` never writes an ``n``-token run of these texts: a small model cannot
    paste its source back and has to rephrase. ``allowed(run)`` keeps runs that must stay
    possible (facts: numbers and dates are spelled over many tokens).

    >>> banned_runs([[1, 2, 3, 4]], 3)
    {(1, 2): {3}, (2, 3): {4}}
    """
    table: dict[tuple, set] = {}
    for ids in texts:
        for start in range(len(ids) - n + 1):
            run = tuple(ids[start:start + n])
            if not allowed(run):
                table.setdefault(run[:-1], set()).add(run[-1])
    return table


def decode(model, prompts: Sequence[Sequence[int]], *, prefix_cache: PrefixCache | None = None,
           max_new_tokens: int = 200, temperature: float = 0.0, seed: int = 0, top_p: float = TOP_P,
           stop_ids: set[int] = frozenset(), pad_id: int = 0, banned: dict[tuple, set] | None = None,
           loop_run: int = 0, stats: dict | None = None) -> Iterator[list[tuple[int, int]]]:
    """Yield, at each step, ``[(row, token), ...]`` for the rows still writing.

    A row stops at a token in ``stop_ids`` (not yielded) or after ``max_new_tokens``.
    ``temperature == 0`` is greedy; otherwise nucleus sampling (``top_p``) from a generator
    seeded with ``seed``, so the same call gives the same tokens. Finished rows leave the
    batch, so the others go faster. ``banned`` (from :func:`banned_runs`) forbids the listed
    continuations of each row's last written tokens. With ``loop_run = n``, a row that writes again
    an ``n``-token run it has already written is looping: it stops after that token (yielded), since
    what follows would only repeat, and the other rows no longer wait for it. ``stats`` (if given) receives ``prompt_tokens`` (of the
    longest row) and ``cached_prompt_tokens`` (reused from ``prefix_cache``).
    """
    import torch  # deferred: torch and transformers take seconds to import
    from transformers import DynamicCache

    rows = [list(p) for p in prompts]
    if not rows or any(not r for r in rows):
        raise ValueError("every prompt needs at least one token")
    shared = min(common_length(rows), min(len(r) for r in rows) - 1)  # each row keeps >= 1 own token
    cache, reused = prefix_cache.lookup(rows[0][:shared]) if prefix_cache else (None, 0)
    if stats is not None:
        stats.update(prompt_tokens=max(len(r) for r in rows), cached_prompt_tokens=reused)
    with torch.inference_mode():
        if cache is None:
            cache = DynamicCache(config=model.config)
        if reused < shared:
            model(input_ids=torch.tensor([rows[0][reused:shared]]), past_key_values=cache, use_cache=True,
                  position_ids=torch.arange(reused, shared)[None], logits_to_keep=1)
        if prefix_cache is not None and shared >= MIN_REUSE:
            prefix_cache.store(rows[0][:shared], cache)
        if len(rows) > 1:
            cache.batch_repeat_interleave(len(rows))

        suffixes = [r[shared:] for r in rows]
        width = max(len(s) for s in suffixes)
        input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.ones((len(rows), shared + width), dtype=torch.long)
        positions = torch.zeros((len(rows), width), dtype=torch.long)
        for i, suffix in enumerate(suffixes):
            pad = width - len(suffix)
            input_ids[i, pad:] = torch.tensor(suffix)
            mask[i, shared:shared + pad] = 0
            positions[i, pad:] = torch.arange(shared, shared + len(suffix))
        next_pos = positions[:, -1] + 1
        logits = model(input_ids=input_ids, attention_mask=mask, position_ids=positions,
                       past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1]

        sampler = torch.Generator().manual_seed(int(seed))
        active = list(range(len(rows)))  # original row index of each batch row
        written: list[list[int]] = [[] for _ in rows]
        runs: list[set[tuple]] = [set() for _ in rows]  # each row's loop_run-token runs so far
        width = len(next(iter(banned))) if banned else 0
        for _ in range(max_new_tokens):
            if width:
                for k, row in enumerate(active):
                    forbidden = banned.get(tuple(written[row][-width:])) if len(written[row]) >= width else None
                    if forbidden:
                        logits[k, list(forbidden)] = float("-inf")
            tokens = _choose(logits, temperature, top_p, sampler).tolist()
            for k, row in enumerate(active):
                written[row].append(tokens[k])
            writing = [k for k, t in enumerate(tokens) if t not in stop_ids]
            if writing:
                yield [(active[k], tokens[k]) for k in writing]
            if loop_run:
                writing = [k for k in writing if not _again(written[active[k]], runs[active[k]], loop_run)]
            if not writing:
                return
            if len(writing) < len(active):  # drop the finished rows from every tensor and the cache
                keep = torch.tensor(writing)
                cache.batch_select_indices(keep)
                mask, next_pos = mask[keep], next_pos[keep]
                active = [active[k] for k in writing]
                tokens = [tokens[k] for k in writing]
            mask = torch.cat([mask, torch.ones((len(active), 1), dtype=torch.long)], dim=1)
            logits = model(input_ids=torch.tensor(tokens)[:, None], attention_mask=mask,
                           position_ids=next_pos[:, None], past_key_values=cache, use_cache=True,
                           logits_to_keep=1).logits[:, -1]
            next_pos = next_pos + 1


def _again(written: list[int], seen: set[tuple], n: int) -> bool:
    """Whether the last ``n`` tokens of ``written`` were written before (and remember them).

    >>> seen = set()
    >>> [_again([1, 2, 3, 1, 2, 3][:k], seen, 2) for k in range(1, 7)]
    [False, False, False, False, True, True]
    """
    if len(written) < n:
        return False
    run = tuple(written[-n:])
    if run in seen:
        return True
    seen.add(run)
    return False


def _choose(logits, temperature: float, top_p: float, sampler):
    """Next token per row: argmax, or a nucleus sample at ``temperature``."""
    import torch  # deferred: seconds to import (already loaded by the caller)

    if not temperature or temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / float(temperature), dim=-1)
    ordered, order = probs.sort(dim=-1, descending=True)
    outside = ordered.cumsum(dim=-1) - ordered > top_p  # keep the smallest set reaching top_p
    ordered = ordered.masked_fill(outside, 0.0)
    picked = torch.multinomial(ordered, 1, generator=sampler)
    return order.gather(-1, picked).squeeze(-1)
