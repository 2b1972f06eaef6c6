"""Drafts composed around the employee's own words: no model, nothing they did not say.

The employee gives one line (what the item means to them). Each variant keeps
that line as they wrote it (tidied only: capital, final punctuation, spacing),
adds the item's key point (``keypoint``: short phrases, exact facts), a
closing that fits the form (a real question, in their tu/vous), the hashtags
and emoji their own posts use, and the disclosure as a sentence. The forms:

| form | what it is |
|---|---|
| ``story`` | a LinkedIn post: their words, the key point, a question to their network |
| ``short`` | a post for X: their words and the headline, ≤ 280 characters with the link |
| ``question`` | the headline, then their words, then a question asking whether others see it so |

Without their words there is no post to compose: :func:`scaffold` gives the key
point and the questions to answer, each marked ``✍️``; it cannot be shared while
a marked line is left (``share_rules``). Closings and lead-ins are picked per
employee and item, so five colleagues sharing one item with their own words do
not publish the same text.

>>> from assistant.writing.voice import VoiceProfile
>>> from assistant.writing.keypoint import KeyPoint
>>> kp = KeyPoint(lang="fr", headline="Kerlann ouvre sa malterie (14 octobre 2026).",
...               details=["380 tonnes d'orge par an"])
>>> draft = compose("story", "trente ans que je goûte nos bières  et là on maîtrise enfin le malt",
...                 kp, VoiceProfile(lang="fr", name="Yann"), "fr", disclosure="je travaille chez Kerlann", seed="k")
>>> draft.text.splitlines()[0]
'Trente ans que je goûte nos bières et là on maîtrise enfin le malt.'
>>> draft.text.splitlines()[-1]
'Je travaille chez Kerlann.'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from ..text import HASHTAG
from ..words.catalogue import entry, translate
from .keypoint import KeyPoint
from .units import figure
from .voice import VoiceProfile

FORMS = ("story", "short", "question")
X_LIMIT = 280
LINK_CHARS = 24           # a link counts 23 characters on X, plus its space
MARK = "✍️"               # a scaffold line the employee has to replace
_END = re.compile(r"[.!?…]['\"»”)\]]*\s*$|[\U0001F300-\U0001FAFF\u2600-\u27BF]\s*$")

# Closings (a real question to the network: "story" asks about their side; "question" asks whether they see
# it as the employee does), lead-ins, the scaffold's lines: the catalogue's ``compose.*`` (``assistant/words``).

# The employee's own emoji that may close a question to their network; others ("😅", "😢") stay theirs to place.
CHEERFUL = set("🎉🚀👏💡🌱⚡🙌👍✨📈🔥💪😊🙂🌍🌿☀🔧🍺🪵")


@dataclass(frozen=True)
class Composed:
    """A composed draft: its ``text``, the ``own`` span(s) of the employee's words in it, and, worked out
    once when it is made, ``own_words`` (those spans with their text) and ``added`` (the text without
    them: what the software wrote, what the checks read and an unchanged share is measured against)."""

    form: str
    text: str
    own: tuple[tuple[int, int], ...] = ()
    scaffold: bool = False
    point: str = ""       # the key point as the draft states it (its facts are the ones it must keep)
    own_words: list[dict] = field(init=False)
    added: str = field(init=False)

    def __post_init__(self):
        own_words = [{"start": a, "end": b, "text": self.text[a:b]} for a, b in self.own]
        object.__setattr__(self, "own_words", own_words)  # frozen: set once, here
        object.__setattr__(self, "added", added_text(self.text, own_words))


def added_text(text: str, own_words) -> str:
    """``text`` without the spans of the employee's own words (``[{"start", "end"}]``, or its JSON as stored):
    what an unchanged share is measured against, since their words are theirs already.

    >>> added_text("Mon avis. Le parc ouvre.", '[{"start": 0, "end": 9, "text": "Mon avis."}]')
    ' Le parc ouvre.'
    """
    if isinstance(own_words, str):
        try:
            own_words = json.loads(own_words)
        except ValueError:
            own_words = []
    out, at = [], 0
    for span in sorted(own_words or [], key=lambda o: o["start"]):
        out.append(text[at:span["start"]])
        at = span["end"]
    return "".join(out + [text[at:]])


def tidy(words: str, lang: str) -> str:
    """The employee's line, tidied only: one space between words, a capital, final punctuation, and the
    language's spacing before ``? ! : ;`` (a space in French, none in English). Never reworded.

    >>> tidy("  ça change tout pour nous!", "fr"), tidy("this is huge for our team ?", "en")
    ('Ça change tout pour nous !', 'This is huge for our team?')
    """
    text = " ".join((words or "").split()).strip().strip('"«»“”').strip()
    if not text:
        return ""
    if lang == "fr":
        text = re.sub(r"\s*([?!:;])", r" \1", text).replace(" :/", ":/")
        text = re.sub(r"(https?) :", r"\1:", text)
    else:
        text = re.sub(r"\s+([?!:;])", r"\1", text)
    text = text[:1].upper() + text[1:]
    return text if _END.search(text) else text + "."


def pick(options: list, *keys: str):
    """One of ``options``, the same every time for the same ``keys`` (employee, item, form)."""
    digest = hashlib.sha256("\x1f".join(keys).encode("utf-8")).digest()
    return options[digest[0] % len(options)]


def key_point_text(kp: KeyPoint, lang: str, seed: str, details: int | None = 1) -> str:
    """The key point as sentences: the headline, then ``details`` of its phrases (all with None), which ones
    picked per employee, so that colleagues sharing one item carry different facts of it. Sentence-like
    phrases stand as sentences; the others follow a lead-in picked per employee. Across languages (no
    version), the title is quoted and marked as being in its language, with its dates.

    >>> key_point_text(KeyPoint("en", "Velora completes its pilot.", ["1,200 patients across 9 clinics"]), "en", "s")
    'Velora completes its pilot. The numbers: 1,200 patients across 9 clinics.'
    """
    parts = [kp.headline] if kp.headline else []
    pool = list(kp.details)
    if kp.via == "figures" and kp.title:
        dates = [figure(f, lang) for f in kp.facts if f.kind == "date"]
        pool = [d for d in pool if d not in dates]
        said = ", ".join([translate(lang, f"compose.in_language.{'en' if lang == 'fr' else 'fr'}"), *dates])
        parts.append(translate(lang, "compose.titled", title=kp.title, said=said))
    if pool and details is not None and len(pool) > details:
        first = pick(list(range(len(pool))), seed, "detail")
        pool = (pool[first:] + pool[:first])[:details]
    sentences = [d for d in pool if d[:1].isupper() and len(d.split()) >= 4]
    phrases = [d for d in pool if d not in sentences]
    parts += [d.rstrip(".") + "." for d in sentences]
    if phrases:
        parts.append(f"{pick(entry(lang, 'compose.leads'), seed, 'lead')} {_listed(phrases, lang)}.")
    return " ".join(parts)


def _listed(things: list[str], lang: str) -> str:
    joined = entry(lang, "compose.and")
    return things[0] if len(things) == 1 else ", ".join(things[:-1]) + joined + things[-1]


def closing(form: str, lang: str, voice: VoiceProfile, seed: str) -> str:
    """The question that ends a ``form`` draft, in the employee's tu/vous (French)."""
    address = voice.address if lang == "fr" and voice.address in ("tu", "vous") else "vous"
    return pick(entry(lang, f"compose.closings.{form}.{address}"), seed, form)


