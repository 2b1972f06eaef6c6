"""Drafts built on the employee's own words: composed at once, polished by a model only where it helps.

A model cannot know what the employee lived; the employee can say it in one
line. So a drafting request starts from that line (``words``) and composes, with
no model, one variant per form (``composing``: a LinkedIn story, a short post for
X, a question to their network) around it: their words kept as written, the
item's key point condensed in the draft's language (``keypoint``), a closing
question in their tu/vous, their own hashtags and emoji, the disclosure. Every
variant passes ``guardrails.composed_checks`` and is stored before the next is
written, so the first is on screen at once and a closed tab loses nothing.

Without their words there is no post to write for them: the request gives a
scaffold (key point, the questions to answer), which cannot be shared until
they have written their part.

A drafting model then polishes the story variant only where the drafting eval
measured it passing the checks at least as often as the composed text, for that
model and language (``prompts/gates.yaml``; ``PORTE_VOIX_POLISH`` = ``auto`` /
``on`` / ``off``); it gets exactly what the composed draft holds. Its text must
keep the employee's line word for word and every fact, or it is dropped and the
composed variants stand.

    >>> drafts = draft_variants(ctx, "yann.morvan@kerlann.example", "kerlann-malterie",
    ...                         words="trente ans que je goûte nos bières")                     # doctest: +SKIP
    >>> [(d["form"], d["own_words"][0]["text"], d["checks"]["passed"]) for d in drafts]           # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Iterator

import yaml

from models.generator import Generator, GeneratorUnavailable

from .. import language
from ..imports import catalog, people
from ..storage.store import Store
from ..words.catalogue import translate
from .facts import facts_in
from .composing import FORMS, X_LIMIT, Composed, compose, scaffold
from .guardrails import MAX_CHARS, composed_checks
from .injection import as_data
from .keypoint import KeyPoint, key_point
from .policy import Policy
from .prompting import polish_messages
from .proofreading import Grounds, grounds
from .starters import starters
from .tidying import drop_links
from . import translation
from .versions import version_in
from .voice import VoiceProfile, build

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

MAX_NEW_TOKENS = 160      # a polished story is the composed one plus a linking phrase or two
TEMPERATURE = 0.7


@dataclass
class Plan:
    """What one drafting request composes from, checks against and stores into, read and worked out once
    (``plan_for``) and handed down as data: the store and policy are taken from the context once, the
    item sanitised once, its key point and grounds analysed once."""

    person: dict
    item: dict
    lang: str
    words: str
    voice: VoiceProfile
    policy: Policy
    kp: KeyPoint
    grounds: Grounds
    store: Store
    request_id: str
    started: float

    @property
    def seed(self) -> str:
        return f"{self.person['email']}\x1f{self.item['id']}"

    def check(self, draft: Composed) -> dict:
        """Every check of ``draft`` (``guardrails``), within the length its form and the policy allow."""
        limit = X_LIMIT if draft.form == "short" else min(MAX_CHARS, self.policy.max_length.get("linkedin", MAX_CHARS))
        return composed_checks(draft, self.lang, self.kp.facts, self.kp.source, self.policy, self.grounds,
                               self.voice.names, limit)


def plan_for(ctx: Context, email: str, content_id: str, lang: str | None = None, words: str | None = None,
             translate: bool = True) -> Plan:
    """The request's employee, item, language, voice, key point and grounds (``LookupError`` when unknown).

    An item in the other language with no version in the library gets its translated key point
    (``translation``): translated now when ``translate``, else only if it is stored already (the app
    translates in the background while the employee writes); failing that, its figures."""
    store = ctx.store
    person = people.get_person(store, email)
    if person is None:
        raise LookupError(f"no employee with email {email!r}")
    item = catalog.get_item(store, content_id)
    if item is None:
        raise LookupError(f"no content item {content_id!r}")
    words = " ".join((words or "").split())
    lang = lang or draft_language(person, item, words)
    posts = [p["text"] for p in people.posts_of(store, person["email"])]
    voice = build(person, posts, lang=lang)
    version = version_in(store, item, lang) if item["language"] != lang else None
    base = version or item
    title, source = as_data(base)
    kp = key_point(item, lang, avoid_names=voice.names, version=version, source=source, title=title)
    if kp.via == "figures" and translate:
        translation.ensure(ctx, item, lang)
    if kp.via == "figures":
        kp = translation.translated_point(store, item, lang, voice.names) or kp
    policy = ctx.policy
    g = grounds(f"{source}\n{item['text']}", f"{base['title']}\n{item['title']}", person, [*posts, words],
                company=policy.company)
    return Plan(person=person, item=item, lang=lang, words=words, voice=voice, policy=policy, kp=kp, grounds=g,
                store=store, request_id=uuid.uuid4().hex[:12], started=time.perf_counter())


def compose_variants(plan: Plan, n: int = 3) -> Iterator[dict]:
    """The composed variants of ``plan`` (a scaffold when it has no words), each checked and stored in the
    plan's store: the plan holds all the request needs (no context, no model)."""
    disclosure = plan.policy.disclosure_for(plan.lang)
    if not plan.words:
        draft = scaffold(plan.kp, plan.lang, plan.voice, disclosure=disclosure, seed=plan.seed)
        yield _final(plan, 1, draft, plan.check(draft), "composed")
        return
    for number, form in enumerate(FORMS[: max(1, min(n, len(FORMS)))], 1):
        for kp in _plainer(plan.kp):  # a key point the checks refuse gives way to a plainer one
            draft = compose(form, plan.words, kp, plan.voice, plan.lang, disclosure=disclosure, seed=plan.seed,
                            max_hashtags=plan.policy.max_hashtags)
            result = plan.check(draft)
            if result["passed"]:
                break
        yield _final(plan, number, draft, result, "composed")


