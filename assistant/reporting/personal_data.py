"""Reporting's part of one person's data (``storage.personal_data``): the engagement events and totals of
their shares, and the goals and rates they authored. The visitors' pseudonyms and the leads' CRM ids are
other people's and never exported."""

from __future__ import annotations

from ..storage.personal_data import Part

PART = Part(
    rows={"engagement_events": ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)]),
          "share_totals": ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)])},
    authored={"campaign_goals": "created_by", "programme_rates": "updated_by"},
    hidden={"engagement_events": ("visitor", "source_key")},  # who clicked, the CRM's lead id
    kept=frozenset({"sync_state"}))
