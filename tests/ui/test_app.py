"""The Streamlit app, driven headless with AppTest (fake models, temporary PORTE_VOIX_HOME).

Sign-in (sessions that survive a reload, deep links, throttling, SSO), one
language at a time, navigation by role, server-side role checks, friendly
faults, and the employee pages. The other roles' pages are in test_app_roles.py.
"""

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.ui.conftest import CAMILLE, JULIEN, LEA, app, msg, page_alone, sign_in, texts

# --- sign-in, sessions, deep links -------------------------------------------------------

def test_sign_in_page_comes_first_and_refuses_a_wrong_password(demo):
    at = app()
    assert not at.exception and at.title[0].value == "📣 Porte-voix"
    sign_in(at, CAMILLE, "not the password")
    assert at.error[0].value == msg("signin.wrong")
    assert "auth_username" not in at.session_state


def test_repeated_failures_lock_the_form_with_a_clear_message(demo):
    at = app()
    for _ in range(6):
        sign_in(at, CAMILLE, "wrong password again")
    assert any("réessayez dans" in e.value for e in at.error), [e.value for e in at.error]
    sign_in(at, CAMILLE)  # even the right password waits for the lock to end
    assert "auth_username" not in at.session_state and not at.exception


def test_demo_employee_signs_in_and_sees_only_employee_pages(demo):
    from assistant.access import sessions

    at = sign_in(app(), CAMILLE)
    assert not at.exception
    assert at.title[0].value == msg("feed.title")
    assert sessions.active(demo, CAMILLE) == 1, "a server-side session backs the sign-in"
    assert at.session_state["auth_cookie_action"]["action"] == "open", "the browser is asked to fetch its cookie"
    at.switch_page("assistant/ui/profile.py").run()
    assert at.title[0].value == msg("profile.title")
    for other in ("assistant/ui/marketing.py", "assistant/ui/experts.py", "assistant/ui/library.py",
                  "assistant/ui/admin.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(other)


def test_a_reload_with_the_session_cookie_stays_signed_in_until_sign_out(demo, monkeypatch):
    """A new browser session (a reload, a new tab) presents the cookie; sign-out revokes it server-side."""
    from assistant.access import sessions
    from assistant.ui import auth

    token = sessions.create(demo, CAMILLE)
    monkeypatch.setattr(auth, "_cookie_token", lambda: token)
    at = app()
    assert at.title[0].value == msg("feed.title"), "signed in from the cookie alone"
    at.button(key="auth_signout").click().run()
    assert at.title[0].value == "📣 Porte-voix"
    assert sessions.account_for(demo, token) is None, "revoked on the server"
    assert at.session_state["auth_cookie_action"]["action"] == "close"
    assert app().title[0].value == "📣 Porte-voix", "the old cookie opens nothing any more"


def test_a_session_revoked_elsewhere_signs_this_tab_out(demo, monkeypatch):
    from assistant.access import sessions
    from assistant.ui import auth

    token = sessions.create(demo, CAMILLE)
    monkeypatch.setattr(auth, "_cookie_token", lambda: token)
    at = app()
    assert at.title[0].value == msg("feed.title")
    sessions.revoke_all(demo, CAMILLE)  # e.g. the password was changed
    at.run()
    assert at.title[0].value == "📣 Porte-voix"


def test_a_deep_link_opened_signed_out_lands_on_its_item_after_sign_in(demo):
    item_id = demo.value("SELECT id FROM content WHERE NOT retired ORDER BY id LIMIT 1")
    at = app(query={"item": item_id})
    assert at.title[0].value == "📣 Porte-voix" and at.info[0].value == msg("signin.then_link")
    sign_in(at, CAMILLE)
    assert not at.exception, at.exception
    title = demo.value("SELECT title FROM content WHERE id = ?", [item_id])
    assert at.button(key="feed_back_ask") and title.split()[0] in at.subheader[0].value
    assert msg("ask.question") in texts(at), "the item opens on the question before any draft"
    assert at.query_params["item"] == [item_id] or at.query_params["item"] == item_id


def test_page_parameter_opens_that_page_and_unknown_pages_say_so_in_words(demo):
    at = app(CAMILLE, query={"page": "profile"})
    assert at.title[0].value == msg("profile.title")
    at = app(CAMILLE, query={"page": "library"})
    assert at.title[0].value == msg("feed.title"), "a page the account lacks falls back to its first page"


def test_identity_provider_sign_in_needs_a_verified_email(demo):
    auth_section = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                    "client_id": "porte-voix", "client_secret": "y",
                    "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = auth_section
    at.run()
    assert any(b.label == msg("signin.sso") for b in at.button), "the SSO button is offered when [auth] is configured"
    at.user = {"is_logged_in": True, "email": LEA, "email_verified": True}
    at.run()
    assert not at.exception
    at.switch_page("assistant/ui/marketing.py").run()
    assert not at.exception and not any(msg("auth.denied", role="Marketing") == e.value for e in at.error)
    unverified = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    unverified.secrets["auth"] = auth_section
    unverified.user = {"is_logged_in": True, "email": LEA, "email_verified": False}
    unverified.run()
    assert unverified.title[0].value == "📣 Porte-voix" and "vérifié" in unverified.error[0].value
    stranger = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    stranger.secrets["auth"] = auth_section
    stranger.user = {"is_logged_in": True, "email": "stranger@elsewhere.example", "email_verified": True}
    stranger.run()
    assert "n'a pas accès" in stranger.error[0].value


# --- roles ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["assistant/ui/marketing.py", "assistant/ui/experts.py",
                                  "assistant/ui/library.py", "assistant/ui/admin.py"])
