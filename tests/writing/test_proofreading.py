"""The reader's checks catch what the default model was seen writing (issue texts quoted as cases)."""

import subprocess
import sys
import textwrap

import pytest

from assistant.writing import proofreading
from assistant.writing.grammar import grammar_available
from assistant.writing.proofreading import grounds, read
from tests.conftest import ROOT

SOURCE = ("Nordlys Flux passe en production le 4 novembre 2026 : 52 000 capteurs industriels remontent leurs mesures "
          "en temps réel. Notre SOC passe en 24/7 avec 40 analystes.")
PERSON = {"role": "Ingénieure data", "expertise": "Pipelines Kafka et qualité des données", "skills": ["DBT", "Kafka"]}
POSTS = ["Ravie d'avoir animé mon premier atelier DBT avec l'équipe de Lyon !"]
G = grounds(SOURCE, "Nordlys Flux en production", PERSON, POSTS, company="Nordlys Énergie")

needs_dictionaries = pytest.mark.skipif(not proofreading.spelling_available("fr") or not proofreading.spelling_available("en"),
                                        reason="Hunspell dictionaries not installed (make system-deps)")
needs_grammar = pytest.mark.skipif(not grammar_available("fr"), reason="Grammalecte not installed (make system-deps)")


@pytest.mark.parametrize("text", [
    "Bien sûr, voici un post avec une angle claire et en français : Nordlys Flux passe en production.",
    "Here is your LinkedIn post: Nordlys Flux goes live.",
    "Sure! I hope this post helps.",
])
def test_chatter_addressed_to_the_user_is_caught(text):
    assert proofreading.chatter(text, "fr") and not read(text, "fr", "experience", G)["chatter_ok"]


@needs_dictionaries
@pytest.mark.parametrize("word", ["systéms", "temoin", "night", "prem", "trois0%", "first"])
def test_mangled_or_mixed_words_are_caught_in_a_french_post(word):
    text = f"J'ai suivi le lancement de Nordlys Flux et ses {word} au quotidien."
    assert word in proofreading.misspelled(text, "fr", G)


@needs_dictionaries
def test_words_of_the_item_profile_and_posts_are_never_misspelled():
    text = ("J'ai animé mon premier atelier DBT : Nordlys Flux remonte 52 000 mesures de capteurs industriels, "
            "et notre SOC passe en 24/7. Je suis ravie de l'apprendre, qu'en penses-tu ?")
    assert proofreading.misspelled(text, "fr", G) == []


def test_invented_numbers_and_dates_are_caught():
    text = "Depuis plus de 5 ans, je suis Nordlys Flux : 52 000 capteurs depuis le 4 novembre 2026, et 12 usines."
    assert sorted(proofreading.invented_numbers(text, G)) == ["12", "5"]
    assert proofreading.invented_numbers("52,000 sensors since November 4, 2026.", G) == []  # same facts, English format


def test_invented_names_are_caught_but_names_of_the_item_are_not():
    assert proofreading.invented_names("Avec Julie Martin et Nordlys Flux, nous avançons.", G, "fr") == ["Julie", "Martin"]


@pytest.mark.parametrize("text", ["Plus d'infos sur nordlys-enerie.example", "Voir https://nordlys-energe.example/flux",
                                  "www.nordlys.example"])
def test_any_link_or_domain_the_model_wrote_is_caught(text):
    assert proofreading.written_urls(text) and not read(text, "fr", "experience", G)["urls_ok"]


@pytest.mark.parametrize("text", ["À retenir : 24.", "Notre SOC passe en 24/7 : 24, 40, Helion Énergie.",
                                  "Key facts: 52,000; 40."])
def test_bare_lists_of_numbers_are_caught(text):
    assert proofreading.bare_lists(text, "fr")


def test_a_sentence_with_numbers_is_not_a_bare_list():
    assert proofreading.bare_lists("Notre SOC compte désormais 40 analystes qui veillent jour et nuit.", "fr") == []


