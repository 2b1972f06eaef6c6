"""The social-media policy: rules in YAML, checked before anything is shared.

Rules (all optional):

```yaml
prohibited_terms: [{term: "Projet Aurore", severity: block, message: "..."}]
disclosure: {forms: ["#NordlysEmployee", "I work at Nordlys"], severity: warn, message: "..."}
max_hashtags: {limit: 5, severity: warn, message: "..."}
tracked_link: {required: true, severity: block, message: "..."}
max_length: {linkedin: 3000, x: 280}
```

Matching is case- and accent-insensitive on whole words. A violation is
``{"rule", "severity", "message"}``; ``block`` stops sharing, ``warn`` is shown.
The tracked-link rule is checked only when the caller has a link to look for
(at share time); drafts, which have no link yet, skip it.

    >>> policy = parse("max_hashtags: {limit: 1}")
    >>> [v["rule"] for v in check("#a #b", policy)]
    ['max_hashtags']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .config import Settings, settings as current_settings

SEVERITIES = ("block", "warn")
DEMO_POLICY = Path(__file__).resolve().parents[1] / "data" / "demo" / "policy.yaml"
DEFAULT_LIMITS = {"linkedin": 3000, "x": 280}
_HASHTAG = re.compile(r"(?<![\w#])#\w+", re.UNICODE)


class PolicyError(ValueError):
    """The YAML is not a valid policy; the message says where and why."""


@dataclass
class Term:
    term: str
    severity: str = "block"
    message: str = ""


@dataclass
class Policy:
    prohibited_terms: list[Term] = field(default_factory=list)
    disclosure_forms: list[str] = field(default_factory=list)
    disclosure_severity: str = "warn"
    disclosure_message: str = "Say that you work for the company."
    max_hashtags: int | None = None
    hashtags_severity: str = "warn"
    hashtags_message: str = "Too many hashtags."
    tracked_link_required: bool = False
    tracked_link_severity: str = "block"
    tracked_link_message: str = "Add your tracked link."
    max_length: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))

    def disclosure_for(self, lang: str) -> str | None:
        """The disclosure form to add to a draft in ``lang`` (a hashtag form works in both languages)."""
        if not self.disclosure_forms:
            return None
        words = {"fr": ("travaille", "chez", "nous", "collaborat", "employeur"), "en": ("work", "at ", "we", "employee", "employer")}
        for form in self.disclosure_forms:
            if any(w in fold(form) for w in words.get(lang, ())) and not form.startswith("#"):
                return form
        return self.disclosure_forms[0]


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()


def _contains(text: str, phrase: str) -> bool:
    folded, target = fold(text), fold(phrase).strip()
    if not target:
        return False
    left = r"(?<!\w)" if target[0].isalnum() else ""
    right = r"(?!\w)" if target[-1].isalnum() else ""
    return re.search(left + re.escape(target) + right, folded) is not None


def _severity(value, where: str) -> str:
    value = str(value or "block").strip().lower()
    if value not in SEVERITIES:
        raise PolicyError(f"{where}: severity must be 'block' or 'warn', got {value!r}")
    return value


def _section(data: dict, key: str) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise PolicyError(f"{key}: expected a mapping of settings")
    return value


def parse(text: str) -> Policy:
    """A ``Policy`` from YAML text; ``PolicyError`` with a precise reason when invalid."""
    try:
        data = yaml.safe_load(text) if text and text.strip() else {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"not valid YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError("the policy must be a mapping of rules")
    unknown = set(data) - {"prohibited_terms", "disclosure", "max_hashtags", "tracked_link", "max_length"}
    if unknown:
        raise PolicyError(f"unknown rule(s): {', '.join(sorted(unknown))}")
    policy = Policy()
    terms = data.get("prohibited_terms") or []
    if not isinstance(terms, list):
        raise PolicyError("prohibited_terms: expected a list")
    for n, entry in enumerate(terms, 1):
        entry = {"term": entry} if isinstance(entry, str) else entry
        if not isinstance(entry, dict) or not str(entry.get("term") or "").strip():
            raise PolicyError(f"prohibited_terms #{n}: needs a non-empty 'term'")
        term = str(entry["term"]).strip()
        policy.prohibited_terms.append(Term(term, _severity(entry.get("severity"), f"prohibited_terms #{n}"),
                                            str(entry.get("message") or f"“{term}” must not appear in a public post.")))
    disclosure = _section(data, "disclosure")
    forms = disclosure.get("forms") or []
    if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
        raise PolicyError("disclosure.forms: expected a list of non-empty texts")
    policy.disclosure_forms = [f.strip() for f in forms]
    policy.disclosure_severity = _severity(disclosure.get("severity", "warn"), "disclosure")
    policy.disclosure_message = str(disclosure.get("message") or policy.disclosure_message)
    hashtags = _section(data, "max_hashtags")
    if hashtags:
        limit = hashtags.get("limit")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise PolicyError("max_hashtags.limit: expected a whole number ≥ 0")
        policy.max_hashtags = limit
        policy.hashtags_severity = _severity(hashtags.get("severity", "warn"), "max_hashtags")
        policy.hashtags_message = str(hashtags.get("message") or f"Use at most {limit} hashtags.")
    link = _section(data, "tracked_link")
    policy.tracked_link_required = bool(link.get("required", False))
    policy.tracked_link_severity = _severity(link.get("severity", "block"), "tracked_link")
    policy.tracked_link_message = str(link.get("message") or policy.tracked_link_message)
    lengths = _section(data, "max_length")
    for network, limit in lengths.items():
        if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            raise PolicyError(f"max_length.{network}: expected a positive whole number")
        policy.max_length[str(network)] = limit
    return policy


def policy_path(settings: Settings | None = None) -> Path:
    return (settings or current_settings()).home / "policy.yaml"


def load_policy(settings: Settings | None = None) -> Policy:
    """The company's policy: ``PORTE_VOIX_HOME/policy.yaml``, else the demo policy."""
    path = policy_path(settings)
    source = path if path.exists() else DEMO_POLICY
    return parse(source.read_text(encoding="utf-8")) if source.exists() else Policy()


