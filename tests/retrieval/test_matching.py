import datetime as dt
import json

import pytest
from tests.conftest import write

from assistant.context import Context
from assistant.imports.catalog import ingest
from assistant.imports.people import apply_recorded_opt_ins, import_people
from assistant.retrieval.matching import UnknownEmployee, experts, recommend

TODAY = dt.date(2026, 11, 22)

ITEMS = [
    {"id": "sec-fr", "title": "Cybersécurité des postes électriques", "language": "fr",
     "text": "Notre équipe sécurité protège les réseaux industriels des postes électriques contre le phishing et les intrusions."},
    {"id": "sec-en", "title": "Substation cybersecurity", "language": "en",
     "text": "Our security team protects industrial networks in substations against phishing and intrusions."},
    {"id": "data-fr", "title": "Pipelines de données temps réel", "language": "fr",
     "text": "Kafka et Spark alimentent nos pipelines de données temps réel pour 52 000 capteurs."},
    {"id": "data-en", "title": "Real-time data pipelines", "language": "en",
     "text": "Kafka and Spark feed our real-time data pipelines for 52,000 sensors."},
    {"id": "hr-fr", "title": "Congé parental", "language": "fr",
     "text": "Le congé parental passe à 16 semaines pour tous les parents salariés."},
    {"id": "camp-a", "title": "Semaine verte : atelier", "language": "fr", "campaign": "green-week", "priority": 3,
     "published_at": "2026-11-20", "text": "Atelier réparation pendant la semaine verte, ouvert à tous les salariés."},
    {"id": "camp-b", "title": "Atelier vélo", "language": "fr",
     "published_at": "2026-06-01", "text": "Atelier réparation de vélos, ouvert à tous les salariés."},
]
PEOPLE = [
    {"email": "fr.only@example.com", "name": "Fr Only", "languages": ["fr"], "expertise": "Sécurité des réseaux industriels, phishing, intrusions.",
     "consent_program": True, "consent_interviews": True},
    {"email": "both@example.com", "name": "Both", "languages": ["fr", "en"], "skills": ["kafka", "spark"],
     "posts": ["Nos pipelines de données temps réel tiennent la charge grâce à Kafka."], "consent_program": True,
     "consent_interviews": True},
    {"email": "shy@example.com", "name": "Shy", "languages": ["en"], "expertise": "Industrial networks security and phishing.",
     "consent_program": True, "consent_interviews": False},
    {"email": "blank@example.com", "name": "Blank", "languages": ["fr"], "consent_program": True},
]


@pytest.fixture
def today(ctx):
    """The test context with its clock stopped on ``TODAY`` (publish windows and recency depend on it)."""
    return Context(ctx.settings, ctx.store, clock=lambda: dt.datetime.combine(TODAY, dt.time(9)))


@pytest.fixture
def lib(today, tmp_path):
    ingest(today.store, [write(tmp_path / "items.jsonl", "\n".join(json.dumps(i) for i in ITEMS))])
    import_people(today.store, [write(tmp_path / "people.jsonl", "\n".join(json.dumps(p) for p in PEOPLE))])
    apply_recorded_opt_ins(today.store, [tmp_path / "people.jsonl"])  # they opted in, as employees do in the app
    return today


def test_recommend_schema_and_reasons(lib):
    results = recommend(lib, "both@example.com", limit=3)
    assert len(results) == 3
    for r in results:
        assert {"id", "title", "score", "reason"} <= set(r)
        assert isinstance(r["score"], float) and r["reason"]
    assert results[0]["id"].startswith("data-")
    assert "Kafka" in results[0]["reason"] or "kafka" in results[0]["reason"]


def test_reader_of_french_only_gets_french_first(lib):
    results = recommend(lib, "fr.only@example.com", limit=7)
    langs = [r["language"] for r in results]
    assert langs == sorted(langs, key=lambda lang: lang != "fr")
    assert results[0]["id"] == "sec-fr"
    english = [r for r in results if r["language"] == "en"]
    assert all("en" in r["reason"] for r in english)


