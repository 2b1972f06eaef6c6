r"""Tidying a generated draft into a post: drop echoed request labels, wrappers and cut sentences,
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
from .reading import written_urls
from .voice import VoiceProfile


def finish(text: str, item: dict, voice: VoiceProfile, policy: Policy, lang: str, start: str = "") -> str:
    """Tidy a generated draft: drop echoes, wrappers and any link the model wrote, end with the disclosure.

    ``start`` is the forced opening the model continued from (it is part of the post). Drafts
    carry no link: the share step adds the tracked one, once, where it belongs.
    """
    text = start + text
    text = re.split(r"<<<SOURCE|SOURCE>>>", text)[0]
    lines = text.split("\n")
    echo = [line.strip().startswith(_echo_labels()) for line in lines]
    start = next((i for i, e in enumerate(echo) if not e), len(lines))  # labels written back first: skipped
    end = next((i for i in range(start, len(lines)) if echo[i]), len(lines))  # a label later: the post ended
    text = "\n".join(lines[start:end])
    text = text.strip().strip('"«»“”').strip()
    text = re.sub(r"^(post|brouillon|draft)\s*:\s*", "", text, flags=re.I)
    text = voice.agree_text(_drop_cut_sentence(drop_links(text)))
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


_DANGLING = re.compile(r"(?:^|(?<=[.!?])\s*)(?:plus d['’]infos?|en savoir plus|lien|link|more|read more|learn more|"
                       r"à lire ici|details?|détails|ici|here)\s*:?\s*$", re.I)


def drop_links(text: str) -> str:
    r"""``text`` without any link or bare domain, and without the "More:"-style lines left empty by that.

    >>> drop_links("Notre parc tourne.\nPlus d'infos : https://n.example/parc\nÀ bientôt !")
    'Notre parc tourne.\nÀ bientôt !'
    """
    for url in sorted(written_urls(text), key=len, reverse=True):
        text = text.replace(url, "")
    before = text.split("\n")
    after = [_DANGLING.sub("", re.sub(r"[ \t]+([.,])", r"\1", re.sub(r"[ \t]{2,}", " ", line))).rstrip()
             for line in before]
    lines = [new for old, new in zip(before, after) if new.strip(" :-–—") or not old.strip()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