def test_every_restricted_page_checks_the_role_on_the_server(demo, path):
    at = page_alone(path, CAMILLE)
    assert at.error[0].value.startswith("Accès refusé")
    assert len(at.title) == 0, "nothing of the page is rendered"
    at = page_alone(path, None)
    assert at.error[0].value.startswith("Accès refusé")


def test_employee_pages_need_a_signed_in_employee(demo):
    for path in ("assistant/ui/feed.py", "assistant/ui/profile.py"):
        assert page_alone(path, None).error[0].value.startswith("Accès refusé")


def test_roles_give_their_sections(demo):
    at = app(LEA)
    at.switch_page("assistant/ui/marketing.py").run()
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page("assistant/ui/library.py")


def test_sign_out_returns_to_the_sign_in_page(demo):
    at = app(CAMILLE)
    at.button(key="auth_signout").click().run()
    assert at.title[0].value == "📣 Porte-voix" and "auth_username" not in at.session_state


# --- one language at a time ------------------------------------------------------------------

def test_the_language_follows_the_profile_and_the_sidebar_switch_is_kept(demo):
    from assistant.access import preferences

    demo.execute("UPDATE employees SET languages = ['en', 'fr'] WHERE email = ?", [CAMILLE])
    assert app(CAMILLE).title[0].value == "My feed", "an English speaker's interface is in English"
    demo.execute("UPDATE employees SET languages = ['fr', 'en'] WHERE email = ?", [CAMILLE])
    at = app(CAMILLE)
    assert at.title[0].value == "Mon fil"
    assert "·" not in " ".join(b.label for b in at.button), "no label is written twice"
    at.radio(key="sidebar_lang").set_value("en").run()
    assert at.title[0].value == "My feed" and preferences.language(demo, CAMILLE) == "en"
    assert app(CAMILLE).title[0].value == "My feed", "the choice is kept for the account"


def test_signed_out_visitors_get_their_browser_language(demo):
    at = app(locale="en-GB")
    assert at.button[0].label == "Sign in"
    assert app(locale="fr-FR").button[0].label == "Se connecter"


# --- faults ---------------------------------------------------------------------------------

def test_a_locked_store_shows_a_friendly_page_without_paths(app_env, monkeypatch):
    import duckdb

    from assistant.ui import resources

    def locked():
        raise duckdb.IOException('IO Error: Could not set lock on file "/srv/secret/porte-voix.duckdb": '
                                 "Conflicting lock is held in /usr/bin/python3 (PID 4242)")

    monkeypatch.setattr(resources, "store", locked)
    at = app()
    assert not at.exception
    shown = texts(at)
    assert msg("fault.locked") in shown
    assert "/srv/secret" not in shown and "4242" not in shown


# --- my feed --------------------------------------------------------------------------------

