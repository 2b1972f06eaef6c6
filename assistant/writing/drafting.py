"""Drafts in the employee's voice: prompt, generate, check, regenerate or fall back, store.

For one employee and one content item, Porte-voix proposes 2–3 variants, each
with a distinct angle (my experience / why it matters in my job / a question to
my network). Every variant passes the guardrails before it reaches the
employee:

- language: the requested one (langdetect);
- facts: every key fact of the item kept (numbers, dates, a name, the link);
- originality: not a near-copy of the source (≤ ``MAX_COPIED`` of its word 3-grams);
- policy: no violation of the social-media policy (the tracked link comes at share time);
- length: within the platform's limit.

Each angle gets ``CANDIDATES`` sampled drafts, all written in one batch (on a
CPU a batch costs little more per token than one draft, so the regeneration is
written at the same time as the first attempt instead of after it). A draft
that only dropped facts gets them back in one line, and a question-angle draft
that asks nothing gets the question its fallback would end with (``repair``). The first
candidate (the one streamed) is kept unless it failed, or needed a repair and
the other did not; an angle with no passing candidate gets a grounded fallback
built from the facts and the voice profile, marked ``fallback``. The item's text is
data: it is fenced in the prompt, sentences that address the model ("ignore
previous instructions…") are removed before prompting and never reach a draft,
and the backend is asked not to reproduce long runs of the source (its key facts
excepted) or of the examples.

    >>> drafts = draft_variants(ctx, "camille.durand@nordlys-energie.example", "news-flux42-fr", n=3)  # doctest: +SKIP
    >>> [(d["angle"], d["fallback"], d["checks"]["passed"]) for d in drafts]                         # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Iterator

from models.generator import Generator, GeneratorUnavailable

from .. import language
from ..context import Context
from ..imports import catalog, people
from ..storage.store import Store
from .facts import Fact, key_facts
from .fallback import fallback, question
from .guardrails import checks, failed_checks, failure, repair
from .policy import Policy
from .prompting import angle_label, own_examples, prompt, sanitize, static_messages, templates
from .reading import Grounds, grounds, to_check
from .tidying import finish
from .voice import VoiceProfile, build

ANGLES = ("experience", "job", "question")
MAX_NEW_TOKENS = 128      # the longest candidate that passed the checks (second set, four runs) wrote 105 tokens
CANDIDATES = 2            # sampled drafts per angle, written in one batch: the second is the regeneration
TEMPERATURE = 0.7


@dataclass
class Request:
    """Everything one drafting request checks its candidates against, computed once."""

    item: dict
    voice: VoiceProfile
    policy: Policy
    lang: str
    facts: list[Fact]
    source: str
    removed: list[str]
    examples: list[str]
    grounds: Grounds

    def judge(self, raw: str, angle: str, start: str = "") -> dict:
        """One generated candidate, tidied, checked, and repaired when only facts are missing."""
        text = finish(raw, self.item, self.voice, self.policy, self.lang, start)
        result = self.check(text, angle)
        asked = question(self.voice, self.item, self.lang) if angle == "question" else ""
        fixed = repair(text, result, self.facts, self.source, self.lang, question=asked,
                       disclosure=self.policy.disclosure_for(self.lang) or "",
                       same_language=self.item["language"] == self.lang)
        if fixed != text:
            again = self.check(fixed, angle)
            if again["passed"]:
                again["repaired_facts"] = result["facts_missing"]
                again["repaired_question"] = not result["angle_ok"]
                return {"text": fixed, "checks": again}
        return {"text": text, "checks": result}

    def check(self, text: str, angle: str) -> dict:
        return checks(text, self.lang, self.facts, self.source, self.policy, self.removed, self.examples,
                      grounds=self.grounds, angle=angle, role=self.voice.role)


def request_for(ctx: Context, person: dict, item: dict, lang: str) -> Request:
    """The checks' context of a request: the item as data, its key facts, the employee's voice and grounds."""
    posts = [p["text"] for p in people.posts_of(ctx.store, person["email"])]
    policy = ctx.policy
    source, removed = sanitize(item["text"])
    title = item["title"] if item["language"] == lang else ""
    return Request(item=item, voice=build(person, posts, lang=lang), policy=policy, lang=lang,
                   facts=[f for f in key_facts(source, title) if f.kind != "link"], source=source, removed=removed,
                   examples=own_examples(posts, lang),
                   grounds=grounds(source, item["title"], person, posts, company=policy.company))


def stream_variants(ctx: Context, email: str, content_id: str, n: int = 3,
                    lang: str | None = None) -> Iterator[tuple[str, dict]]:
    """Draft ``n`` (1–3) variants, yielding ``("token", {"variant", "text"})`` while they are written
    (the forced opening of a variant comes first, marked ``"forced": True``),
    ``("retry", {"variant", "reason"})`` when one is regenerated, ``("notice", {"kind", "reason"})`` when
    the drafting model cannot be reached (every variant is then the grounded fallback), and
    ``("variant", draft)`` once one is final.

    All candidates are written together (``generator.stream_batch``), so tokens of different
    variants interleave; the first candidate of each angle is streamed. When another candidate
    (or the fallback) wins, a ``retry`` event says why the first was refused and the winner
    comes as one ``token`` event. Final drafts are stored in the ``drafts`` table, with a
    summary of every candidate's checks.
    """
    store = ctx.store
    person = people.get_person(store, email)
    if person is None:
        raise LookupError(f"no employee with email {email!r}")
    item = catalog.get_item(store, content_id)
    if item is None:
        raise LookupError(f"no content item {content_id!r}")
    lang = lang or draft_language(person, item)
    req = request_for(ctx, person, item, lang)
    generator = ctx.generator
    request_id, started = uuid.uuid4().hex[:12], time.perf_counter()
    angles = ANGLES[: max(1, min(n, len(ANGLES)))]
    # A forced opening keeps the model from talking to the user ("Bien sûr, voici…"); only backends
    # that continue an assistant start get one.
    starts = [templates(lang)["starts"].get(angle, "") if getattr(generator, "continues_start", False) else ""
              for angle in angles]
    prompts = [prompt(req.voice, item, req.facts, angle, lang, req.source, req.examples, start=start)
               for angle, start in zip(angles, starts)]

    def final(index: int, text: str, result: dict, attempts: int, used_fallback: bool) -> dict:
        draft = {"id": uuid.uuid4().hex[:16], "variant": index + 1, "angle": angles[index],
                 "angle_label": angle_label(angles[index], lang, req.voice), "language": lang, "text": text,
                 "to_check": to_check(text, lang, req.grounds),
                 "fallback": used_fallback, "checks": result, "generator": generator.name, "attempts": attempts,
                 "seconds": round(time.perf_counter() - started, 2)}
        _save(store, person["email"], content_id, request_id, draft)
        return draft

    avoid = [_without(req.source, req.facts), templates(lang)["example"]["post"], *req.examples]
    rows = [a for a in range(len(angles)) for _ in range(CANDIDATES)]  # the angle of each row
    texts = [""] * len(rows)
    for a in range(len(angles)):
        if starts[a]:
            yield "token", {"variant": a + 1, "text": starts[a], "forced": True}  # shown at once, not the model's
    unavailable = None
    try:
        for row, piece in generator.stream_batch([prompts[a] for a in rows], max_new_tokens=MAX_NEW_TOKENS,
                                                 temperature=TEMPERATURE, seed=1, avoid=avoid):
            texts[row] += piece
            if row % CANDIDATES == 0:  # the first candidate of each angle is shown while it is written
                yield "token", {"variant": rows[row] + 1, "text": piece}
    except GeneratorUnavailable as exc:  # the company's server is down: grounded drafts, and the employee is told
        unavailable = str(exc)
        yield "notice", {"kind": "generator_unavailable", "reason": unavailable}
        texts = [""] * len(rows)
    for a, angle in enumerate(angles):
        candidates = [req.judge(text, angle, starts[a]) for text in texts[a * CANDIDATES:(a + 1) * CANDIDATES]]
        passing = [c for c in candidates if c["checks"]["passed"]]
        # the first candidate is on screen already: keep it unless it failed, or needed a repair and another did not
        best = min(passing, key=lambda c: repaired(c["checks"]), default=None)
        summary = [{"passed": c["checks"]["passed"], "repaired": repaired(c["checks"]),
                    "copied": c["checks"]["copied"], "facts_missing": c["checks"]["facts_missing"],
                    "failed": failure(c["checks"]), "failed_checks": failed_checks(c["checks"]),
                    "text": c["text"]} for c in candidates]
        if best is not candidates[0]:
            yield "retry", {"variant": a + 1, "reason": failure(candidates[0]["checks"]) or "facts missing"}
        if best is None:
            text = fallback(req.voice, item, req.facts, angle, lang, req.policy)
            result = req.check(text, angle)
            result["replaced_because"] = (f"drafting model unavailable: {unavailable}" if unavailable else
                                          failure(candidates[-1]["checks"]) or "generated variants failed the checks")
            result["candidates"] = summary
            yield "variant", final(a, text, result, len(candidates), True)
            continue
        if best is not candidates[0]:
            yield "token", {"variant": a + 1, "text": best["text"]}
        best["checks"]["candidates"] = summary
        yield "variant", final(a, best["text"], best["checks"], candidates.index(best) + 1, False)


def repaired(checks: dict) -> bool:
    """Whether a draft passed only once a facts line or a question was added (``guardrails.repair``)."""
    return bool(checks.get("repaired_facts") or checks.get("repaired_question"))


def _without(text: str, facts: list[Fact]) -> str:
    """``text`` with each fact replaced by a line break: the generator may write them, not the prose around."""
    for fact in facts:
        text = text.replace(fact.text, "\n")
    return text


def draft_language(person: dict, item: dict) -> str:
    """The item's language when the employee writes it, else their first supported language."""
    languages = [x for x in person.get("languages") or [] if language.is_supported(x)] or ["en"]
    return item["language"] if item["language"] in languages else languages[0]