def _plainer(kp: KeyPoint) -> Iterator[KeyPoint]:
    """``kp``, then the same without its phrases, then nothing but the employee's words (their words always
    stand: a variant never fails because of what the software added)."""
    yield kp
    if kp.details:
        yield dataclasses.replace(kp, details=[], facts=facts_in(kp.headline, kp.facts))
    yield dataclasses.replace(kp, headline="", details=[], facts=[], title="" if kp.via == "figures" else kp.title,
                              via="item")


def stream_variants(ctx: Context, email: str, content_id: str, n: int = 3, lang: str | None = None,
                    words: str | None = None) -> Iterator[tuple[str, dict]]:
    """Draft for one employee and item: ``("variant", draft)`` for each composed variant (at once), then,
    where the model may polish (:func:`polish_allowed`), ``("token", {"variant", "text"})`` while it writes,
    and ``("variant", draft)`` for its text when it passes every check, or ``("notice", {"kind", "reason"})``
    when it was dropped or the model could not be reached."""
    plan = plan_for(ctx, email, content_id, lang, words)
    composed = []
    for draft in compose_variants(plan, n):
        composed.append(draft)
        yield "variant", draft
    if not plan.words or not polish_allowed(ctx, plan.lang):
        return
    story = next((d for d in composed if d["form"] == "story"), None)
    if story is None:
        return
    tokens: list[tuple[str, dict]] = []
    polished = polish(ctx, plan, story, len(composed) + 1, on_token=lambda piece: tokens.append(
        ("token", {"variant": len(composed) + 1, "text": piece})))
    yield from tokens
    if isinstance(polished, dict):
        yield "variant", polished
    else:
        yield "notice", {"kind": "polish_dropped", "reason": polished}


def polish(ctx: Context, plan: Plan, story: dict, number: int, on_token=None) -> dict | str:
    """The model's smoothing of the composed ``story`` draft, stored and returned when it keeps the employee's
    line word for word and passes every check; else the reason it was dropped (a string)."""
    mine = story["own_words"][0]["text"] if story["own_words"] else ""
    text = ""
    try:
        for _, piece in ctx.generator.stream_batch([polish_messages(mine, story["text"], plan.lang)],
                                                   max_new_tokens=MAX_NEW_TOKENS, temperature=TEMPERATURE, seed=1):
            text += piece
            if on_token:
                on_token(piece)
    except GeneratorUnavailable as exc:
        return f"drafting model unavailable: {exc}"
    text = drop_links(text.replace("<moi>", "").replace("</moi>", "").replace("<me>", "").replace("</me>", "")).strip()
    at = text.find(mine) if mine else -1
    if at < 0:
        return "the model reworded the employee's words"
    if " ".join(text.split()) == " ".join(story["text"].split()):
        return "the model gave the story back unchanged"
    draft = Composed(form="polished", text=text, own=((at, at + len(mine)),), point=story["point"])
    result = plan.check(draft)
    if not result["passed"]:
        return "the polished text failed: " + ", ".join(k for k, v in result.items() if k.endswith("_ok") and not v)
    return _final(plan, number, draft, result, ctx.generator.name)


