"""Honest shares: only real posts can be shared; a share counts once posted (confirmed, or clicked by a human: see test_sync);
the drafting model's load has an estimate."""

import datetime as dt
import re

import pytest

from assistant.reporting import points
from assistant.sharing import posting, share_rules
from assistant.writing.model_loading import Loading
from tests.conftest import ROOT

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

CAMILLE = "camille.durand@nordlys-energie.example"
DRAFT = "Je suis fière de notre nouveau parc solaire dans la Drôme : il alimente 4 000 foyers depuis novembre."
OWN = ("J'étais sur le chantier du parc de la Drôme l'an dernier avec mon équipe : voir 4 000 foyers alimentés "
       "aujourd'hui, c'est une vraie fierté. Et vous, quel projet local vous inspire ?")


@pytest.mark.parametrize("text, draft, codes", [
    ("", None, ["empty"]),
    ("   https://n.example/a   ", None, ["empty"]),
    (DRAFT, DRAFT, ["unchanged"]),
    (DRAFT + " #NordlysEnergie", DRAFT, ["unchanged"]),
    ("Quel projet ! " * 60, None, ["repetitive"]),
    ("Top !!! #Nordlys #Solaire #Drôme #Energie !!!!!!", DRAFT, ["stuffed"]),
    ("Top ! " + " ".join("#Nordlys" for _ in range(6)), None, ["repetitive", "stuffed"]),
    ("Top ! Génial ! Bravo ! Super ! Merci ! Vive Nordlys !", DRAFT, ["no_own_sentence"]),
    ("Bravo ! " + DRAFT + " #Fierté", DRAFT, ["unchanged"]),
    (OWN, DRAFT, []),
    (DRAFT + " J'y étais hier avec mon équipe : deux ans de chantier, et quel résultat pour la vallée !", DRAFT, []),
])
def test_what_cannot_be_shared(text, draft, codes):
    assert share_rules.refusals(text, draft) == codes


def test_the_company_text_pasted_is_not_a_sentence_of_ones_own():
    source = ("Le parc solaire de la Drôme produit 12 MWc depuis le 3 novembre 2026. Il couvre la consommation de "
              "4 000 foyers.")
    assert share_rules.refusals(source + " #Nordlys", DRAFT, source=source) == ["no_own_sentence"]
    assert share_rules.refusals(OWN + " " + source, DRAFT, source=source) == []


def test_spam_is_refused_and_earns_nothing(ctx, demo_store, item):
    with pytest.raises(share_rules.ShareRefused) as refused:
        posting.share(ctx, CAMILLE, item, "Top !!! #Nordlys #Solaire #Drôme #Energie !!!!!!", "linkedin", "s-spam",
                      draft_text=DRAFT)
    assert refused.value.codes == ["stuffed"]
    assert posting.status(demo_store, "s-spam") is None and points.points_of(demo_store, CAMILLE) == 0


@pytest.fixture
def item(demo_store):
    return demo_store.value("SELECT id FROM content WHERE url IS NOT NULL AND NOT retired ORDER BY id LIMIT 1")


def test_a_share_is_prepared_then_posted_and_only_then_earns_points(ctx, demo_store, item):
    with pytest.raises(share_rules.ShareRefused) as refused:
        posting.share(ctx, CAMILLE, item, DRAFT, "linkedin", "s-refused", draft_text=DRAFT)
    assert refused.value.codes == ["unchanged"]
    assert posting.status(demo_store, "s-refused") is None, "a refused text is not recorded at all"
    posting.share(ctx, CAMILLE, item, OWN, "linkedin", "s-1", draft_text=DRAFT)
    assert posting.status(demo_store, "s-1") == "prepared"
    assert points.points_of(demo_store, CAMILLE) == 0
    with pytest.raises(LookupError):
        posting.confirm(demo_store, "someone.else@nordlys-energie.example", "s-1")
    with pytest.raises(ValueError):
        posting.confirm(demo_store, CAMILLE, "s-1", "javascript:alert(1)")
    assert posting.confirm(demo_store, CAMILLE, "s-1", "https://www.linkedin.com/feed/update/urn:li:activity:7/")
    assert posting.status(demo_store, "s-1") == "posted" and points.points_of(demo_store, CAMILLE) > 10
    [row] = posting.history(demo_store, CAMILLE)
    assert row["post_url"].endswith("activity:7/") and row["clicks"] == 0


def test_a_prepared_share_can_be_discarded_by_its_author_only(ctx, demo_store, item):
    posting.share(ctx, CAMILLE, item, OWN, "linkedin", "s-3", draft_text=DRAFT)
    assert not posting.discard(demo_store, "someone.else@nordlys-energie.example", "s-3")
    assert posting.discard(demo_store, CAMILLE, "s-3") and posting.status(demo_store, "s-3") is None



def test_every_figure_counts_a_share_once_posted(ctx, demo_store, item):
    """Marketing figures, campaign goals, points and the digests' last posts apply one rule (``posting.posted``):
    a prepared share is in none of them, the same share once confirmed is in each."""
    from assistant.digest.digests import last_posts
    from assistant.reporting import goals, metrics

    def seen() -> dict:
        goal = next(g for g in goals.progress(demo_store, dt.date(2030, 1, 1)) if g["id"] == goal_id)
        figures = metrics.share_metrics(demo_store, metrics.Filters(email=CAMILLE))  # the marketing page's filter
        return {"metrics": "s-4" in {r["id"] for r in figures},
                "goal": goal["progress"]["value"], "points": points.points_of(demo_store, CAMILLE),
                "digest": "s-4" in {p["id"] for p in last_posts(demo_store, [CAMILLE])[CAMILLE]}}

    prepared = posting.share(ctx, CAMILLE, item, OWN, "linkedin", "s-4", draft_text=DRAFT)
    goal_id = goals.add_goal(demo_store, prepared["campaign"], "shares", 100)
    before = seen()
    assert before == {"metrics": False, "goal": before["goal"], "points": before["points"], "digest": False}
    assert posting.confirm(demo_store, CAMILLE, "s-4")
    after = seen()
    assert after["metrics"] and after["digest"], after
    assert after["goal"] == before["goal"] + 1 and after["points"] > before["points"], (before, after)


def test_the_posted_rule_is_written_once():
    """No module but ``sharing/posting.py`` spells the status condition (the store's migrations keep their history)."""
    spelled = re.compile(r"status\s*=\s*'(posted|prepared)'")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "assistant").rglob("*.py"))
             if path.name not in ("posting.py", "migrations.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if spelled.search(line)]
    assert found == []
    assert spelled.search(posting.posted("s")) and spelled.search(posting.posted())


def test_loading_estimate_comes_from_the_last_load_here(tmp_path):
    record = tmp_path / "drafting-load.json"
    loading = Loading(record, first_time=True)
    assert loading.estimate_s() == 150.0, "first start: the one-time conversion"
    loading.begin()
    assert not loading.done and loading.remaining_s() >= 1
    loading.end()
    assert loading.done and loading.remaining_s() == 0
    assert Loading(record).estimate_s() < 5, "the next start expects what this one took"
