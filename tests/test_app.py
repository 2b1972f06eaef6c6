"""The Streamlit app, driven headless with AppTest (fake models, temporary PORTE_VOIX_HOME).

Sign-in, navigation by role, server-side role checks, and the employee pages.
The other roles' pages are in test_app_roles.py.
"""

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import DEMO, ROOT

from assistant import demo as demo_data
from assistant.cli import embed_all
from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.demo_accounts import DEMO_PASSWORD
from assistant.store import close_all
from tests import fakes

CAMILLE = "camille.durand@nordlys-energie.example"
JULIEN = "julien.moreau@nordlys-energie.example"
LEA = "lea.fontaine@nordlys-energie.example"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr("assistant.accounts.ROUNDS", 4)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """The demo database (content, people, fake embeddings, accounts, activity), built once per run."""
    fakes.register()  # session fixtures run before the per-test ``fakes`` fixture
    folder = tmp_path_factory.mktemp("demo-home")
    ctx = open_context(Settings(home=folder, embedder="fake", generator="fake", bcrypt_rounds=4))
    demo_data.load(ctx)
    embed_all(ctx, quiet=True)
    close_all()
    return folder


@pytest.fixture
def app_env(home, monkeypatch):
    """The app (an entry point) configured for this test's home through the environment, as an
    installation configures it."""
    monkeypatch.setenv("PORTE_VOIX_HOME", str(home))
    monkeypatch.setenv("PORTE_VOIX_EMBEDDER", "fake")
    monkeypatch.setenv("PORTE_VOIX_GENERATOR", "fake")
    monkeypatch.setenv("PORTE_VOIX_BCRYPT_ROUNDS", "4")
    return home


@pytest.fixture
def demo(app_env, demo_template):
    """A fresh copy of the demo home in this test's home."""
    shutil.copytree(demo_template, app_env, dirs_exist_ok=True)
    return open_context(load_settings()).store


def app(user: str | None = None, page: str | None = None) -> AppTest:
    """The app, signed in as ``user`` (as the sign-in form would leave it), on ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if user:
        at.session_state["auth_username"] = user
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def page_alone(path: str, user: str | None) -> AppTest:
    """A page file run on its own, as a hand-typed URL would reach it: only its own check protects it."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    if user:
        at.session_state["auth_username"] = user
    return at.run()


def texts(at) -> str:
    return " ".join(e.value for kind in ("markdown", "caption", "info", "success", "error", "warning")
                    for e in getattr(at, kind))


# --- sign-in and roles ----------------------------------------------------------------

def test_sign_in_page_comes_first_and_refuses_a_wrong_password(demo):
    at = app()
    assert not at.exception and at.title[0].value == "📣 Porte-voix"
    at.text_input(key="signin_username").input(CAMILLE)
    at.text_input(key="signin_password").input("not the password")
    at.button[0].click().run()
    assert "Wrong email or password" in at.error[0].value
    assert "auth_username" not in at.session_state