def policy_text(settings: Settings | None = None) -> str:
    path = policy_path(settings)
    source = path if path.exists() else DEMO_POLICY
    return source.read_text(encoding="utf-8") if source.exists() else ""


def save(text: str, settings: Settings | None = None) -> Policy:
    """Validate, then write the policy atomically; an invalid policy never replaces a valid one."""
    policy = parse(text)
    path = policy_path((settings or current_settings()).ensure())
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return policy


def check(text: str, policy: Policy, tracked_link: str | None = None, network: str = "linkedin") -> list[dict]:
    """Every rule ``text`` breaks, blocking ones first."""
    out = []
    for term in policy.prohibited_terms:
        if _contains(text, term.term):
            out.append({"rule": "prohibited_term", "severity": term.severity, "message": term.message, "term": term.term})
    if policy.disclosure_forms and not any(_contains(text, form) for form in policy.disclosure_forms):
        out.append({"rule": "disclosure", "severity": policy.disclosure_severity, "message": policy.disclosure_message})
    if policy.max_hashtags is not None:
        count = len(_HASHTAG.findall(text))
        if count > policy.max_hashtags:
            out.append({"rule": "max_hashtags", "severity": policy.hashtags_severity,
                        "message": f"{policy.hashtags_message} ({count} > {policy.max_hashtags})"})
    if policy.tracked_link_required and tracked_link is not None and tracked_link not in text:
        out.append({"rule": "tracked_link", "severity": policy.tracked_link_severity, "message": policy.tracked_link_message})
    limit = policy.max_length.get(network)
    if limit and len(text) > limit:
        out.append({"rule": "max_length", "severity": "block",
                    "message": f"Too long for {network}: {len(text)} characters > {limit}. / Trop long pour {network} : {len(text)} caractères > {limit}."})
    return sorted(out, key=lambda v: v["severity"] != "block")


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["severity"] == "block"]