def disclosure_sentence(form: str | None) -> str:
    """The policy's disclosure form as a sentence ("je travaille chez Kerlann" -> "Je travaille chez
    Kerlann."); a hashtag form stays a hashtag."""
    if not form:
        return ""
    form = " ".join(form.split())
    if form.startswith("#"):
        return form
    return form[:1].upper() + form[1:] + ("" if _END.search(form) else ".")


def tags_of(voice: VoiceProfile, limit: int | None) -> str:
    """The hashtags the employee's own posts use (as many as they usually put), none if they use none."""
    room = min(len(voice.hashtags), round(voice.hashtags_per_post), max(0, (limit or 5) - 1))
    return " ".join(voice.hashtags[:room]) if voice.hashtags and room > 0 else ""


def compose(form: str, words: str, kp: KeyPoint, voice: VoiceProfile, lang: str, *, disclosure: str | None = None,
            seed: str = "", max_hashtags: int | None = None) -> Composed:
    """One ``form`` draft around the employee's ``words`` (see the module's table)."""
    mine = tidy(words, lang)
    emoji = next((f" {e}" for e in voice.emoji if e in CHEERFUL), "") if voice.uses_emoji else ""
    tags, disclose = tags_of(voice, max_hashtags), disclosure_sentence(disclosure)
    if disclose.startswith("#"):
        tags = " ".join(dict.fromkeys((tags + " " + disclose).split()))
    if form == "short":
        return _short(mine, kp, lang, seed, disclose, emoji)
    disclose = "" if disclose.startswith("#") else disclose
    if form == "question":
        asked = "" if mine.rstrip().endswith("?") else closing("question", lang, voice, seed)
        point = kp.headline if kp.headline and kp.via != "figures" else key_point_text(kp, lang, seed)
        blocks = [point, (mine, True), (asked + emoji).strip(), disclose, tags]
    else:
        point = key_point_text(kp, lang, seed)
        blocks = [(mine, True), point, (closing("story", lang, voice, seed) + emoji).strip(), disclose, tags]
    return _assemble(form, blocks, point=point)