def draft_variants(ctx: Context, email: str, content_id: str, n: int = 3, lang: str | None = None) -> list[dict]:
    """The final drafts of :func:`stream_variants`, in variant order."""
    drafts = [payload for kind, payload in stream_variants(ctx, email, content_id, n, lang) if kind == "variant"]
    return sorted(drafts, key=lambda d: d["variant"])


def _save(store: Store, email: str, content_id: str, request_id: str, draft: dict) -> None:
    store.execute(
        """INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator, fallback,
                               attempts, checks, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [draft["id"], email, content_id, request_id, draft["variant"], draft["angle"], draft["language"], draft["text"],
         draft["generator"], draft["fallback"], draft["attempts"],
         json.dumps({**draft["checks"], "to_check": draft["to_check"]}, ensure_ascii=False),  # kept for the editor
         draft["seconds"]],
    )


def warm_up(generator: Generator) -> None:
    """Load the drafting model and compute the prompt start every request shares (rules and worked
    example, in both languages), so the first employee to ask for drafts waits no longer than the
    next one. Meant for a background thread at app start: ~5-10 s once per process (plus the
    one-time model conversion on a new machine)."""
    for lang in ("fr", "en"):
        generator.generate(static_messages(lang) + [{"role": "user", "content": "…"}], max_new_tokens=1)
