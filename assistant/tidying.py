"""Tidying a generated draft into a post: drop echoed request labels, wrappers and cut sentences,
make French first-person adjectives agree, add the item's link and the policy's disclosure.

A small model writes back parts of the request ("Mon rôle :", "Angle :"), stops mid-sentence at
the token limit, or truncates a link; what reaches the employee never shows those seams.

>>> _drop_cut_sentence("Une phrase complète. Une autre phrase complète ici. Et une coupée au mil")
'Une phrase complète. Une autre phrase complète ici.'
"""

from __future__ import annotations

import re
from functools import lru_cache

from .policy import Policy, check
from .prompting import templates
from .text import URL
from .voice import VoiceProfile


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


def _drop_cut_links(text: str, link: str) -> str:
    """Remove truncated copies of ``link`` (a generation cut by the token limit), keep every other URL."""
    def keep(match):
        url = match.group(0).rstrip(".,;)")
        return match.group(0) if url == link or not link.startswith(url) else ""

    return URL.sub(keep, text).strip()
