"""The social-media policy: rules in YAML, checked before anything is shared.

Rules (all optional):

```yaml
company: Nordlys Énergie
prohibited_terms: [{term: "Projet Aurore", severity: block, message: "..."}]
disclosure: {forms: ["#NordlysEmployee", "I work at Nordlys"], severity: warn, message: "..."}
max_hashtags: {limit: 5, severity: warn, message: "..."}
tracked_link: {required: true, severity: block, message: "..."}
max_length: {linkedin: 3000, x: 280}
```

Matching is case- and accent-insensitive on whole words. A violation is
``{"rule", "severity", "message"}``; ``block`` stops sharing, ``warn`` is shown.
A rule without its own message says the catalogue's (``checks.*``): the violation
then also carries its ``key`` and ``values``, which the interface words in the
reader's language; ``message`` is the English text (logs, the command line).
The tracked-link rule is checked only when the caller has a link to look for
(at share time); drafts, which have no link yet, skip it.

    >>> policy = parse("max_hashtags: {limit: 1}")
    >>> [v["rule"] for v in check("#a #b", policy)]
    ['max_hashtags']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..storage import audit, installation
from ..storage.store import Store
from ..text import HASHTAG, fold
from ..words.catalogue import translate
from ..words.worded import Worded

SEVERITIES = ("block", "warn")
DEFAULT_LIMITS = {"linkedin": 3000, "x": 280}


class PolicyError(Worded):
    """The YAML is not a valid policy; a catalogue key says where and why (``errors.*``)."""


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
    disclosure_message: str | None = None  # None: the catalogue's checks.disclosure (and likewise below)
    max_hashtags: int | None = None
    hashtags_severity: str = "warn"
    hashtags_message: str | None = None
    tracked_link_required: bool = False
    tracked_link_severity: str = "block"
    tracked_link_message: str | None = None
    max_length: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    company: str | None = None  # the installation's company: drafts never name another employer
    configured: bool = True  # False: the installation has no policy file yet (the admin is told)

    def disclosure_for(self, lang: str) -> str | None:
        """The disclosure form to add to a draft in ``lang`` (a hashtag form works in both languages)."""
        if not self.disclosure_forms:
            return None
        words = {"fr": ("travaille", "chez", "nous", "collaborat", "employeur"), "en": ("work", "at ", "we", "employee", "employer")}
        for form in self.disclosure_forms:
            if any(w in fold(form) for w in words.get(lang, ())) and not form.startswith("#"):
                return form
        return self.disclosure_forms[0]


def _contains(text: str, phrase: str) -> bool:
    folded, target = fold(text), fold(phrase).strip()
    if not target:
        return False
    left = r"(?<!\w)" if target[0].isalnum() else ""
    right = r"(?!\w)" if target[-1].isalnum() else ""
    return re.search(left + re.escape(target) + right, folded) is not None


# --- the YAML schema, validated by pydantic --------------------------------------------------

Severity = Literal["block", "warn"]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("severity", mode="before", check_fields=False)
    @classmethod
    def _severity(cls, value):
        value = str("block" if value is None else value).strip().lower()
        if value not in SEVERITIES:
            raise Worded("errors.severity", got=repr(value))
        return value


class _Term(_Rule):
    term: str = Field(min_length=1)
    severity: Severity = "block"
    message: str | None = None

    @field_validator("term", mode="before")
    @classmethod
    def _term(cls, value):
        if not str(value or "").strip():
            raise Worded("errors.needs_field", field="term")
        return str(value).strip()


class _Disclosure(_Rule):
    forms: list[str] = []
    severity: Severity = "warn"
    message: str | None = None

    @field_validator("forms", mode="before")
    @classmethod
    def _forms(cls, value):
        value = value or []
        if not isinstance(value, list) or not all(isinstance(f, str) and f.strip() for f in value):
            raise Worded("errors.texts_list")
        return [f.strip() for f in value]


class _Hashtags(_Rule):
    limit: int
    severity: Severity = "warn"
    message: str | None = None

    @field_validator("limit", mode="before")
    @classmethod
    def _limit(cls, value):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Worded("errors.whole_number")
        return value


class _TrackedLink(_Rule):
    required: bool = False
    severity: Severity = "block"
    message: str | None = None


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company: str | None = None
    prohibited_terms: list[_Term] = []
    disclosure: _Disclosure | None = None
    max_hashtags: _Hashtags | None = None
    tracked_link: _TrackedLink | None = None
    max_length: dict[str, int] = {}

    @field_validator("prohibited_terms", mode="before")
    @classmethod
    def _terms(cls, value):
        if value is None:
            return []
        if not isinstance(value, list):
            raise Worded("errors.list")
        return [{"term": v} if isinstance(v, str) else v for v in value]

    @field_validator("max_length", mode="before")
    @classmethod
    def _lengths(cls, value):
        for network, limit in (value or {}).items():
            if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
                raise Worded("errors.at", where=network, problem=Worded("errors.positive_number"))
        return value or {}


def _where(error: dict) -> str:
    """``prohibited_terms #2`` / ``max_hashtags.limit``: where a validation error is, as an admin reads it."""
    parts = []
    for piece in error["loc"]:
        parts.append(f" #{piece + 1}" if isinstance(piece, int) else ("." if parts else "") + str(piece))
    return "".join(parts)