def _short(mine: str, kp: KeyPoint, lang: str, seed: str, disclose: str, emoji: str) -> Composed:
    """Their words and the headline (or one detail), the disclosure if it fits: ≤ 280 with the link."""
    budget = X_LIMIT - LINK_CHARS
    for extra in (kp.headline if kp.headline and kp.via != "figures" else key_point_text(kp, lang, seed), ""):
        for tail in (disclose, ""):
            draft = _assemble("short", [(mine + emoji, True), extra, tail], sep=" ", point=extra)
            if len(draft.text) <= budget:
                return draft
    return _assemble("short", [(mine + emoji, True)], sep=" ")  # their words alone, however long


def _assemble(form: str, blocks: list, sep: str = "\n\n", **rest) -> Composed:
    text, own = "", []
    for block in blocks:
        body, theirs = block if isinstance(block, tuple) else (block, False)
        if not body:
            continue
        if text:
            text += "\n" if (sep == "\n\n" and HASHTAG.fullmatch(body.split()[0]) and not theirs) else sep
        if theirs:
            own.append((len(text), len(text) + len(body.rstrip(" " + "".join(_emoji_chars(body))))))
        text += body
    return Composed(form=form, text=text, own=tuple(own), **rest)


def _emoji_chars(text: str) -> list[str]:
    return re.findall(r"[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F]", text)


def scaffold(kp: KeyPoint, lang: str, voice: VoiceProfile, *, disclosure: str | None = None, seed: str = "") -> Composed:
    """The draft offered without the employee's words: a line for their words, the key point, the questions
    to answer (each marked :data:`MARK`), and the disclosure. Not a post until they write their part."""
    point = key_point_text(kp, lang, seed, details=None)
    blocks = [f"{MARK} {translate(lang, 'compose.scaffold_words')}", point,
              "\n".join(f"{MARK} {q}" for q in entry(lang, "compose.scaffold_questions")),
              disclosure_sentence(disclosure)]
    return _assemble("scaffold", blocks, scaffold=True, point=point)


def scaffold_left(text: str) -> bool:
    """Whether ``text`` still holds a scaffold line the employee has to replace.

    >>> scaffold_left("Mon avis.\\n✍️ Qu'est-ce que cela change pour votre équipe ?"), scaffold_left("Mon avis.")
    (True, False)
    """
    return MARK in (text or "")