def test_feed_cards_have_excerpt_kind_campaign_and_a_reason_in_words(demo):
    at = app(CAMILLE)
    assert not at.exception
    assert not [s for s in at.selectbox if s.key == "feed_employee"], "no way to pick someone else"
    shown = texts(at)
    assert "score" not in shown.lower(), "no raw score"
    assert "Correspond à votre" in shown or msg("feed.why.featured") in shown
    assert len(at.text) >= 3, "each card has an excerpt of the item"
    assert any(c.value.startswith(("Article", "Actualité", "Offre", "Événement")) for c in at.caption)
    assert any(b.key.startswith("feed_draft_") for b in at.button)


def test_imported_text_is_shown_as_text_not_markdown(demo):
    hostile = "Bilan ![pixel](https://tracker.example/p.gif) [cliquez](javascript:alert(1)) www.evil.example"
    demo.execute("UPDATE content SET title = ?", [hostile])
    at = app(CAMILLE)
    titles = [m.value for m in at.markdown if "pixel" in m.value]
    assert titles and all("![" not in v and "](" not in v and "www.evil" not in v for v in titles)


def test_employee_outside_the_program_is_invited_to_join(demo):
    from assistant.access.accounts import create_account

    create_account(demo, "pierre.lemoine@nordlys-energie.example", "a long enough passphrase", ["employee"])
    demo.execute("UPDATE employees SET consent_program = FALSE WHERE email = ?", ["pierre.lemoine@nordlys-energie.example"])
    at = app("pierre.lemoine@nordlys-energie.example")
    assert at.info[0].value == msg("feed.not_joined")
    at.button(key="feed_join").click().run()
    assert demo.value("SELECT consent_program FROM employees WHERE email = ?", ["pierre.lemoine@nordlys-energie.example"])


MY_WORDS = "la première fois que j'ai vu ce sujet en réunion d'équipe, on en a parlé une heure"


def _open_first_item(at, words: str | None = MY_WORDS):
    """Open the first recommended item and answer the editor's question (``None``: ask for the outline)."""
    button = next(b for b in at.button if b.key.startswith("feed_draft_"))
    item_id = button.key.removeprefix("feed_draft_")
    button.click().run()
    assert not at.exception, at.exception
    if words is None:
        at.button(key=f"feed_outline_{item_id}").click().run()
    else:
        at.text_input(key=f"feed_words_{item_id}").input(words)
        at.button(key=f"feed_compose_{item_id}").click().run()
    assert not at.exception, at.exception
    return item_id


def _score(at) -> int:
    metric = next(m for m in at.metric if m.label == msg("score.title"))
    return int(metric.value.split("/")[0])


def _score_table(at) -> list[int]:
    """The points column of the score table (components and penalties), then the total."""
    table = next(m.value for m in at.markdown if m.value.startswith(f"| {msg('score.part')}"))
    cells = [row.split("|")[-2].strip().strip("*") for row in table.splitlines()[2:]]
    return [int(c.replace("−", "-").replace("+", "")) for c in cells]


OWN = ("Je travaille chez Nordlys : la semaine dernière, j'ai moi-même vu nos équipes data passer une nuit "
       "sur ce sujet, et je suis convaincue que c'est la bonne direction. Qu'en pensez-vous ?")


def _edit(at, item_id: str, text: str):
    draft_id = at.radio(key=f"feed_pick_{item_id}").value
    at.session_state[f"feed_text_{item_id}_{draft_id}"] = {"text": text}
    return at.run()