def test_each_angle_is_honoured_or_not():
    assert not proofreading.angle_ok("Nordlys Flux passe en production.", "question", "fr", None)
    assert proofreading.angle_ok("Nordlys Flux passe en production. Et vous, vous suivez vos capteurs ?", "question", "fr", None)
    assert proofreading.angle_ok("J'ai suivi ce projet de près.", "experience", "fr", None)
    assert not proofreading.angle_ok("Nordlys Flux passe en production.", "experience", "fr", None)
    assert proofreading.angle_ok("Pour une ingénieure data, ces capteurs changent tout.", "job", "fr", "Ingénieure data")
    assert proofreading.angle_ok("In my job, this changes how we plan.", "job", "en", None)


def test_another_companys_disclosure_is_caught():
    other = grounds("Velora completes its pilot.", "Pilot", {}, [], company="Velora Health")
    assert proofreading.wrong_company("Great news! Je travaille chez Nordlys", other) == ["Nordlys"]
    assert proofreading.wrong_company("I work at Velora and I am proud of it.", other) == []
    brewery = grounds("Une malterie.", "", {}, [], company="Brasserie Kerlann")
    assert proofreading.wrong_company("Fière de cette malterie ! je travaille chez Kerlann", brewery) == []


def test_a_clean_draft_passes_every_reader_check():
    text = ("J'ai suivi de près le lancement de Nordlys Flux : 52 000 capteurs industriels remontent leurs mesures "
            "depuis le 4 novembre 2026. Dans mon métier d'ingénieure data, c'est un vrai changement. "
            "Et toi, comment suis-tu tes capteurs ?")
    result = read(text, "fr", "question", G, PERSON["role"])
    assert all(result[k] for k in proofreading.READER_CHECKS), result


@needs_grammar
@pytest.mark.parametrize("text, wrong", [
    ("Dans mon métier de commercial, cela veut dire une brasseur ou une brasseuse.", "brasseur"),
    ("Personnellement, je me fait une joie de suivre Nordlys Flux.", "fait"),
    ("J'ai vu le malterie ouvrir ses portes.", "le"),
])
def test_words_that_break_french_grammar_are_caught(text, wrong):
    result = read(text, "fr", "experience", G)
    assert not result["grammar_ok"] and wrong in result["grammar"] and result["grammar_checked"]


@needs_grammar
def test_grammar_is_the_drafts_not_the_quoted_companys_and_typography_is_left_alone():
    company = "Les bouteille sont consigné depuis mardi."  # the company's own sentence, errors and all
    quoted = f"Je partage ceci : « {company} » J'ai hâte d'en parler avec vous."
    assert read(quoted, "fr", "experience", grounds(company))["grammar_ok"]
    # marks around words the item does not have make no quotation: they are the draft's and checked
    assert not read(quoted, "fr", "experience", G)["grammar_ok"]
    typographic = "Ravie de partager l'actualité d'Helion : c'est un sujet que je suis de près. Et vous ?"
    assert read(typographic, "fr", "experience", G)["grammar_ok"]


def test_english_grammar_says_it_is_not_checked():
    result = read("I has seen the new plant.", "en", "experience", G)
    assert result["grammar_ok"] and result["grammar_checked"] is False


@needs_grammar
def test_sessions_loading_the_grammar_checker_at_once_all_get_it():
    """Eight sessions drafting at once in a fresh process: each gets the checker's answer, none the half-loaded
    module (seen as a failed draft under load)."""
    code = textwrap.dedent("""
        import threading
        from assistant.writing.grammar import grammar_errors
        barrier, found, failed = threading.Barrier(8), [], []
        def draft():
            barrier.wait()
            try:
                found.append(grammar_errors("Dans mon métier, cela veut dire une brasseur.", "fr"))
            except Exception as exc:
                failed.append(repr(exc))
        threads = [threading.Thread(target=draft) for _ in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(len(found), failed)
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "8 []", run.stdout + run.stderr[-2000:]
