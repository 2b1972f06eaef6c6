import json

import pytest

from tests.conftest import DEMO

from assistant.writing.authenticity import copied_share, meaning_value, near_copy_clusters, score, voice_markers
from evals.quality.authenticity import SPAM_KINDS, auc, light_edit, spam
from models import get_embedder

SOURCE = "Le parc solaire de la Drôme produit 12 MWc depuis le 3 novembre 2026, soit la consommation de 4 000 foyers."
PERSONAL = ("J'ai visité le parc solaire de la Drôme la semaine dernière : 12 MWc pour 4 000 foyers. "
            "Je pense que c'est notre plus beau projet. Et vous, quel projet local vous inspire ?")


def fake_embed(texts):
    return get_embedder("fake").embed_batch(list(texts))


def test_copy_share_and_markers():
    assert copied_share(SOURCE, SOURCE) == 1.0
    assert copied_share("Totally different words here today", SOURCE) == 0.0
    assert voice_markers(PERSONAL, "fr") == {"first_person": True, "experience": True, "opinion": True, "question": True}
    assert not any(voice_markers("Le projet a été mené avec la commune.", "fr").values())
    assert voice_markers("I think we did great. What about you?", "en")["opinion"]


def test_meaning_band():
    assert meaning_value(0.5) == (1.0, "ok")
    assert meaning_value(0.999)[1] == "copy" and meaning_value(0.999)[0] < 0.3
    assert meaning_value(0.95)[1] == "copy" and 0 < meaning_value(0.95)[0] < 1
    assert meaning_value(0.05)[1] == "off" and meaning_value(0.05)[0] == 0.0


def test_verbatim_below_light_edit_below_personal():
    verbatim = score(SOURCE, SOURCE, lang="fr", embed=fake_embed)["score"]
    edited = score(SOURCE, light_edit(SOURCE, "fr", __import__("random").Random(1)), lang="fr", embed=fake_embed)["score"]
    personal = score(SOURCE, PERSONAL, lang="fr", embed=fake_embed)["score"]
    assert verbatim < edited < personal
    assert verbatim < 20 and personal > 60


def test_components_are_named_explained_and_weights_sum_to_one():
    result = score(SOURCE, PERSONAL, draft=SOURCE, colleagues=[PERSONAL], past_posts=["Mon vélo et moi, 12 km par jour."],
                   lang="fr", embed=fake_embed)
    names = [c["name"] for c in result["components"]]
    assert names == ["original_source", "original_draft", "original_colleagues", "meaning", "voice", "consistency"]
    assert abs(sum(c["weight"] for c in result["components"]) - 1) < 0.01
    assert all(c["explanation"] and c["label"] and 0 <= c["value"] <= 1 for c in result["components"])
    colleague = next(c for c in result["components"] if c["name"] == "original_colleagues")
    assert colleague["value"] == 0.0  # identical to a colleague's post
    assert any("collègues" in t for t in result["tips"])


def test_tips_speak_the_employee_language():
    fr = score(SOURCE, SOURCE, lang="fr", embed=fake_embed)["tips"]
    en = score(SOURCE, SOURCE, lang="en", embed=fake_embed)["tips"]
    assert fr and en and fr[0] != en[0] and "Reformulez" in fr[0]


def test_empty_post_scores_zero():
    assert score(SOURCE, "", lang="fr", embed=fake_embed)["score"] == 0


def test_near_copy_clusters():
    posts = [{"id": 1, "text": SOURCE}, {"id": 2, "text": SOURCE + " #fier"}, {"id": 3, "text": PERSONAL},
             {"id": 4, "text": "Bonne nouvelle : " + SOURCE}]
    assert near_copy_clusters(posts) == [[1, 2, 4]]


def test_auc_by_hand():
    assert auc([1.0], [0.0]) == 1.0
    assert auc([0.0], [1.0]) == 0.0
    assert auc([0.5, 0.9], [0.5, 0.1]) == 0.875


def test_demo_cases_exist_and_are_personal():
    cases = [json.loads(line) for line in (DEMO / "authenticity_cases.jsonl").read_text().splitlines()]
    assert len(cases) >= 6 and {c["lang"] for c in cases} == {"fr", "en"}
    for case in cases:
        assert score(case["source"], case["verbatim"], lang=case["lang"], embed=fake_embed)["score"] < \
            score(case["source"], case["personal"], lang=case["lang"], embed=fake_embed)["score"]