def test_draft_edit_score_share_then_confirm_posted(demo):
    from assistant.reporting import points

    at = app(CAMILLE)
    item_id = _open_first_item(at, words=None)
    pick = at.radio(key=f"feed_pick_{item_id}")
    assert len(pick.options) == 1
    draft_id = pick.value
    assert at.button(key=f"feed_share_{item_id}").disabled, "an unchanged outline cannot be shared"
    assert msg("share.refused.unchanged") in texts(at)
    *parts, total = _score_table(at)
    assert sum(parts) == total == _score(at), "the total is the visible sum of its parts, penalties included"
    assert any(p < 0 for p in parts), "the unchanged-draft penalty is a visible line"
    first = _score(at)
    _edit(at, item_id, OWN)
    assert not at.exception
    assert _score(at) != first, "the score follows the text"
    *parts, total = _score_table(at)
    assert sum(parts) == total == _score(at)
    share = at.button(key=f"feed_share_{item_id}")
    assert not share.disabled
    before = points.points_of(demo, CAMILLE)
    share.click().run()
    assert not at.exception, at.exception
    row = demo.rows("SELECT * FROM shares WHERE email = ? AND content_id = ?", [CAMILLE, item_id])[0]
    assert row["status"] == "prepared" and row["draft_id"] == draft_id and row["text"].startswith(OWN)
    assert "utm_source=linkedin" in row["tracked_url"] and "utm_medium=employee-advocacy" in row["tracked_url"]
    assert points.points_of(demo, CAMILLE) == before, "a prepared share earns nothing yet"
    assert msg("share.ready", network="LinkedIn", score=round(row["score"]),
               points=10 + round(row["score"] / 10)) in texts(at)
    assert {b.label for b in at.get("link_button")} == {msg("share.post_on.linkedin")}, "one network per share"
    at.text_input(key=f"feed_confirm_{row['id']}_url").input("javascript:alert(1)")
    next(b for b in at.button if b.label == msg("share.confirm")).click().run()
    assert msg("share.bad_post_url") in texts(at)
    at.text_input(key=f"feed_confirm_{row['id']}_url").input("https://www.linkedin.com/feed/update/urn:li:activity:42/")
    next(b for b in at.button if b.label == msg("share.confirm")).click().run()
    row = demo.rows("SELECT status, post_url FROM shares WHERE id = ?", [row["id"]])[0]
    assert row == {"status": "posted", "post_url": "https://www.linkedin.com/feed/update/urn:li:activity:42/"}
    assert points.points_of(demo, CAMILLE) > before
    assert msg("share.posted") in texts(at)


def test_i_posted_it_still_lands_when_a_first_click_posted_the_share_meanwhile(demo):
    """The engagement sync posts a prepared share at its first human click; an employee pressing "I posted it"
    on the panel they still see must get their confirmation (and the post's address kept), not a page where
    the panel, its button and the address typed have silently gone."""
    at = app(CAMILLE)
    item_id = _open_first_item(at, words=None)
    _edit(at, item_id, OWN)
    at.button(key=f"feed_share_{item_id}").click().run()
    row = demo.rows("SELECT * FROM shares WHERE email = ? AND content_id = ?", [CAMILLE, item_id])[0]
    demo.execute("UPDATE shares SET status = 'posted', posted_at = current_timestamp WHERE id = ?", [row["id"]])
    address = "https://www.linkedin.com/feed/update/urn:li:activity:77/"
    at.text_input(key=f"feed_confirm_{row['id']}_url").input(address)
    next(b for b in at.button if b.label == msg("share.confirm")).click().run()
    assert not at.exception, at.exception
    assert demo.value("SELECT post_url FROM shares WHERE id = ?", [row["id"]]) == address
    assert msg("share.posted") in texts(at)


def test_x_share_has_its_own_tracking_and_fits_x(demo):
    from urllib.parse import parse_qs, urlsplit

    at = app(CAMILLE)
    item_id = _open_first_item(at)
    _edit(at, item_id, OWN)
    at.radio(key=f"feed_network_{item_id}").set_value("x").run()
    at.button(key=f"feed_share_{item_id}").click().run()
    assert not at.exception, at.exception
    row = demo.rows("SELECT * FROM shares WHERE email = ? AND content_id = ?", [CAMILLE, item_id])[0]
    assert row["network"] == "x" and "utm_source=x" in row["tracked_url"]
    [link] = [b for b in at.get("link_button")]
    intent = parse_qs(urlsplit(link.proto.url).query)
    posted = intent["text"][0] + " " + intent.get("url", [""])[0]
    assert len(posted) <= 280 and "utm_source=linkedin" not in posted


def test_too_long_for_x_is_blocked_with_the_reason(demo):
    at = app(CAMILLE)
    item_id = _open_first_item(at)
    _edit(at, item_id, " ".join([OWN] * 3))
    at.radio(key=f"feed_network_{item_id}").set_value("x").run()
    assert at.button(key=f"feed_share_{item_id}").disabled
    assert any("280" in e.value for e in at.error)


