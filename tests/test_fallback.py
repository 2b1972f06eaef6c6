"""The grounded fallback reads as the employee's own post: theirs, not their colleagues' words."""

import re

from assistant.writing.facts import key_facts
from assistant.writing.fallback import fallback
from assistant.writing.guardrails import checks
from assistant.writing.policy import Policy
from assistant.writing.reading import grounds
from assistant.writing.voice import VoiceProfile

ITEM = {"id": "malterie", "kind": "news", "language": "fr", "title": "La brasserie ouvre sa malterie",
        "text": "La brasserie a inauguré le 14 octobre 2026 sa propre malterie à Quimperlé. L'atelier transforme "
                "380 tonnes d'orge par an, cultivée par 22 exploitations situées à moins de 40 km. La fermentation "
                "des premières bières brassées avec ce malt commence en novembre."}
POLICY = Policy(configured=False)
COLLEAGUES = [VoiceProfile(lang="fr", languages=["fr"], name=f"Personne {i}", role=role, expertise=expertise)
              for i, (role, expertise) in enumerate([
                  ("Responsable qualité", "Contrôle qualité, fermentation, analyses sensorielles"),
                  ("Commercial", "Restaurants du Finistère, relation avec les cavistes"),
                  ("Brasseur", "Recettes, houblons, fermentation"),
                  ("Comptable", "Clôtures mensuelles, paie"),
                  ("Technicienne", "Maintenance des cuves, sécurité"),
                  ("Chargée de communication", "Réseaux sociaux, presse locale")])]


def _drafts(angle):
    facts = key_facts(ITEM["text"], ITEM["title"])
    return [fallback(v, ITEM, facts, angle, "fr", POLICY) for v in COLLEAGUES], facts


def test_colleagues_sharing_one_item_do_not_get_the_same_words():
    for angle in ("experience", "job", "question"):
        texts, _ = _drafts(angle)
        openings = {t.split("«")[0] for t in texts}
        assert len(openings) >= 2, openings  # several frames, chosen per employee


def test_the_experience_fallback_speaks_of_the_employees_own_subjects_and_passes_every_check():
    texts, facts = _drafts("experience")
    assert "fermentation" in texts[0] and "contrôle qualité" in texts[0]
    assert "cavistes" in texts[1]
    for voice, text in zip(COLLEAGUES, texts):
        result = checks(text, "fr", facts, ITEM["text"], POLICY, [], grounds=grounds(
            ITEM["text"], ITEM["title"], {"role": voice.role, "expertise": voice.expertise}, []),
            angle="experience", role=voice.role)
        assert result["passed"], (text, [k for k, v in result.items() if k.endswith("_ok") and not v])


def test_an_expertise_in_another_language_is_left_out():
    english = VoiceProfile(lang="fr", languages=["fr", "en"], name="X", role="Data engineer",
                           expertise="Streaming pipelines, data quality")
    text = fallback(english, ITEM, key_facts(ITEM["text"], ITEM["title"]), "experience", "fr", POLICY)
    assert "pipelines" not in text


def test_french_frames_elide_before_a_vowel_whatever_the_role():
    facts = key_facts(ITEM["text"], ITEM["title"])
    for i in range(12):  # enough employees to meet every frame
        voice = VoiceProfile(lang="fr", languages=["fr"], name=f"Analyste {i}", role="Ingénieure data")
        for angle in ("experience", "job", "question"):
            text = fallback(voice, ITEM, facts, angle, "fr", POLICY)
            assert not re.search(r"\b(de|que) [aeiouéèêAEIOUÉ]", text.split("«")[0] + text.split("»")[-1]), text
