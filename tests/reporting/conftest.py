"""Shared by the tests of this folder (moved here from test_analytics_import.py): fixtures and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.sharing import shares

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "engagement"


POSTS = {  # share id → the post URL its author pasted (other forms of the same posts are in the exports)
    "s-li1": "https://www.linkedin.com/posts/camille-durand_energie-activity-7201111111111111111-abCD",
    "s-li2": "https://www.linkedin.com/feed/update/urn:li:activity:7202222222222222222/",
    "s-li3": "https://linkedin.com/feed/update/urn:li:activity:7203333333333333333",
    "s-li4": "https://www.linkedin.com/feed/update/urn:li:activity:7204444444444444444/?actorCompanyId=1",
    "s-x1": "https://x.com/benwhitaker/status/1798000000000000001",
    "s-generic-1": None,
    "s-quiet": None,
}


@pytest.fixture
def posts(store):
    for share_id, url in POSTS.items():
        shares.record_share(store, share_id, "sam@example.com", "c-1", "text", "linkedin", None, None, 50.0)
        store.execute("UPDATE shares SET status = 'posted', post_url = ? WHERE id = ?", [url, share_id])
    return store