@pytest.mark.parametrize("text, code", [
    ("", "empty"),
    ("Bravo à toute l'équipe pour ce beau projet ! " * 60, "repetitive"),
])
def test_empty_or_repetitive_text_cannot_be_shared(demo, text, code):
    at = app(CAMILLE)
    item_id = _open_first_item(at)
    _edit(at, item_id, text)
    assert at.button(key=f"feed_share_{item_id}").disabled
    assert msg(f"share.refused.{code}") in texts(at)
    if code == "repetitive":
        assert _score(at) < 20, "one sentence repeated 60 times scores low"
    assert demo.value("SELECT count(*) FROM shares WHERE email = ? AND content_id = ?", [CAMILLE, item_id]) == 0


def test_the_editor_asks_first_then_builds_every_draft_on_the_employees_words(demo):
    at = app(CAMILLE)
    button = next(b for b in at.button if b.key.startswith("feed_draft_"))
    item_id = button.key.removeprefix("feed_draft_")
    button.click().run()
    drafts_shown = lambda: [r for r in at.radio if (r.key or "").startswith("feed_pick_")]  # noqa: E731
    assert msg("ask.question") in texts(at) and not drafts_shown(), "a question, before any draft"
    starters = [b for b in at.button if b.key.startswith(f"feed_starter_{item_id}_")]
    assert len(starters) == 3
    starters[1].click().run()
    assert at.text_input(key=f"feed_words_{item_id}").value.strip()
    at.button(key=f"feed_compose_{item_id}").click().run()
    assert msg("ask.unfinished") in texts(at) and not drafts_shown(), "a starter alone is not the employee's line"
    at.text_input(key=f"feed_words_{item_id}").input(MY_WORDS)
    at.button(key=f"feed_compose_{item_id}").click().run()
    pick = at.radio(key=f"feed_pick_{item_id}")
    assert len(pick.options) == 3 and list(pick.options)[0] == msg("form.story")
    stored = demo.rows("SELECT text, own_words FROM drafts WHERE email = ? AND content_id = ?", [CAMILLE, item_id])
    assert len(stored) == 3 and all("La première fois que j'ai vu ce sujet" in r["text"] for r in stored)


def test_other_words_ask_the_question_again_and_draft_on_the_new_line(demo):
    at = app(CAMILLE)
    item_id = _open_first_item(at)
    at.button(key=f"feed_other_words_{item_id}").click().run()
    assert not [r for r in at.radio if (r.key or "").startswith("feed_pick_")], "the question again, not old drafts"
    at.text_input(key=f"feed_words_{item_id}").input("ce matin encore on en parlait devant la machine à café")
    at.button(key=f"feed_compose_{item_id}").click().run()
    assert not at.exception, at.exception
    latest = workspace_latest(demo, item_id)
    assert len(latest) == 3 and all("Ce matin encore on en parlait" in d["text"] for d in latest)
    editor = [e for e in at.get("bidi_component") if "feed_text_" in (e.proto.id or "")][0]
    assert json.loads(editor.proto.json)["value"].startswith("Ce matin encore")


def workspace_latest(store, item_id: str) -> list[dict]:
    request = store.value("SELECT request_id FROM drafts WHERE email = ? AND content_id = ? ORDER BY created_at DESC "
                          "LIMIT 1", [CAMILLE, item_id])
    return store.rows("SELECT text FROM drafts WHERE request_id = ? ORDER BY variant", [request])


def test_an_outline_cannot_be_shared_until_the_employee_writes(demo):
    at = app(CAMILLE)
    item_id = _open_first_item(at, words=None)
    assert msg("form.scaffold_note") in texts(at)
    assert at.button(key=f"feed_share_{item_id}").disabled
    assert msg("share.refused.outline") in texts(at)


def test_an_edit_survives_a_reload(demo):
    at = app(CAMILLE)
    item_id = _open_first_item(at)
    _edit(at, item_id, OWN)
    again = app(CAMILLE, query={"item": item_id})  # a new browser session on the same address
    assert not again.exception
    [editor] = [e for e in again.get("bidi_component") if "feed_text_" in (e.proto.id or "")]
    assert json.loads(editor.proto.json)["value"] == OWN


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
    _edit(at, item_id, "Je travaille chez Nordlys sur le Projet Aurore, et j'en suis très fière.")
    assert at.button(key=f"feed_share_{item_id}").disabled
    assert any("Aurore" in e.value for e in at.error)


