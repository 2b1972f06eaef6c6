"""Engagement, one import away: the public names of the modules it is made of.

| module | concept |
|---|---|
| ``links`` | UTM-tagged targets, short codes, click ids, share intents, the final text, post identity |
| ``shares`` | recording a share (score, policy, short link), the published post's URL |
| ``clicklog`` / ``visitors`` | the SQLite click log, bot flags (the redirect service: ``web.clickservice``) |
| ``events`` / ``sync`` | events and per-share totals in DuckDB; folding the click log into them |
| ``conversions`` / ``analytics_import`` | leads from the CRM; the networks' per-post statistics |
| ``metrics`` / ``points`` / ``goals`` / ``dashboards`` | what the pages show |

Pages and the CLI may import from here or from the module itself.
"""

from __future__ import annotations

from .events import CONVERSION_KINDS, EVENT_KINDS, NETWORK_KINDS, record_event
from .links import ALWAYS_ON, MEDIUM, NETWORKS, final_text, new_share_id, share_links, tracked_url
from .metrics import (BRAND_REACH_RATE, DEFAULT_NETWORK_SIZE, EMPLOYEE_REACH_RATE, Filters, breakdown,
                      campaign_metrics, share_metrics)
from .points import POINTS, ambassador_of_the_month, leaderboard, month_bounds, points, points_of, share_points
from .shares import ShareBlocked, prepare_share, record_share, set_post_url, share, shares_of

__all__ = ["ALWAYS_ON", "BRAND_REACH_RATE", "CONVERSION_KINDS", "DEFAULT_NETWORK_SIZE", "EMPLOYEE_REACH_RATE",
           "EVENT_KINDS", "Filters", "MEDIUM", "NETWORKS", "NETWORK_KINDS", "POINTS", "ShareBlocked",
           "ambassador_of_the_month", "breakdown", "campaign_metrics", "final_text", "leaderboard", "month_bounds",
           "new_share_id", "points", "points_of", "prepare_share", "record_event", "record_share", "set_post_url",
           "share", "share_links", "share_metrics", "share_points", "shares_of", "tracked_url"]
