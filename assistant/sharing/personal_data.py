"""Sharing's part of one person's data (``storage.personal_data``): their shares (texts, scores, tracked
and post addresses). Their events and totals are ``reporting``'s part, their links ``links``'."""

from __future__ import annotations

from ..storage.personal_data import Part

PART = Part(rows={"shares": ("email = ?", lambda p: [p.email])})