def test_an_unchanged_ai_draft_is_worth_little():
    draft = PERSONAL
    unchanged = score(SOURCE, draft, draft=draft, lang="fr", embed=fake_embed)["score"]
    edited = score(SOURCE, draft + " Pour ma part, j'ai appris à mesurer la production heure par heure avec mon équipe.",
                   draft=draft, lang="fr", embed=fake_embed)["score"]
    assert unchanged < edited
    assert unchanged < 30


def test_links_are_not_counted_as_copied_prose():
    source = "Read the report at https://example.test/reports/2026/phishing-results-for-the-whole-year today"
    post = "My own words about phishing. https://example.test/reports/2026/phishing-results-for-the-whole-year"
    assert copied_share(post, source) == 0.0
    assert copied_share(post + "?utm_source=x", source) == 0.0


def test_one_sentence_repeated_sixty_times_scores_low():
    spam = "Je suis fier de ce projet solaire, venez voir le parc de la Drôme. " * 60
    result = score(SOURCE, spam, lang="fr", embed=fake_embed)
    assert result["score"] < 10 and result["repetition"] > 0.9
    assert any(p["name"] == "repetition" and p["points"] < 0 for p in result["parts"])
    assert result["tips"][0].startswith("Dites chaque chose une fois")
    assert score(SOURCE, PERSONAL, lang="fr", embed=fake_embed)["repetition"] < 0.05


@pytest.mark.parametrize("post, draft", [(PERSONAL, None), (PERSONAL, PERSONAL), (SOURCE, SOURCE),
                                         (PERSONAL + " " + PERSONAL, SOURCE), ("", None)])
def test_the_total_is_the_visible_sum_of_its_parts(post, draft):
    result = score(SOURCE, post, draft=draft, colleagues=[SOURCE], past_posts=["Mon vélo et moi."], lang="fr",
                   embed=fake_embed)
    assert sum(p["points"] for p in result["parts"]) == result["total"] == round(result["score"])
    if draft == post:
        penalty = next(p for p in result["parts"] if p["name"] == "unchanged_draft")
        assert penalty["points"] < 0 and penalty["label"] == "Brouillon inchangé"


def test_a_result_can_be_reworded_in_another_language():
    from assistant.writing.authenticity import describe

    result = score(SOURCE, PERSONAL, draft=SOURCE, lang="fr", embed=fake_embed)
    english = describe(result["facts"], "en")
    assert english["score"] == result["score"] and english["total"] == result["total"]
    assert [c["label"] for c in english["components"]][0] == "Your own words"


SPAM = "Top !!! #Nordlys #Solaire #Drôme #Energie !!!!!!"


def test_spam_scores_nothing_below_a_copy_and_the_table_says_why():
    result = score(SOURCE, SPAM, draft=PERSONAL, lang="fr", embed=fake_embed)
    assert result["score"] == 0 and result["total"] == 0
    points = {p["name"]: p["points"] for p in result["parts"]}
    assert points["no_own_sentence"] < 0 and points["decoration"] < 0
    assert sum(points.values()) == 0, "the visible sum of its parts"
    assert "unchanged_draft" not in points, "nothing of the draft is kept in it: no such line"
    assert result["tips"][0].startswith("Moins de hashtags")
    copy = score(SOURCE, SOURCE, lang="fr", embed=fake_embed)["score"]
    for kind in SPAM_KINDS:
        assert score(SOURCE, spam(SOURCE, "fr", kind), lang="fr", embed=fake_embed)["score"] < copy, kind


def test_an_empty_post_keeps_nothing_of_the_draft():
    result = score(SOURCE, "", draft=PERSONAL, lang="fr", embed=fake_embed)
    assert result["total"] == 0 and [p["name"] for p in result["parts"] if p["points"] or p["name"] not in
                                     ("original_source", "original_draft", "voice", "meaning")] == []
    assert {c["explanation"] for c in result["components"]} == {"Rien d'écrit pour l'instant."}


def test_words_without_a_sentence_of_ones_own_keep_a_quarter():
    light = "Bonne nouvelle : " + SOURCE + " #fier"
    edited = score(SOURCE, light, lang="fr", embed=fake_embed)
    assert edited["facts"]["own_sentences"] == 0
    penalty = next(p for p in edited["parts"] if p["name"] == "no_own_sentence")
    assert penalty["points"] < 0 and penalty["label"] == "Aucune phrase à vous"
    personal = score(SOURCE, PERSONAL, lang="fr", embed=fake_embed)
    assert personal["facts"]["own_sentences"] >= 2 and "no_own_sentence" not in [p["name"] for p in personal["parts"]]