def test_demo_employee_signs_in_and_sees_only_employee_pages(demo):
    at = app()
    at.text_input(key="signin_username").input(CAMILLE)
    at.text_input(key="signin_password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Mon fil · My feed"
    at.switch_page("assistant/ui/profile.py").run()
    assert at.title[0].value == "Mon profil · My profile"
    for other in ("assistant/ui/marketing.py", "assistant/ui/experts.py", "assistant/ui/library.py",
                  "assistant/ui/admin.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(other)


@pytest.mark.parametrize("path", ["assistant/ui/marketing.py", "assistant/ui/experts.py",
                                  "assistant/ui/library.py", "assistant/ui/admin.py"])
def test_every_restricted_page_checks_the_role_on_the_server(demo, path):
    at = page_alone(path, CAMILLE)
    assert "Access denied" in at.error[0].value
    assert len(at.title) == 0, "nothing of the page is rendered"
    at = page_alone(path, None)
    assert "Access denied" in at.error[0].value


def test_employee_pages_need_a_signed_in_employee(demo):
    for path in ("assistant/ui/feed.py", "assistant/ui/profile.py"):
        assert "Access denied" in page_alone(path, None).error[0].value


def test_roles_give_their_sections(demo):
    at = app(LEA)
    at.switch_page("assistant/ui/marketing.py").run()
    assert not at.exception and at.title[0].value == "Authenticité · Authenticity"
    with pytest.raises(ValueError):
        at.switch_page("assistant/ui/library.py")


def test_identity_provider_sign_in_maps_the_email_to_roles(demo):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                          "client_id": "porte-voix", "client_secret": "y",
                          "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at.run()
    assert any("SSO" in b.label for b in at.button), "the SSO button is offered when [auth] is configured"
    at.user = {"is_logged_in": True, "email": LEA}
    at.run()
    assert not at.exception
    at.switch_page("assistant/ui/marketing.py").run()
    assert at.title[0].value == "Authenticité · Authenticity"
    stranger = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    stranger.secrets["auth"] = at.secrets["auth"]
    stranger.user = {"is_logged_in": True, "email": "stranger@elsewhere.example"}
    stranger.run()
    assert "has no access" in stranger.error[0].value


def test_sign_out_returns_to_the_sign_in_page(demo):
    at = app(CAMILLE)
    at.button(key="auth_signout").click().run()
    assert at.title[0].value == "📣 Porte-voix" and "auth_username" not in at.session_state


# --- my feed --------------------------------------------------------------------------

def test_feed_shows_my_recommendations_with_reasons(demo):
    at = app(CAMILLE)
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "feed_employee"], "no way to pick someone else"
    assert "votre" in texts(at) or "your" in texts(at)
    assert any(b.key.startswith("feed_draft_") for b in at.button)


def test_employee_outside_the_program_is_invited_to_join(demo, monkeypatch):
    from assistant.accounts import create_account

    create_account(demo, "pierre.lemoine@nordlys-energie.example", "long password", ["employee"])
    at = app("pierre.lemoine@nordlys-energie.example")
    assert "not joined" in at.info[0].value
    at.button(key="feed_join").click().run()
    assert demo.value("SELECT consent_program FROM employees WHERE email = ?", ["pierre.lemoine@nordlys-energie.example"])


@pytest.fixture
def drafting():
    return pytest.importorskip("assistant.drafting")


def _open_first_item(at):
    button = next(b for b in at.button if b.key.startswith("feed_draft_"))
    item_id = button.key.removeprefix("feed_draft_")
    button.click().run()
    assert not at.exception, at.exception
    return item_id


def _score(at) -> float:
    metric = next(m for m in at.metric if m.label.startswith("Authenticité"))
    return float(metric.value.split("/")[0])


def test_draft_edit_score_share(demo, drafting):
    at = app(CAMILLE)
    item_id = _open_first_item(at)
    pick = at.radio(key=f"feed_pick_{item_id}")
    assert 2 <= len(pick.options) <= 3
    draft_id = pick.value
    editor_key = f"feed_text_{item_id}_{draft_id}"
    first = _score(at)
    own = ("Je travaille chez Nordlys : la semaine dernière, j'ai moi-même vu nos équipes data passer une nuit "
           "sur ce sujet, et je suis convaincue que c'est la bonne direction. Qu'en pensez-vous ?")
    at.session_state[editor_key] = {"text": own}
    at.run()
    assert not at.exception
    assert _score(at) != first, "the score follows the text"
    share = at.button(key=f"feed_share_{item_id}")
    assert not share.disabled
    share.click().run()
    assert not at.exception
    assert "Shared!" in at.success[0].value
    row = demo.rows("SELECT * FROM shares WHERE email = ?", [CAMILLE])[0]
    assert row["text"].startswith(own) and "utm_medium=employee-advocacy" in row["tracked_url"]
    assert row["score"] is not None and row["draft_id"] == draft_id
    assert row["tracked_url"] in at.code[0].value
    assert {b.label for b in at.get("link_button")} >= {"Publier sur X · Post on X"}


def _stored_draft(store, email: str, item_id: str, text: str, draft_id: str) -> None:
    """A draft as drafting.py stores it, so a test can open the editor without a generator."""
    store.execute("INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator,"
                  " fallback, attempts) VALUES (?, ?, ?, ?, 0, 'experience', 'fr', ?, 'fake', false, 1)",
                  [draft_id, email, item_id, f"r-{draft_id}", text])


def test_blocking_violation_disables_share_with_the_reason(demo):
    at = app(CAMILLE)
    item_id = next(b for b in at.button if b.key.startswith("feed_draft_")).key.removeprefix("feed_draft_")
    _stored_draft(demo, CAMILLE, item_id, "Je travaille chez Nordlys et je partage ceci.", "d-c")
    at.button(key=f"feed_draft_{item_id}").click().run()
    draft_id = at.radio(key=f"feed_pick_{item_id}").value
    at.session_state[f"feed_text_{item_id}_{draft_id}"] = {"text": "Je travaille chez Nordlys sur le Projet Aurore."}
    at.run()
    assert at.button(key=f"feed_share_{item_id}").disabled
    assert any("Aurore" in e.value for e in at.error)


def test_employee_cannot_read_another_employees_drafts(demo):
    from assistant import workspace
    from assistant.accounts import Forbidden, get_account

    at = app(CAMILLE)
    item_id = next(b for b in at.button if b.key.startswith("feed_draft_")).key.removeprefix("feed_draft_")
    secret = "Brouillon privé de Julien, à ne pas montrer."
    _stored_draft(demo, CAMILLE, item_id, "Mon brouillon à moi.", "d-c")
    _stored_draft(demo, JULIEN, item_id, secret, "d-j")
    at.button(key=f"feed_draft_{item_id}").click().run()
    assert not at.exception
    assert "Mon brouillon à moi." in texts(at) and secret not in texts(at)
    assert len(at.radio(key=f"feed_pick_{item_id}").options) == 1 and at.radio(key=f"feed_pick_{item_id}").value == "d-c"
    camille = get_account(demo, CAMILLE)
    with pytest.raises(Forbidden):
        workspace.drafts_of(demo, camille, JULIEN)
    assert all(d["email"] == CAMILLE for d in workspace.drafts_of(demo, camille, CAMILLE))


# --- my profile -----------------------------------------------------------------------

def test_profile_edits_posts_and_consent(demo):
    at = app(CAMILLE, "assistant/ui/profile.py")
    assert not at.exception
    at.text_area(key="profile_expertise").input("Pipelines Kafka et qualité des données.")
    at.selectbox(key="profile_gender").set_value("f")
    next(b for b in at.button if b.label == "Enregistrer · Save").click().run()
    person = demo.rows("SELECT * FROM employees WHERE email = ?", [CAMILLE])[0]
    assert person["expertise"] == "Pipelines Kafka et qualité des données." and person["gender_fr"] == "f"
    at.text_area(key="profile_paste").input("Premier post sur dbt.\n\nSecond post about Iceberg tables.")
    next(b for b in at.button if "Ajouter" in b.label).click().run()
    assert "2 publication(s)" in at.success[0].value
    at.toggle(key="profile_consent_interviews").set_value(False).run()
    assert demo.value("SELECT consent_interviews FROM employees WHERE email = ?", [CAMILLE]) is False


def test_profile_download_and_erase_my_data(demo):
    from assistant import privacy

    at = app(CAMILLE, "assistant/ui/profile.py")
    assert at.get("download_button")[0].label.startswith("⬇️")
    erase = at.button(key="profile_erase")
    assert erase.disabled, "erasing needs the confirmation"
    at.text_input(key="profile_erase_confirm").input(CAMILLE).run()
    at.button(key="profile_erase").click().run()
    assert set(privacy.remaining(demo, CAMILLE).values()) == {0}
    assert at.title[0].value == "📣 Porte-voix", "signed out after erasure"
