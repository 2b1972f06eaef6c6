"""Writing's part of one person's data (``storage.personal_data``): their drafts and autosaved posts; the
key points translated from the company's items (``translation``) are company content, not personal."""

from __future__ import annotations

from ..storage.personal_data import Part

PART = Part(rows={"drafts": ("email = ?", lambda p: [p.email]), "autosaves": ("email = ?", lambda p: [p.email])},
            kept=frozenset({"translations"}))