def test_shared_items_are_never_recommended_again(lib):
    lib.store.execute("INSERT INTO shares (id, email, content_id, text) VALUES (?, ?, ?, ?)",
                ["s1", "both@example.com", "data-fr", "my post"])
    ids = [r["id"] for r in recommend(lib, "both@example.com", limit=10)]
    assert "data-fr" not in ids and "data-en" in ids


def test_campaign_priority_and_recency_break_ties(lib):
    results = recommend(lib, "blank@example.com", limit=7)  # no profile: company picks
    assert results[0]["id"] == "camp-a"
    assert "green-week" in results[0]["reason"]


def test_near_identical_items_are_not_all_recommended(today, tmp_path):
    store = today.store
    clones = [{"id": f"c{i}", "title": "Kafka pipelines", "text": f"Kafka pipelines for real-time sensor data, edition {i}."}
              for i in range(5)]
    other = [{"id": "o1", "title": "Spark jobs", "text": "Spark jobs aggregate sensor data every night with Kafka input."}]
    ingest(store, [write(tmp_path / "c.jsonl", "\n".join(json.dumps(i) for i in clones + other))])
    import_people(store, [write(tmp_path / "p.jsonl", json.dumps(PEOPLE[1]))])
    ids = [r["id"] for r in recommend(today, "both@example.com", limit=3)]
    assert sum(i.startswith("c") for i in ids) < 3 and "o1" in ids


def test_unknown_employee_is_a_clear_error(lib):
    with pytest.raises(UnknownEmployee, match="nobody@example.com"):
        recommend(lib, "nobody@example.com")


def test_experts_only_those_who_accept_interviews_with_evidence(lib):
    results = experts(lib, "sécurité des réseaux industriels", limit=5)
    emails = [r["email"] for r in results]
    assert "shy@example.com" not in emails
    assert emails[0] == "fr.only@example.com"
    top = results[0]
    assert {"email", "name", "score", "evidence"} <= set(top)
    assert top["evidence"] and "réseaux industriels" in top["evidence"][0]["text"]


def test_experts_rejects_an_empty_query(lib):
    with pytest.raises(ValueError):
        experts(lib, "   ")


def test_a_new_post_recentres_items_without_rebuilding_their_neighbour_graph(lib, monkeypatch):
    from assistant.imports.people import add_posts
    from assistant.retrieval import matching

    embedder = lib.embedder
    before = matching.content_index(lib.store, embedder, TODAY)
    built = []
    monkeypatch.setattr(matching, "knn", lambda *a, **k: built.append(1) or before.neighbours)
    add_posts(lib.store, "both@example.com", ["Un nouveau post sur la maintenance prédictive des éoliennes."])
    after = matching.content_index(lib.store, embedder, TODAY)
    assert after is not before and not built  # re-centred, same graph
    assert any((a != b).any() for a, b in zip(after.parts, before.parts))
    assert recommend(lib, "both@example.com")
    ingest(lib.store, [write(lib.settings.home / "more.jsonl", json.dumps(
        {"id": "new", "title": "Éoliennes", "language": "fr", "text": "Maintenance prédictive des éoliennes en mer."}))])
    matching.content_index(lib.store, embedder, TODAY)
    assert built  # a new item rebuilds the graph


def test_items_and_documents_have_their_own_neighbour_graph_sizes(lib):
    from dataclasses import replace

    from assistant.retrieval import matching

    weights = replace(matching.WEIGHTS, item_neighbours=2, neighbours=1)
    items = matching.content_index(lib.store, lib.embedder, TODAY, weights=weights)
    documents = matching.people_index(lib.store, lib.embedder, weights)
    assert items.neighbours[0].shape == (len(items.items), 2)
    assert documents.neighbours[0].shape == (len(documents.docs), 1)
    assert recommend(lib, "both@example.com", weights=weights)