def test_employee_cannot_read_another_employees_drafts(demo):
    from assistant.access.accounts import Forbidden, get_account
    from assistant.app import workspace

    at = app(CAMILLE)
    item_id = next(b for b in at.button if b.key.startswith("feed_draft_")).key.removeprefix("feed_draft_")
    secret = "Brouillon privé de Julien, à ne pas montrer."
    _stored_draft(demo, CAMILLE, item_id, "Mon brouillon à moi.", "d-c")
    _stored_draft(demo, JULIEN, item_id, secret, "d-j")
    at.button(key=f"feed_draft_{item_id}").click().run()
    assert not at.exception
    assert "Mon brouillon à moi." in texts(at) and secret not in texts(at)
    pick = at.radio(key=f"feed_pick_{item_id}")
    assert len(pick.options) == 1 and pick.value == "d-c"
    camille = get_account(demo, CAMILLE)
    with pytest.raises(Forbidden):
        workspace.drafts_of(demo, camille, JULIEN)
    assert all(d["email"] == CAMILLE for d in workspace.drafts_of(demo, camille, CAMILLE))


def test_my_shares_lists_clicks_and_reactions_and_waiting_ones(demo):
    from assistant.reporting.events import record_event

    items = [r["id"] for r in demo.rows("SELECT id FROM content ORDER BY id LIMIT 2")]
    for share_id, item, status in (("s-posted", items[0], "posted"), ("s-waiting", items[1], "prepared")):
        demo.execute("INSERT INTO shares (id, email, content_id, text, network, score, status) "
                     "VALUES (?, ?, ?, 'Mon texte', 'linkedin', 70, ?)", [share_id, CAMILLE, item, status])
    record_event(demo, "s-posted", "reaction", 4)
    at = app(CAMILLE)
    at.session_state["feed_tabs"] = msg("feed.tab_shares")
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "clicks" in d.value.columns)
    assert len(table) == 2 and {"clicks", "reactions", "comments", "status"} <= set(table.columns)
    assert table.set_index("status").loc[msg("share_status.posted"), "reactions"] == 4
    assert msg("feed.waiting_title") in [h.value for h in at.subheader]
    at.button(key="FormSubmitter:feed_hist_s-waiting-" + msg("share.confirm")).click().run()
    assert demo.value("SELECT status FROM shares WHERE id = 's-waiting'") == "posted"


# --- my profile -----------------------------------------------------------------------------

def test_profile_edits_posts_and_consent_and_warns_without_expertise(demo):
    at = app(CAMILLE, "assistant/ui/profile.py")
    assert not at.exception
    assert msg("profile.how_used") in texts(at)
    at.text_area(key="profile_expertise").input("")
    next(b for b in at.button if b.label == msg("common.save")).click().run()
    assert msg("profile.saved_without_expertise") in texts(at)
    assert msg("profile.expertise_empty") in texts(at.run())
    at.text_area(key="profile_expertise").input("Pipelines Kafka et qualité des données.")
    at.selectbox(key="profile_gender").set_value("f")
    next(b for b in at.button if b.label == msg("common.save")).click().run()
    person = demo.rows("SELECT * FROM employees WHERE email = ?", [CAMILLE])[0]
    assert person["expertise"] == "Pipelines Kafka et qualité des données." and person["gender_fr"] == "f"
    at.text_area(key="profile_paste").input("Premier post sur dbt.\n\nSecond post about Iceberg tables.")
    next(b for b in at.button if b.label == msg("profile.add")).click().run()
    assert at.success[0].value == msg("profile.posts_added", n=2)
    at.toggle(key="profile_consent_interviews").set_value(False).run()
    assert demo.value("SELECT consent_interviews FROM employees WHERE email = ?", [CAMILLE]) is False


def test_profile_download_and_erase_my_data(demo):
    from assistant.app import privacy

    at = app(CAMILLE, "assistant/ui/profile.py")
    assert at.get("download_button")[0].label == msg("profile.download")
    erase = at.button(key="profile_erase")
    assert erase.disabled, "erasing needs the confirmation"
    at.text_input(key="profile_erase_confirm").input(CAMILLE).run()
    at.button(key="profile_erase").click().run()
    assert set(privacy.remaining(demo, CAMILLE).values()) == {0}
    assert at.title[0].value == "📣 Porte-voix", "signed out after erasure"
