"""AppTest tests of the marketing, content-team and admin pages (fake models, temporary home)."""

import pytest

from tests.test_app import app, app_env, demo, demo_template, fast_bcrypt, texts  # noqa: F401  (fixtures)

from assistant.accounts import create_account

LEA = "lea.fontaine@nordlys-energie.example"
THOMAS = "thomas.girard@nordlys-energie.example"
NADIA = "nadia.benali@nordlys-energie.example"


def frame_with(at, column: str):
    """The first table on the page that has ``column`` (read-only tables carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


# --- authenticity (marketing) ---------------------------------------------------------

def charts(at) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def open_tab(at, label: str):
    at.session_state["mkt_tabs"] = label
    return at.run()


def test_authenticity_page_shows_distributions_clusters_trend_and_table(demo):
    at = app(LEA, "assistant/ui/marketing.py")
    assert not at.exception
    assert {m.label for m in at.metric} >= {"Partages · Shares", "Score moyen · Mean score"}
    assert charts(at) == 2, "score distribution per campaign and per team"
    assert "campaign" in at.dataframe[0].value.columns and "team" in at.dataframe[1].value.columns
    open_tab(at, "Quasi-copies · Near copies")
    assert "Groupe 1" in texts(at), "the demo has near-copy clusters"
    assert charts(at) == 0, "only the open tab is drawn"
    open_tab(at, "Tendance · Trend")
    assert charts(at) == 1
    open_tab(at, "Portée · Reach")
    assert charts(at) == 1 and "reach_vs_brand" in frame_with(at, "reach_vs_brand").columns
    open_tab(at, "Partages · Shares")
    assert len(frame_with(at, "engagement_rate")) == demo.value("SELECT count(*) FROM shares")
    assert not at.exception


def test_authenticity_filters_narrow_the_table(demo):
    at = app(LEA, "assistant/ui/marketing.py")
    open_tab(at, "Partages · Shares")
    at.selectbox(key="mkt_campaign").set_value("green-week").run()
    table = frame_with(at, "engagement_rate")
    assert set(table["campaign"]) == {"green-week"}
    at.slider(key="mkt_score").set_value((99, 100)).run()
    assert not at.exception


def test_authenticity_page_without_shares_says_so(app_env, store):
    create_account(store, LEA, "long password", ["marketing"])
    at = app(LEA)
    assert "No shares yet" in at.info[0].value


# --- experts (content team) -----------------------------------------------------------

def test_experts_lists_consenting_colleagues_with_evidence_and_csv(demo):
    at = app(THOMAS, "assistant/ui/experts.py")
    assert not at.exception
    at.text_input(key="experts_query").input("sécurité des réseaux industriels")
    next(b for b in at.button if b.label == "Chercher · Search").click().run()
    assert not at.exception
    names = [m.value for m in at.markdown if m.value.startswith("**1.")]
    assert names, "a ranked list"
    refused = [r["name"] for r in demo.rows("SELECT name FROM employees WHERE NOT consent_interviews")]
    assert not any(name in texts(at) for name in refused)
    csv_button = at.get("download_button")[0]
    assert "CSV" in csv_button.label


def test_experts_csv_has_one_row_per_colleague():
    from assistant.ui.experts import to_csv

    rows = [{"name": "Ana", "email": "a@x", "role": None, "team": "Data", "score": 1.5,
             "evidence": [{"kind": "post", "text": "Kafka, Spark"}]}]
    lines = to_csv("kafka", rows).splitlines()
    assert lines[0].startswith("rank,name,email") and lines[1].startswith("1,Ana,a@x,,Data,1.5,kafka")


# --- library and people (admin) -------------------------------------------------------

def test_library_imports_an_upload_with_the_cli_error_report(demo):
    at = app(NADIA, "assistant/ui/library.py")
    assert not at.exception and at.title[0].value == "Bibliothèque · Library"
    good = b"id,title,text,kind,language\nup-1,Nouvel article,Un texte assez long sur les capteurs.,article,fr\n"
    bad = b"id,title,text,kind\nup-2,Sans texte,,article\nup-3,Mauvais type,Du texte,podcast\n"
    at.file_uploader(key="lib_files").set_value([("new.csv", good, "text/csv"), ("bad.csv", bad, "text/csv")])
    next(b for b in at.button if b.label == "Importer · Import").click().run()
    assert not at.exception
    assert demo.value("SELECT title FROM content WHERE id = 'up-1'") == "Nouvel article"
    errors = " ".join(e.value for e in at.error)
    assert "bad.csv" in errors and "empty text" in errors and "unknown kind 'podcast'" in errors
    assert "porte-voix-upload" not in errors, "no temporary paths in the report"


def open_lib(at, label: str, key: str = "lib_tabs"):
    at.session_state[key] = label
    return at.run()


def test_library_lists_items_campaigns_and_calendar(demo):
    at = app(NADIA, "assistant/ui/library.py")
    open_lib(at, "Contenus · Items")
    editor = next(d for d in at.dataframe if d.key == "lib_items_editor")
    assert len(editor.value) == demo.value("SELECT count(*) FROM content")
    open_lib(at, "Campagnes · Campaigns")
    campaigns = frame_with(at, "active")
    assert set(campaigns["campaign"]) == {"green-week", "hiring-2026"}
    at.text_input(key="lib_campaign_name").input("salon-2027")
    at.multiselect(key="lib_campaign_items").set_value([editor.value.index[0]])
    at.number_input(key="lib_campaign_priority").set_value(2)
    next(b for b in at.button if b.label == "Appliquer · Apply").click().run()
    assert demo.value("SELECT priority FROM content WHERE campaign = 'salon-2027'") == 2
    open_lib(at, "Calendrier · Calendar")
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) == 1 and not at.exception


def test_library_item_edit_and_retire(demo):
    at = app(NADIA, "assistant/ui/library.py")
    open_lib(at, "Contenus · Items")
    editor = next(d for d in at.dataframe if d.key == "lib_items_editor")
    first = editor.value.index[0]
    at.session_state["lib_items_editor"] = {"edited_rows": {0: {"retired": True, "priority": 3}},
                                            "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="lib_items_save").click().run()
    assert not at.exception
    row = demo.rows("SELECT retired, priority FROM content WHERE id = ?", [first])[0]
    assert row == {"retired": True, "priority": 3}


def test_policy_is_validated_before_it_is_saved(demo, home):
    at = app(NADIA, "assistant/ui/admin.py")
    assert not at.exception
    open_lib(at, "Politique · Policy", "adm_tabs")
    at.text_area(key="adm_policy_text").input("max_hashtags: {limit: many}")
    at.button(key="adm_policy_save").click().run()
    assert "Not saved" in at.error[0].value and not (home / "policy.yaml").exists()
    at.text_area(key="adm_policy_text").input("max_hashtags: {limit: 2}\n")
    at.button(key="adm_policy_save").click().run()
    assert (home / "policy.yaml").read_text() == "max_hashtags: {limit: 2}\n"


def test_admin_creates_an_account_and_imports_people(demo):
    at = app(NADIA, "assistant/ui/admin.py")
    open_lib(at, "Comptes · Accounts", "adm_tabs")
    at.text_input(key="adm_account_user").input("new.person@nordlys-energie.example")
    at.text_input(key="adm_account_password").input("a long password")
    at.multiselect(key="adm_account_roles").set_value(["employee", "content"])
    next(b for b in at.button if b.label == "Enregistrer · Save" and b.form_id).click().run()
    roles = demo.value("SELECT roles FROM accounts WHERE username = 'new.person@nordlys-energie.example'")
    assert roles == ["employee", "content"]
    open_lib(at, "Personnes · People", "adm_tabs")
    people = b"email,name,team\nnew.person@nordlys-energie.example,New Person,Data\nbroken,No Email,\n"
    at.file_uploader(key="adm_files").set_value(("people.csv", people, "text/csv"))
    next(b for b in at.button if b.label == "Importer · Import").click().run()
    assert demo.value("SELECT name FROM employees WHERE email = 'new.person@nordlys-energie.example'") == "New Person"
    assert any("invalid or missing email" in e.value for e in at.error)
