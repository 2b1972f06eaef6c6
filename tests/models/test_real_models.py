"""Real packaged embedders (marked slow): cross-lingual ranking, recommendations and experts.

Shapes, norms and query/passage kinds of every embedder are in test_contracts.py; here, what
the product relies on them for.
"""

import json

import pytest

from assistant.context import open_context
from assistant.imports.catalog import ingest
from assistant.imports.people import apply_recorded_opt_ins, import_people
from assistant.retrieval.matching import experts, recommend
from models import get_embedder
from tests.conftest import write

pytestmark = pytest.mark.slow


@pytest.fixture
def real(settings):
    """A context over the test's home with the product's default embedder (the real ensemble)."""
    return open_context(settings.but(embedder="use+e5+minilm"))


@pytest.mark.parametrize("name", ["use", "e5", "use+e5+minilm"])  # minilm is English-only: no cross-lingual claim
def test_a_translation_is_nearer_than_an_unrelated_text(name):
    french, english, unrelated = get_embedder(name).embed_batch([
        "Nous recrutons une ingénieure données à Lyon.", "We are hiring a data engineer in Lyon.",
        "La tarte aux pommes de ma grand-mère."])
    assert french @ english > french @ unrelated


def test_french_speaker_gets_english_items_on_their_topic(real, tmp_path):
    items = [
        {"id": "sec-en", "title": "Phishing drill results", "text": "312 colleagues reported the fake phishing email within an hour; our SOC blocked 3,400 attacks this year."},
        {"id": "cake-en", "title": "Bake-off winners", "text": "The office bake-off crowned a lemon tart and a chocolate cake."},
        {"id": "wind-en", "title": "Wind forecast", "text": "Our model now forecasts wind farm output 48 hours ahead."},
        {"id": "hr-fr", "title": "Congé parental", "text": "Le congé parental passe à 16 semaines pour tous les parents."},
    ]
    ingest(real.store, [write(tmp_path / "c.jsonl", "\n".join(json.dumps(i) for i in items))])
    person = {"email": "karim@example.com", "name": "Karim", "languages": ["fr", "en"], "consent_program": True,
              "expertise": "Je dirige la cybersécurité : détection des intrusions et sensibilisation à l'hameçonnage.",
              "posts": ["Notre exercice d'hameçonnage a montré que les équipes signalent de plus en plus vite les faux courriels."]}
    import_people(real.store, [write(tmp_path / "p.jsonl", json.dumps(person))])
    results = recommend(real, "karim@example.com", limit=4)
    assert results[0]["id"] == "sec-en"
    assert "hameçonnage" in results[0]["reason"] or "cybersécurité" in results[0]["reason"]


def test_experts_in_french_find_english_writers(real, tmp_path):
    people = [
        {"email": "ana@example.com", "name": "Ana", "consent_interviews": True,
         "posts": ["We trained a gradient boosting model to forecast solar output from satellite images."]},
        {"email": "bo@example.com", "name": "Bo", "consent_interviews": True,
         "posts": ["Our new recruiting process cut time-to-hire by two weeks."]},
        {"email": "cy@example.com", "name": "Cy", "consent_interviews": False,
         "posts": ["Forecasting solar power with machine learning is my daily job."]},
    ]
    import_people(real.store, [write(tmp_path / "p.jsonl", "\n".join(json.dumps(p) for p in people))])
    apply_recorded_opt_ins(real.store, [tmp_path / "p.jsonl"])  # their own choices, as made in the app
    found = experts(real, "prévision de la production solaire par apprentissage automatique", limit=3)
    assert [r["email"] for r in found][0] == "ana@example.com"
    assert "cy@example.com" not in [r["email"] for r in found]
