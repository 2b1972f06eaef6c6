"""The grounded fallback: a plain, correct draft built from the item's facts and the voice profile.

Used for an angle when no generated candidate passes the guardrails, and marked
``fallback`` so the employee knows it is a starting point.
"""

from __future__ import annotations

from .facts import Fact
from .policy import Policy
from .prompting import _elide, _role, templates
from .tidying import finish
from .voice import VoiceProfile


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