@lru_cache(maxsize=1)
def gates() -> dict:
    """Per model and language, whether the drafting eval measured its polishing as helping (package data)."""
    text = resources.files("assistant.writing").joinpath("prompts", "gates.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text) or {}


def polish_allowed(ctx: Context, lang: str) -> bool:
    """Whether a model polishes composed drafts in ``lang``: ``PORTE_VOIX_POLISH`` on or off, or (auto) the
    measured gate of the configured model; a company's own server model, not measured here, polishes."""
    setting = ctx.settings.polish
    if setting != "auto":
        return setting == "on"
    measured = gates().get(ctx.settings.generator)
    if measured is not None:
        return bool(measured.get(lang))
    return ctx.settings.generator == "openai"


def _final(plan: Plan, number: int, draft: Composed, result: dict, generator: str) -> dict:
    """The stored draft as the app shows it: ``draft`` with its ``result`` (the checks) and where it came from."""
    out = {"id": uuid.uuid4().hex[:16], "variant": number, "form": draft.form, "angle": draft.form,
           "angle_label": translate(plan.lang, f"form.{draft.form}"), "language": plan.lang, "text": draft.text,
           "own_words": draft.own_words, "added": draft.added, "scaffold": draft.scaffold,
           "key_point_via": plan.kp.via, "point": draft.point, "fallback": False, "checks": result, "generator": generator,
           "polished": draft.form == "polished", "attempts": 1, "to_check": [],
           "seconds": round(time.perf_counter() - plan.started, 3)}
    _save(plan, out)
    return out


def draft_language(person: dict, item: dict, words: str = "") -> str:
    """The language of the employee's ``words`` when they write it, else the item's when they write it,
    else their first supported language."""
    languages = [x for x in person.get("languages") or [] if language.is_supported(x)] or ["en"]
    said = language.detect(words) if len((words or "").split()) >= 4 else None
    if said in languages:
        return said
    return item["language"] if item["language"] in languages else languages[0]


def draft_variants(ctx: Context, email: str, content_id: str, n: int = 3, lang: str | None = None,
                   words: str | None = None) -> list[dict]:
    """The final drafts of :func:`stream_variants`, in variant order."""
    drafts = [p for kind, p in stream_variants(ctx, email, content_id, n, lang, words) if kind == "variant"]
    return sorted(drafts, key=lambda d: d["variant"])


def starters_for(ctx: Context, email: str, content_id: str, lang: str | None = None) -> tuple[str, list[dict]]:
    """The editor's question before drafting: ``(language, starters)`` for this employee and item."""
    plan = plan_for(ctx, email, content_id, lang, translate=False)
    return plan.lang, starters(plan.voice, plan.item, plan.lang)


def needs_translation(plan: Plan) -> bool:
    """Whether ``plan``'s item speaks another language with no version in the library nor stored
    translation: a key point the translator can still improve (``translation.ensure``)."""
    return plan.kp.via == "figures"


def _save(plan: Plan, draft: dict) -> None:
    plan.store.execute(
        """INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator, fallback,
                               attempts, checks, seconds, form, own_words, words)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [draft["id"], plan.person["email"], plan.item["id"], plan.request_id, draft["variant"], draft["form"],
         draft["language"], draft["text"], draft["generator"], False, 1,
         json.dumps({**draft["checks"], "to_check": []}, ensure_ascii=False, default=str), draft["seconds"],
         draft["form"], json.dumps(draft["own_words"], ensure_ascii=False), plan.words],
    )


def warm_up(generator: Generator) -> None:
    """Load the drafting model once in the background, so a polish pass does not wait for it: one token of a
    polish request per language, sampled as polishing samples (a server that keeps the sampling of its
    first request, like ``transformers serve --continuous-batching``, then keeps the right one)."""
    for lang in ("fr", "en"):
        generator.generate(polish_messages("…", "…", lang), max_new_tokens=1, temperature=TEMPERATURE, seed=1)
