"""A digest's words: its subject and its bodies (plain text, HTML, Markdown), in the employee's language.

Scope: the texts are the catalogue's ``mail.*`` (``assistant/words``, with every
other word a user reads; same keys in both languages, a test checks it) and the
layouts are Jinja2 templates (``templates/``, ``StrictUndefined``: a missing
value fails rather than leaving a blank): plain text
HTML for e-mail (apprise sends it with its plain-text rendering as
``multipart/alternative``, so every link is also written out as text), Markdown
for Slack and Teams. HTML is autoescaped, so a title typed in the library
cannot inject markup into anyone's mailbox.

    >>> strings("fr")["items_title"], strings("en")["items_title"]
    ('À partager cette semaine', 'Worth sharing this week')
    >>> short_date(dt.date(2026, 12, 7), "fr"), short_date(dt.date(2026, 12, 7), "en")
    ('7 déc.', '7 Dec')
"""

from __future__ import annotations

import datetime as dt
import functools

import jinja2

from ..words.catalogue import LANGUAGES, catalogue, entry, options


@functools.cache
def strings(lang: str) -> dict:
    """The digest's texts in ``lang``: the catalogue's ``mail.*`` (``assistant/words``), its goals' metric
    names under ``goal_metrics`` and the short month names under ``months``."""
    if lang not in LANGUAGES:
        raise ValueError(f"no digest texts for {lang!r}; use {', '.join(LANGUAGES)}")
    words = {key.removeprefix("mail."): value for key, value in catalogue(lang).items()
             if key.startswith("mail.") and not key.startswith("mail.goal_metrics.")}
    return {**words, "goal_metrics": options(lang, "mail.goal_metrics"), "months": entry(lang, "dates.months_short")}


@functools.cache
def _environment(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("assistant.digest", "templates"),
                              autoescape=autoescape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


def short_date(day: dt.date | dt.datetime, lang: str) -> str:
    """``7 déc.`` / ``7 Dec``."""
    return f"{day.day} {strings(lang)['months'][day.month - 1]}"


def post_stats(post: dict, lang: str) -> str:
    """``3 clic(s) · 12 réaction(s)``: clicks always (they are tracked); the network's figures only when reported."""
    t = strings(lang)
    parts = [t["post_clicks"].format(clicks=post["clicks"])]
    if post.get("reported"):
        for key in ("reactions", "comments", "reshares"):
            if post.get(key):
                parts.append(t[f"post_{key}"].format(**{key: post[key]}))
    return " · ".join(parts)


def goal_line(goal: dict, lang: str) -> str:
    t = strings(lang)
    line = t["goal_line"].format(campaign=goal["campaign"], value=goal["value"], target=goal["target"],
                                 label=t["goal_metrics"].get(goal["metric"], goal["metric"]))
    return f"{line} {t['goal_due'].format(date=short_date(goal['due'], lang))}" if goal.get("due") else line


def subject(first_name: str, count: int, lang: str) -> str:
    t = strings(lang)
    return (t["subject"] if count else t["subject_none"]).format(first_name=first_name, count=count)


def render(view: dict, lang: str, kind: str) -> str:
    """``kind`` is ``html`` or ``md``; ``view`` holds the digest's fields (see ``digests.Digest.view``)."""
    template = _environment(kind == "html").get_template(f"digest.{kind}.j2")
    return template.render(d=view, t=strings(lang))
