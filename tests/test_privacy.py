"""Export and erase one person's data, in every table."""

import json

from assistant import engagement, privacy
from assistant.demo_accounts import create_demo_accounts
from assistant.indexing import embed_pending
from tests.fakes import FakeEmbedder

CAMILLE = "camille.durand@nordlys-energie.example"
JULIEN = "julien.moreau@nordlys-energie.example"


def _activity(store, monkeypatch):
    monkeypatch.setattr("assistant.accounts.ROUNDS", 4)
    create_demo_accounts(store)
    item = store.value("SELECT id FROM content ORDER BY id LIMIT 1")
    for email, sid in ((CAMILLE, "s-c"), (JULIEN, "s-j")):
        engagement.record_share(store, sid, email, item, f"post by {email}", "linkedin", None, None, 50.0)
        engagement.record_event(store, sid, "click", 2)
        store.execute("INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator,"
                      " fallback, attempts) VALUES (?, ?, ?, 'r', 0, 'experience', 'fr', 'draft', 'fake', false, 1)",
                      [f"d-{sid}", email, item])
    embed_pending(store, FakeEmbedder())


def test_export_has_every_table_and_no_password_hash(demo_store, monkeypatch):
    _activity(demo_store, monkeypatch)
    data = json.loads(privacy.export_json(demo_store, CAMILLE.upper()))
    tables = data["tables"]
    assert set(tables) == set(privacy.PERSONAL_TABLES)
    assert tables["employees"][0]["email"] == CAMILLE and len(tables["employee_posts"]) == 4
    assert len(tables["shares"]) == 1 and tables["engagement_events"][0]["count"] == 2
    assert len(tables["drafts"]) == 1 and tables["accounts"][0]["roles"] == ["employee"]
    assert len(tables["import_log"]) >= 1
    assert "password_hash" not in json.dumps(data) and "$2b$" not in json.dumps(data)
    assert all(row.get("email", CAMILLE) == CAMILLE for rows in tables.values() for row in rows)


def test_erase_removes_the_person_everywhere_and_nobody_else(demo_store, monkeypatch):
    _activity(demo_store, monkeypatch)
    before = privacy.remaining(demo_store, JULIEN)
    embeddings = demo_store.value("SELECT count(*) FROM embeddings")
    counts = privacy.erase_person(demo_store, CAMILLE)
    assert counts["employees"] == 1 and counts["shares"] == 1 and counts["engagement_events"] == 1
    assert counts["embeddings"] > 0
    assert demo_store.value("SELECT count(*) FROM embeddings") == embeddings - counts["embeddings"]
    assert set(privacy.remaining(demo_store, CAMILLE).values()) == {0}
    assert privacy.remaining(demo_store, JULIEN) == before
    assert demo_store.value("SELECT count(*) FROM engagement_events WHERE share_id = 's-j'") == 1
