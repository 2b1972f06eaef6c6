"""Imports' part of one person's data (``storage.personal_data``): the employee, their past posts and the
import log lines that name them; the content library is the company's, not personal."""

from __future__ import annotations

from ..storage.personal_data import Part

PART = Part(
    rows={"employee_posts": ("email = ?", lambda p: [p.email]),
          "import_log": ("contains(lower(coalesce(item, '') || ' ' || coalesce(message, '')), ?)", lambda p: [p.email]),
          "employees": ("email = ?", lambda p: [p.email])},
    kept=frozenset({"content"}))
