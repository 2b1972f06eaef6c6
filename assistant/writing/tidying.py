r"""Tidying a model's text into a post: no link of its own, and no "More:"-style line left empty by that.

A model writes links, often mangled; drafts carry none (the share step adds the tracked link once,
where it belongs), so any link or bare domain it wrote is removed before its text is checked.
"""

from __future__ import annotations

import re

from .proofreading import written_urls

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
