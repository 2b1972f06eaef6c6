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
that only dropped facts gets them back in one line (``repair``). The first
candidate (the one streamed) is kept unless it failed, or needed that line and
the other did not; an angle with no passing candidate gets a grounded fallback
built from the facts and the voice profile, marked ``fallback``. The item's text is
data: it is fenced in the prompt, sentences that address the model ("ignore
previous instructions…") are removed before prompting and never reach a draft,
and the backend is asked not to reproduce long runs of the source (its key facts
excepted) or of the examples.

    >>> drafts = draft_variants(store, "camille.durand@nordlys-energie.example", "news-flux42-fr", n=3)
    >>> [(d["angle"], d["fallback"], d["checks"]["passed"]) for d in drafts]
"""

from __future__ import annotations

import re
import time
import uuid
from functools import lru_cache
from typing import Iterator

from models.generator import Generator, get_generator

from . import catalog, language, people
from .authenticity import copied_share
from .config import settings
from .facts import Fact, has_fact, key_facts, missing_facts
from .prompting import (_elide, _role, angle_label, fact_bullets, own_examples, prompt, sanitize, static_messages,
                        templates)
from .policy import Policy, check, load_policy
from .store import Store
from .voice import VoiceProfile, build

ANGLES = ("experience", "job", "question")
MAX_COPIED = 0.3          # share of the draft's word 3-grams found in the source above which it is a near-copy
MAX_NEW_TOKENS = 160      # posts end by themselves after ~95-145 tokens with the default model
CANDIDATES = 2            # sampled drafts per angle, written in one batch: the second is the regeneration
TEMPERATURE = 0.7
MAX_CHARS = 1300          # a LinkedIn post that is read to the end
_GUARDS = ("language_ok", "facts_ok", "originality_ok", "policy_ok", "length_ok", "injection_ok", "example_ok",
           "repetition_ok")
def finish(text: str, item: dict, voice: VoiceProfile, policy: Policy, lang: str) -> str:
    """Tidy a generated draft: drop echoes and wrappers, end with the link and the disclosure."""
    text = re.split(r"<<<SOURCE|SOURCE>>>", text)[0]
    lines = text.split("\n")
    echo = [line.strip().startswith(_echo_labels()) for line in lines]
    start = next((i for i, e in enumerate(echo) if not e), len(lines))  # labels written back first: skipped
    end = next((i for i in range(start, len(lines)) if echo[i]), len(lines))  # a label later: the post ended
    text = "\n".join(lines[start:end])
    text = text.strip().strip('"«»“”').strip()
    text = re.sub(r"^(post|brouillon|draft)\s*:\s*", "", text, flags=re.I)
    text = voice.agree_text(_drop_cut_sentence(text))
    link = item.get("url")
    if link:
        text = _drop_cut_links(text, link)
    if link and link not in text:
        text = f"{text}\n{link}"
    disclosure = policy.disclosure_for(lang)
    if disclosure and check(text, policy) and any(v["rule"] == "disclosure" for v in check(text, policy)):
        text = f"{text}\n{disclosure}"
    return text.strip()


@lru_cache(maxsize=1)
def _echo_labels() -> tuple[str, ...]:
    """How the lines of the request message start ("Mon rôle :", "Angle:"…), in both languages:
    a small model sometimes writes them back before its post, or after it (then starting another)."""
    labels = []
    for lang in ("fr", "en"):
        t = templates(lang)
        for line in (t["facts_message"] + "\n" + t["examples_intro"]).splitlines():
            label = re.sub(r"\{\w+\}", "", line).strip()
            if len(label) >= 5:
                labels.append(label)
    return tuple(labels)


def _drop_cut_sentence(text: str) -> str:
    """A generation stopped by the token limit ends mid-sentence: keep it up to its last full sentence."""
    last = text.rstrip().rsplit("\n", 1)[-1].strip()
    if not last or last.startswith("#") or "http" in last or not re.search(r"[\w,;:'’-]$", last):
        return text
    cut = max(text.rfind(mark) for mark in ".!?…")
    return text[: cut + 1] if cut > len(text) * 0.4 else text


def _repeats(text: str, n: int = 8) -> bool:
    """Whether some run of ``n`` words occurs twice: a small model looping on a paragraph."""
    words = re.findall(r"\w+", text.casefold())
    runs = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(set(runs)) < len(runs)


@lru_cache(maxsize=4)
def example_facts(lang: str) -> tuple[Fact, ...]:
    """The facts of the worked example: one in a draft (not in the item) was copied from the example."""
    return tuple(key_facts(templates(lang)["example"]["post"], "", None, limit=20))


def _drop_cut_links(text: str, link: str) -> str:
    """Remove truncated copies of ``link`` (a generation cut by the token limit), keep every other URL."""
    def keep(match):
        url = match.group(0).rstrip(".,;)")
        return match.group(0) if url == link or not link.startswith(url) else ""

    return re.sub(r"https?://\S+", keep, text).strip()


def checks(text: str, lang: str, facts: list[Fact], source: str, policy: Policy, removed: list[str],
           examples: list[str] = ()) -> dict:
    """Every guardrail on one draft; ``passed`` when all hold.

    ``examples`` are the employee's own posts shown in the prompt: a draft may sound like them,
    not repeat them (same 3-gram test as against the source).
    """
    detected = language.detect(text)
    missing = missing_facts(text, facts)
    copied = copied_share(text, source)
    violations = check(text, policy)
    injected = any(copied_share(text, sentence) > 0.3 for sentence in removed)
    leaked = copied_share(text, templates(lang)["example"]["post"]) > 0.2 or any(
        copied_share(text, post) > MAX_COPIED for post in examples) or any(
        has_fact(text, fact) and not has_fact(source, fact) for fact in example_facts(lang))
    result = {
        "language": detected, "language_ok": detected == lang,
        "facts_total": len(facts), "facts_missing": [f.text for f in missing], "facts_ok": not missing,
        "copied": round(copied, 3), "originality_ok": copied <= MAX_COPIED,
        "policy": violations, "policy_ok": not violations,
        "length": len(text), "length_ok": 0 < len(text) <= min(MAX_CHARS, policy.max_length.get("linkedin", MAX_CHARS)),
        "injection_ok": not injected,
        "example_ok": not leaked,
        "repetition_ok": not _repeats(text),
    }
    result["passed"] = all(result[k] for k in _GUARDS)
    return result


def repair(text: str, result: dict, facts: list[Fact], source: str, lang: str) -> str:
    """A draft whose only fault is dropped facts, with them put back in one line before the link.

    The small default model often writes a good personal post but leaves out a number or a
    date; adding the item's own clause for each missing fact keeps the employee's angle and
    costs nothing, where a regeneration costs seconds. Other faults return ``text`` unchanged.
    """
    if result["facts_ok"] or any(not result[k] for k in _GUARDS if k != "facts_ok"):
        return text
    missing = [f for f in facts if f.text in result["facts_missing"]]
    line = templates(lang)["facts_line"].format(facts=" ; ".join(fact_bullets(source, "", missing, lang)))
    lines = text.split("\n")
    at = next((i for i, x in enumerate(lines) if "http" in x or x.startswith("#")), len(lines))
    return "\n".join(lines[:at] + [line] + lines[at:])


_FALLBACK = {
    "fr": {
        "experience": "{Ravi} de partager cette nouvelle de mon entreprise : {title}. Ce que je retiens : {facts}. "
                      "C'est un sujet que je suis de près dans mon travail de {role}.",
        "job": "Pourquoi ce sujet compte dans mon métier de {role} : {title}. Les chiffres clés : {facts}. "
               "C'est exactement le genre de projet qui donne du sens à mon quotidien.",
        "question": "{title} : {facts}. Je suis {curieux} d'avoir l'avis de mon réseau.",
    },
    "en": {
        "experience": "Glad to share this news from my company: {title}. What stands out to me: {facts}. "
                      "It is a topic I follow closely in my work as {role}.",
        "job": "Why this matters in my job as {role}: {title}. The key numbers: {facts}. "
               "This is the kind of work that makes my day-to-day meaningful.",
        "question": "{title}: {facts}. I would love to hear what my network thinks.",
    },
}


_KIND_WORDS = {"fr": {"article": "cet article", "job_offer": "cette offre d'emploi", "news": "cette actualité",
                       "event": "cet événement"},
               "en": {"article": "this article", "job_offer": "this job offer", "news": "this news", "event": "this event"}}


def fallback(voice: VoiceProfile, item: dict, facts: list[Fact], angle: str, lang: str, policy: Policy) -> str:
    """A grounded draft from the facts and the voice profile: plain, correct, and clearly a starting point."""
    t = templates(lang)
    role = _role(voice.role or ("collaborateur" if lang == "fr" else "an employee"), lang)
    title = item["title"] if item["language"] == lang else _KIND_WORDS[lang].get(item["kind"], _KIND_WORDS[lang]["news"])
    body = _FALLBACK[lang][angle].format(Ravi=voice.agree("ravi").capitalize(), curieux=voice.agree("curieux"), title=title,
                                         facts=", ".join(f.text for f in facts if f.kind != "link") or title, role=role)
    body = _elide(body, lang)
    text = f"{body} {t['questions'][voice.address if lang == 'fr' else 'vous']}"
    if voice.uses_emoji and voice.emoji:
        text += f" {voice.emoji[0]}"
    room = max(0, min(len(voice.hashtags), round(voice.hashtags_per_post), (policy.max_hashtags or 5) - 1))
    if room:
        text += "\n" + " ".join(voice.hashtags[:room])
    return finish(text, item, voice, policy, lang)


def stream_variants(store: Store, email: str, content_id: str, n: int = 3, generator: Generator | None = None,
                    lang: str | None = None) -> Iterator[tuple[str, dict]]:
    """Draft ``n`` (1–3) variants, yielding ``("token", {"variant", "text"})`` while they are written,
    ``("retry", {"variant", "reason"})`` when one is regenerated, and ``("variant", draft)`` once one is final.

    All candidates are written together (``generator.stream_batch``), so tokens of different
    variants interleave; the first candidate of each angle is streamed. When another candidate
    (or the fallback) wins, a ``retry`` event says why the first was refused and the winner
    comes as one ``token`` event. Final drafts are stored in the ``drafts`` table, with a
    summary of every candidate's checks.
    """
    person = people.get_person(store, email)
    if person is None:
        raise LookupError(f"no employee with email {email!r}")
    item = catalog.get_item(store, content_id)
    if item is None:
        raise LookupError(f"no content item {content_id!r}")
    lang = lang or draft_language(person, item)
    posts = [p["text"] for p in people.posts_of(store, person["email"])]
    voice = build(person, posts, lang=lang)
    examples = own_examples(posts, lang)
    policy = load_policy(store.settings)
    source, removed = sanitize(item["text"])
    facts = key_facts(source, item["title"] if item["language"] == lang else "", item.get("url"))
    generator = generator or default_generator()
    request_id, started = uuid.uuid4().hex[:12], time.perf_counter()
    angles = ANGLES[: max(1, min(n, len(ANGLES)))]
    prompts = [prompt(voice, item, facts, angle, lang, source, examples) for angle in angles]

    def final(index: int, text: str, result: dict, attempts: int, used_fallback: bool) -> dict:
        draft = {"id": uuid.uuid4().hex[:16], "variant": index + 1, "angle": angles[index],
                 "angle_label": angle_label(angles[index], lang, voice), "language": lang, "text": text,
                 "fallback": used_fallback, "checks": result, "generator": generator.name, "attempts": attempts,
                 "seconds": round(time.perf_counter() - started, 2)}
        _save(store, person["email"], content_id, request_id, draft)
        return draft

    avoid = [_without(source, facts), templates(lang)["example"]["post"], *examples]
    rows = [a for a in range(len(angles)) for _ in range(CANDIDATES)]  # the angle of each row
    texts = [""] * len(rows)
    for row, piece in generator.stream_batch([prompts[a] for a in rows], max_new_tokens=MAX_NEW_TOKENS,
                                             temperature=TEMPERATURE, seed=1, avoid=avoid):
        texts[row] += piece
        if row % CANDIDATES == 0:  # the first candidate of each angle is shown while it is written
            yield "token", {"variant": rows[row] + 1, "text": piece}
    for a in range(len(angles)):
        candidates = [_judge(text, item, voice, policy, lang, facts, source, removed, examples)
                      for text in texts[a * CANDIDATES:(a + 1) * CANDIDATES]]
        passing = [c for c in candidates if c["checks"]["passed"]]
        # the first candidate is on screen already: keep it unless it failed, or needed a facts line and another did not
        best = min(passing, key=lambda c: bool(c["checks"].get("repaired_facts")), default=None)
        summary = [{"passed": c["checks"]["passed"], "repaired": bool(c["checks"].get("repaired_facts")),
                    "copied": c["checks"]["copied"], "facts_missing": c["checks"]["facts_missing"],
                    "failed": _failure(c["checks"])} for c in candidates]
        if best is not candidates[0]:
            yield "retry", {"variant": a + 1, "reason": _failure(candidates[0]["checks"]) or "facts missing"}
        if best is None:
            text = fallback(voice, item, facts, angles[a], lang, policy)
            result = checks(text, lang, facts, source, policy, removed, examples)
            result["replaced_because"] = _failure(candidates[-1]["checks"]) or "generated variants failed the checks"
            result["candidates"] = summary
            yield "variant", final(a, text, result, len(candidates), True)
            continue
        if best is not candidates[0]:
            yield "token", {"variant": a + 1, "text": best["text"]}
        best["checks"]["candidates"] = summary
        yield "variant", final(a, best["text"], best["checks"], candidates.index(best) + 1, False)


def _without(text: str, facts: list[Fact]) -> str:
    """``text`` with each fact replaced by a line break: the generator may write them, not the prose around."""
    for fact in facts:
        text = text.replace(fact.text, "\n")
    return text


def _judge(raw: str, item, voice, policy, lang, facts, source, removed, examples) -> dict:
    """One generated candidate, tidied, checked, and repaired when only facts are missing."""
    text = finish(raw, item, voice, policy, lang)
    result = checks(text, lang, facts, source, policy, removed, examples)
    fixed = repair(text, result, facts, source, lang)
    if fixed != text:
        again = checks(fixed, lang, facts, source, policy, removed, examples)
        if again["passed"]:
            again["repaired_facts"] = result["facts_missing"]
            return {"text": fixed, "checks": again}
    return {"text": text, "checks": result}


def draft_language(person: dict, item: dict) -> str:
    """The item's language when the employee writes it, else their first supported language."""
    languages = [x for x in person.get("languages") or [] if language.is_supported(x)] or ["en"]
    return item["language"] if item["language"] in languages else languages[0]


def draft_variants(store: Store, email: str, content_id: str, n: int = 3, generator: Generator | None = None,
                   lang: str | None = None) -> list[dict]:
    """The final drafts of :func:`stream_variants`, in variant order."""
    drafts = [payload for kind, payload in stream_variants(store, email, content_id, n, generator, lang) if kind == "variant"]
    return sorted(drafts, key=lambda d: d["variant"])


def _failure(result: dict | None) -> str:
    if not result:
        return ""
    names = {"language_ok": "wrong language", "facts_ok": "facts missing", "originality_ok": "too close to the source",
             "policy_ok": "policy", "length_ok": "length", "injection_ok": "followed text from the source",
             "example_ok": "copied an example", "repetition_ok": "repeats itself"}
    return ", ".join(label for key, label in names.items() if not result.get(key, True))


def _save(store: Store, email: str, content_id: str, request_id: str, draft: dict) -> None:
    import json

    store.execute(
        """INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator, fallback,
                               attempts, checks, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [draft["id"], email, content_id, request_id, draft["variant"], draft["angle"], draft["language"], draft["text"],
         draft["generator"], draft["fallback"], draft["attempts"], json.dumps(draft["checks"], ensure_ascii=False),
         draft["seconds"]],
    )


_generators: dict[str, Generator] = {}


def default_generator(name: str | None = None) -> Generator:
    """The configured generator (``PORTE_VOIX_GENERATOR``), built once per process; nothing loads until it drafts."""
    cfg = settings()
    name = name or cfg.generator
    if name not in _generators:
        options = {} if name == "fake" else {"cache_dir": cfg.ensure().model_cache / "generators"}
        _generators[name] = get_generator(name, **options)
    return _generators[name]


def warm_up(generator: Generator | None = None) -> None:
    """Load the drafting model and compute the prompt start every request shares (rules and worked
    example, in both languages), so the first employee to ask for drafts waits no longer than the
    next one. Meant for a background thread at app start: ~5-10 s once per process (plus the
    one-time model conversion on a new machine)."""
    generator = generator or default_generator()
    for lang in ("fr", "en"):
        generator.generate(static_messages(lang) + [{"role": "user", "content": "…"}], max_new_tokens=1)