# pydantic's error types, worded by the catalogue (a validator of this module raises its own ``Worded``).
_PYDANTIC = {"extra_forbidden": "errors.unknown_setting", "bool_type": "errors.boolean", "bool_parsing": "errors.boolean",
             "string_type": "errors.string", "list_type": "errors.list", "int_type": "errors.whole_number",
             "int_parsing": "errors.whole_number", "dict_type": "errors.settings_mapping"}


def _problem(error: dict) -> Worded:
    """What is wrong at one validation error's place, as a catalogue key (pydantic's English message,
    under ``errors.invalid``, only for an error type the catalogue does not word)."""
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, Worded):
        return raised
    if error["type"] == "missing":
        return Worded("errors.needs_field", field=error["loc"][-1])
    if error["type"] in _PYDANTIC:
        return Worded(_PYDANTIC[error["type"]])
    return Worded("errors.invalid", reason=str(error["msg"]).removeprefix("Value error, "))


def parse(text: str) -> Policy:
    """A ``Policy`` from YAML text; ``PolicyError`` with a precise reason when invalid.

    The schema is a pydantic model; YAML is read with ``safe_load``.
    """
    try:
        data = yaml.safe_load(text) if text and text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            raise PolicyError("errors.yaml_at", line=mark.line + 1, column=mark.column + 1) from None
        raise PolicyError("errors.yaml") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError("errors.policy_mapping")
    unknown = set(data) - set(_Schema.model_fields)
    if unknown:
        raise PolicyError("errors.unknown_rules", rules=", ".join(sorted(map(str, unknown))))
    for key in ("disclosure", "max_hashtags", "tracked_link", "max_length"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise PolicyError("errors.at", where=key, problem=Worded("errors.settings_mapping"))
    try:
        schema = _Schema.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "missing":
            error = {**error, "loc": error["loc"][:-1]}
        raise PolicyError("errors.at", where=_where(error), problem=_problem(exc.errors()[0])) from None
    policy = Policy(
        prohibited_terms=[Term(t.term, t.severity, t.message or "")
                          for t in schema.prohibited_terms],
        max_length={**DEFAULT_LIMITS, **schema.max_length},
        company=(schema.company or "").strip() or None)
    if schema.disclosure:
        policy.disclosure_forms = schema.disclosure.forms
        policy.disclosure_severity = schema.disclosure.severity
        policy.disclosure_message = schema.disclosure.message or policy.disclosure_message
    if schema.max_hashtags:
        policy.max_hashtags = schema.max_hashtags.limit
        policy.hashtags_severity = schema.max_hashtags.severity
        policy.hashtags_message = schema.max_hashtags.message
    if schema.tracked_link:
        policy.tracked_link_required = schema.tracked_link.required
        policy.tracked_link_severity = schema.tracked_link.severity
        policy.tracked_link_message = schema.tracked_link.message or policy.tracked_link_message
    return policy


def load_policy(path: Path, store: Store | None = None) -> Policy:
    """The policy saved at ``path`` (on a PostgreSQL ``store``: in the database, see :func:`policy_text`);
    without one, an empty policy marked ``configured=False`` (only the platforms' length limits apply until
    an admin saves one)."""
    if store is not None and store.postgres:
        text = installation.policy_text(store, adopt=path)
        return Policy(configured=False) if text is None else parse(text)
    if not path.exists():
        return Policy(configured=False)
    return parse(path.read_text(encoding="utf-8"))


def policy_text(path: Path, store: Store | None = None) -> str:
    """The saved policy's text: the file at ``path``, or, on a PostgreSQL ``store``, the database's current
    version (``storage.installation``: machines with homes of their own share it; the home's file adopted
    while the database has none)."""
    if store is not None and store.postgres:
        return installation.policy_text(store, adopt=path) or ""
    return path.read_text(encoding="utf-8") if path.exists() else ""


def save(text: str, path: Path, store: Store | None = None, actor: str | None = None) -> Policy:
    """Validate, then write the policy atomically; an invalid or empty policy never replaces a valid one
    (an empty file would switch every rule off). With ``store``, a saved policy is written to the audit
    log (``policy.save`` by ``actor``, with its rule names and counts; a refused one leaves no entry). On a
    PostgreSQL ``store`` it is a new version in the database instead of the file (every process applies it
    at its next request; the versions are its history)."""
    if not (text or "").strip() or not (yaml.safe_load(text) if _is_yaml(text) else True):
        raise PolicyError("errors.policy_empty")
    policy = parse(text)
    if store is not None and store.postgres:
        target = f"policy_versions/{installation.save_policy(store, text, actor)}"
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        target = str(path)
    if store is not None:
        rules = sorted(map(str, yaml.safe_load(text)))  # parse() accepted it: a mapping of rules
        audit.record(store, actor, "policy.save", target,
                     {"rules": rules, "prohibited_terms": len(policy.prohibited_terms), "bytes": len(text.encode())})
    return policy


def _is_yaml(text: str) -> bool:
    try:
        yaml.safe_load(text)
        return True
    except yaml.YAMLError:
        return False


def check(text: str, policy: Policy, tracked_link: str | None = None, network: str = "linkedin") -> list[dict]:
    """Every rule ``text`` breaks, blocking ones first."""
    out = []
    for term in policy.prohibited_terms:
        if _contains(text, term.term):
            out.append({**_violation("prohibited_term", term.severity, term.message, term=term.term), "term": term.term})
    if policy.disclosure_forms and not any(_contains(text, form) for form in policy.disclosure_forms):
        out.append(_violation("disclosure", policy.disclosure_severity, policy.disclosure_message))
    if policy.max_hashtags is not None:
        count = len(HASHTAG.findall(text))
        if count > policy.max_hashtags:
            out.append(_violation("max_hashtags", policy.hashtags_severity, policy.hashtags_message, count=count,
                                  limit=policy.max_hashtags))
    if policy.tracked_link_required and tracked_link is not None and tracked_link not in text:
        out.append(_violation("tracked_link", policy.tracked_link_severity, policy.tracked_link_message))
    limit = policy.max_length.get(network)
    if limit and len(text) > limit:
        out.append(_violation("max_length", "block", None, network=network, n=len(text), limit=limit))
    return sorted(out, key=lambda v: v["severity"] != "block")


def _violation(rule: str, severity: str, message: str | None, **values) -> dict:
    """A broken rule: the installation's own message (with the count for hashtags), else the catalogue's
    ``checks.<rule>`` with its ``key`` and ``values`` for the interface to word."""
    if message:
        counted = f" ({values['count']} > {values['limit']})" if rule == "max_hashtags" else ""
        return {"rule": rule, "severity": severity, "message": message + counted}
    key = f"checks.{rule}"
    return {"rule": rule, "severity": severity, "message": translate("en", key, **values), "key": key, "values": values}


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["severity"] == "block"]
