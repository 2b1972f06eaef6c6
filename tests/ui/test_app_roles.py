"""AppTest tests of the marketing, content-team and admin pages (fake models, temporary home)."""

import errno
import io
import json
from pathlib import Path

import pandas as pd

from assistant.access import accounts, sessions
from assistant.access.accounts import create_account
from assistant.storage import audit, backup
from assistant.ui.safe import md
from tests.ui.conftest import app, msg, plain, texts

LEA = "lea.fontaine@nordlys-energie.example"
THOMAS = "thomas.girard@nordlys-energie.example"
NADIA = "nadia.benali@nordlys-energie.example"
CAMILLE = "camille.durand@nordlys-energie.example"
PASSWORD = "a long enough passphrase"


def frame_with(at, column: str):
    """The first table on the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def open_tab(at, key: str, label: str):
    at.session_state[key] = label
    return at.run()


# --- authenticity (marketing) ---------------------------------------------------------------

def test_marketing_page_opens_and_counts_only_posted_shares(demo):
    from assistant.reporting import metrics

    at = app(LEA, "assistant/ui/marketing.py")
    assert not at.exception
    posted = metrics.breakdown(demo, None)[0]["shares"]
    item = demo.value("SELECT id FROM content ORDER BY id LIMIT 1")
    demo.execute("INSERT INTO shares (id, email, content_id, text, network, score) "
                 "VALUES ('s-prepared', ?, ?, 'Pas encore publié', 'linkedin', 90)", [CAMILLE, item])
    assert metrics.breakdown(demo, None)[0]["shares"] == posted, "a prepared share is not in the figures"
    at.run()
    assert not at.exception


def test_marketing_page_without_shares_says_so(app_env, store):
    create_account(store, LEA, PASSWORD, ["marketing"])
    at = app(LEA)
    assert not at.exception and at.info


# --- experts (content team) -----------------------------------------------------------------

def search(at, topic: str):
    at.text_input(key="experts_query").input(topic)
    next(b for b in at.button if b.label == msg("experts.search")).click().run()
    assert not at.exception, at.exception
    return at


def test_experts_lists_consenting_colleagues_with_evidence_in_words(demo):
    demo.execute("UPDATE employees SET consent_interviews = TRUE WHERE email <> ?", [CAMILLE])
    demo.execute("UPDATE employees SET consent_interviews = FALSE WHERE email = ?", [CAMILLE])
    at = search(app(THOMAS, "assistant/ui/experts.py"), "sécurité des réseaux industriels")
    names = [m.value for m in at.markdown if m.value.startswith("**1\\.") or m.value.startswith("**1.")]
    assert names, "a ranked list"
    assert any(c.value.startswith("🟢 " + msg("strength.strong")) for c in at.caption), "evidence strength in words"
    assert "score" not in texts(at).lower(), "no unexplained raw score"
    assert "Camille" not in texts(at), "only colleagues who accept interviews"
    assert at.get("download_button")[0].label == msg("experts.export")


def test_a_topic_nobody_knows_returns_nobody(demo):
    demo.execute("UPDATE employees SET consent_interviews = TRUE")
    at = search(app(THOMAS, "assistant/ui/experts.py"), "quantum basket weaving")
    assert at.info[0].value == msg("experts.nobody")
    assert not [m for m in at.markdown if m.value.startswith("**1")]


def test_experts_csv_has_readable_columns_and_no_formulas():
    from assistant.ui.downloads import exports
    from assistant.ui.experts import table

    rows = [{"name": '=HYPERLINK("https://evil.example","x")', "email": "a@x", "role": None, "team": "Data",
             "score": 1.5, "strength": "strong", "evidence": [{"kind": "post", "text": "Kafka, Spark"}]}]
    csv = exports.frame_to_csv(table("kafka", rows))
    frame = pd.read_csv(io.StringIO(csv))
    assert list(frame.columns)[:3] == ["Rang", "Nom", "E-mail"], "readable column names"
    assert frame.iloc[0, 1].startswith("'="), "a formula is neutralised"
    assert "Publication: Kafka" in csv


# --- library (admin) ------------------------------------------------------------------------

def test_library_import_reports_in_the_interface_language_with_the_products_limit(demo):
    at = app(NADIA, "assistant/ui/library.py")
    assert not at.exception and at.title[0].value == msg("library.title")
    assert msg("upload.limit", mb=50) in texts(at), "the upload box states the product's 50 MB"
    good = b"id,title,text,kind,language\nup-1,Nouvel article,Un texte assez long sur les capteurs.,article,fr\n"
    bad = b"id,title,text,kind\nup-2,Sans texte,,article\nup-3,Mauvais type,Du texte,podcast\n"
    at.file_uploader(key="lib_files").set_value([("new.csv", good, "text/csv"), ("bad.csv", bad, "text/csv")])
    next(b for b in at.button if b.label == msg("upload.import")).click().run()
    assert not at.exception
    assert demo.value("SELECT title FROM content WHERE id = 'up-1'") == "Nouvel article"
    shown = texts(at) + " ".join(s.label for s in at.get("expander"))
    assert msg("upload.summary_content", added=1, updated=0, unchanged=0, rejected=2) in shown
    errors = " ".join(plain(e.value) for e in at.error)
    assert "bad.csv:2 : texte vide" in errors and "type inconnu 'podcast'" in errors, errors
    assert errors.startswith(msg("upload.rejected", problem="").strip())
    assert "porte-voix-upload" not in errors, "no temporary paths in the report"


def test_library_lists_items_campaigns_and_calendar(demo):
    at = app(NADIA, "assistant/ui/library.py")
    open_tab(at, "lib_tabs", msg("library.tab_items"))
    editor = next(d for d in at.dataframe if d.key == "lib_items_editor")
    assert len(editor.value) == demo.value("SELECT count(*) FROM content")
    open_tab(at, "lib_tabs", msg("library.tab_campaigns"))
    campaigns = frame_with(at, "active")
    assert set(campaigns["campaign"]) >= {"green-week", "hiring-2026"}
    at.text_input(key="lib_campaign_name").input("salon-2027")
    at.multiselect(key="lib_campaign_items").set_value([editor.value.index[0]])
    at.number_input(key="lib_campaign_priority").set_value(2)
    next(b for b in at.button if b.label == msg("library.apply")).click().run()
    assert demo.value("SELECT priority FROM content WHERE campaign = 'salon-2027'") == 2
    at.text_input(key="lib_campaign_name").input("")
    next(b for b in at.button if b.label == msg("library.apply")).click().run()
    assert "le nom de la campagne est vide" in " ".join(e.value for e in at.error), "domain errors translated"
    open_tab(at, "lib_tabs", msg("library.tab_calendar"))
    assert len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart")) == 1 and not at.exception


def test_library_item_edit_retire_and_text_correction(demo):
    at = app(NADIA, "assistant/ui/library.py")
    open_tab(at, "lib_tabs", msg("library.tab_items"))
    editor = next(d for d in at.dataframe if d.key == "lib_items_editor")
    first, second = editor.value.index[:2]
    at.session_state["lib_items_editor"] = {"edited_rows": {0: {"priority": 3}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="lib_items_save").click().run()
    assert not at.exception
    assert demo.rows("SELECT retired, priority FROM content WHERE id = ?", [first])[0] == {"retired": False, "priority": 3}
    assert at.button(key="lib_retire").disabled, "nothing to retire before items are picked"
    at.multiselect(key="lib_retire_pick").set_value([first, second]).run()
    assert at.button(key="lib_retire").label == msg("library.retire_n", n=2), "the button says how many"
    at.button(key="lib_retire").click().run()
    assert not demo.value("SELECT count(*) FILTER (WHERE retired) FROM content WHERE id IN (?, ?)", [first, second]), \
        "one click retires nothing: the dialog asks first"
    assert msg("library.retire_confirm", n=2) in " ".join(m.value for m in at.markdown)
    at.button(key="lib_retire_no").click().run()
    assert not demo.value("SELECT count(*) FILTER (WHERE retired) FROM content WHERE id IN (?, ?)", [first, second])
    at.button(key="lib_retire").click().run()
    at.button(key="lib_retire_yes").click().run()
    assert not at.exception
    assert demo.value("SELECT count(*) FILTER (WHERE retired) FROM content WHERE id IN (?, ?)", [first, second]) == 2
    assert at.multiselect(key="lib_restore_pick").options and at.multiselect(key="lib_retire_pick").value == []
    at.multiselect(key="lib_restore_pick").set_value([second]).run()
    at.button(key="lib_restore").click().run()
    assert demo.rows("SELECT id FROM content WHERE retired AND id IN (?, ?)", [first, second]) == [{"id": first}]
    assert at.selectbox(key="lib_text_pick").value is None, "no item pre-selected"
    at.selectbox(key="lib_text_pick").set_value(first).run()
    assert demo.value("SELECT text FROM content WHERE id = ?", [first]) in [t.value for t in at.text]
    at.text_area(key=f"lib_text_{first}").input("Texte corrigé par l'admin, avec le bon chiffre : 12 MWc.")
    next(b for b in at.button if b.label == msg("common.save") and b.form_id).click().run()
    assert demo.value("SELECT text FROM content WHERE id = ?", [first]).startswith("Texte corrigé")


# --- people, policy, accounts (admin) -------------------------------------------------------

def test_an_empty_policy_is_refused_with_the_reason(demo, home):
    at = app(NADIA, "assistant/ui/admin.py")
    open_tab(at, "adm_tabs", msg("admin.tab_policy"))
    before = (home / "policy.yaml").read_text()
    at.text_area(key="adm_policy_text").input("")
    at.button(key="adm_policy_check").click().run()
    assert at.error[0].value == msg("admin.policy_empty")
    at.button(key="adm_policy_save").click().run()
    assert "désactiverait toutes les règles" in at.error[0].value and (home / "policy.yaml").read_text() == before
    at.text_area(key="adm_policy_text").input("max_hashtags: {limit: many}")
    at.button(key="adm_policy_save").click().run()
    assert at.error[0].value.startswith("Non enregistrée")
    assert audit.entries(demo, "policy.") == [], "a refused policy leaves no audit entry"
    at.text_area(key="adm_policy_text").input("max_hashtags: {limit: 2}\n")
    at.button(key="adm_policy_save").click().run()
    assert (home / "policy.yaml").read_text() == "max_hashtags: {limit: 2}\n"
    (entry,) = audit.entries(demo, "policy.")
    assert (entry["actor"], entry["action"], entry["target"]) == (NADIA, "policy.save", str(home / "policy.yaml"))
    assert entry["detail"]["rules"] == ["max_hashtags"] and entry["detail"]["prohibited_terms"] == 0


# --- backup (admin) ------------------------------------------------------------------------

def backup_tab(at):
    return open_tab(at, "adm_tabs", msg("admin.tab_backup"))


def test_an_admin_backs_up_from_the_page_into_a_folder_they_type(demo, home, tmp_path):
    at = backup_tab(app(NADIA, "assistant/ui/admin.py"))
    assert not at.exception
    default = Path(at.text_input(key="adm_backup_dir").value)
    assert default.parent == home.parent / f"{home.name}-backups", "next to the data folder, never inside it"
    target = tmp_path / "backups" / "first"
    at.text_input(key="adm_backup_dir").input(str(target))
    at.button(key="adm_backup_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert plain(at.success[0].value).startswith(plain(msg("admin.backup_done", path=str(target), files=0, megabytes=0,
                                                           rows=0, seconds=0)).split(" :")[0])
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["tables"]["shares"] == demo.value("SELECT count(*) FROM shares")
    assert "porte-voix.duckdb" in manifest["files"]
    (entry,) = audit.entries(demo, "store.backup")
    assert (entry["actor"], entry["target"]) == (NADIA, str(target)), "audited with the admin as actor"
    at.run()
    assert Path(at.text_input(key="adm_backup_dir").value).parent == default.parent, "the next one gets a new folder"


def test_a_backup_that_cannot_be_made_says_why_in_one_sentence(demo, home, tmp_path, monkeypatch):
    at = backup_tab(app(NADIA, "assistant/ui/admin.py"))
    at.text_input(key="adm_backup_dir").input(str(home / "backups" / "inside"))
    at.button(key="adm_backup_run").click().run()
    assert at.error[0].value == msg("admin.backup_inside_home", path=md(str(home / "backups" / "inside")),
                                    home=md(str(home)))
    full = tmp_path / "full"
    (full / "something").mkdir(parents=True)
    at.text_input(key="adm_backup_dir").input(str(full))
    at.button(key="adm_backup_run").click().run()
    assert at.error[0].value == msg("admin.backup_not_empty", path=md(str(full)))

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "create", no_space)
    at.text_input(key="adm_backup_dir").input(str(tmp_path / "new"))
    at.button(key="adm_backup_run").click().run()
    assert not at.exception
    assert at.error[0].value == msg("admin.backup_failed", reason=msg("admin.backup_fault.disk_full"))
    assert audit.entries(demo, "store.backup") == [], "nothing was backed up, nothing is audited"


def test_creating_an_account_never_overwrites_one_and_the_table_follows(demo):
    at = app(NADIA, "assistant/ui/admin.py")
    open_tab(at, "adm_tabs", msg("admin.tab_accounts"))
    at.text_input(key="adm_account_user").input("new.person@nordlys-energie.example")
    at.text_input(key="adm_account_password").input(PASSWORD)
    at.multiselect(key="adm_account_roles").set_value(["employee", "content"])
    next(b for b in at.button if b.label == msg("admin.create")).click().run()
    assert demo.value("SELECT roles FROM accounts WHERE username = 'new.person@nordlys-energie.example'") == \
        ["employee", "content"]
    assert "new.person@nordlys-energie.example" in set(frame_with(at, "username")["username"]), "table refreshed"
    old_hash = demo.value("SELECT password_hash FROM accounts WHERE username = ?", [CAMILLE])
    at.text_input(key="adm_account_user").input(CAMILLE)
    at.text_input(key="adm_account_password").input("another long passphrase")
    next(b for b in at.button if b.label == msg("admin.create")).click().run()
    assert "existe déjà" in " ".join(e.value for e in at.error)
    assert demo.value("SELECT password_hash FROM accounts WHERE username = ?", [CAMILLE]) == old_hash


def test_changing_an_account_needs_an_explicit_pick_and_confirmation(demo):
    token = sessions.create(demo, CAMILLE)
    at = app(NADIA, "assistant/ui/admin.py")
    open_tab(at, "adm_tabs", msg("admin.tab_accounts"))
    assert at.selectbox(key="adm_change_pick").value is None, "no account pre-selected"
    at.selectbox(key="adm_change_pick").set_value(CAMILLE).run()
    at.text_input(key=f"adm_change_password_{CAMILLE}").input("a brand new passphrase")
    next(b for b in at.button if b.label == msg("admin.apply")).click().run()
    assert msg("admin.confirm_needed") in " ".join(e.value for e in at.error)
    assert accounts.authenticate(demo, CAMILLE, "a brand new passphrase", rounds=4) is None
    at.text_input(key=f"adm_change_password_{CAMILLE}").input("a brand new passphrase")
    at.checkbox(key=f"adm_change_sure_{CAMILLE}").check()
    next(b for b in at.button if b.label == msg("admin.apply")).click().run()
    assert accounts.authenticate(demo, CAMILLE, "a brand new passphrase", rounds=4) is not None
    assert sessions.account_for(demo, token) is None, "a new password ends the account's sessions"


def test_deleting_an_account_asks_again_and_nothing_is_pre_selected(demo):
    at = app(NADIA, "assistant/ui/admin.py")
    open_tab(at, "adm_tabs", msg("admin.tab_accounts"))
    pick = at.selectbox(key="adm_account_delete_pick")
    assert pick.value is None and at.button(key="adm_account_delete").disabled
    assert NADIA not in pick.options, "an admin cannot delete their own account here"
    pick.set_value(THOMAS).run()
    at.button(key="adm_account_delete").click().run()
    assert accounts.get_account(demo, THOMAS) is not None, "one click deletes nothing"
    assert msg("admin.delete_warning") in texts(at)
    assert at.button(key="adm_delete_yes").disabled, "the username must be typed"
    at.text_input(key="adm_delete_typed").input(THOMAS).run()
    at.button(key="adm_delete_yes").click().run()
    assert accounts.get_account(demo, THOMAS) is None


def test_admin_imports_people_with_errors_named(demo):
    at = app(NADIA, "assistant/ui/admin.py")
    open_tab(at, "adm_tabs", msg("admin.tab_people"))
    people = b"email,name,team\nnew.person@nordlys-energie.example,New Person,Data\nbroken,No Email,\n"
    at.file_uploader(key="adm_files").set_value(("people.csv", people, "text/csv"))
    next(b for b in at.button if b.label == msg("upload.import")).click().run()
    assert demo.value("SELECT name FROM employees WHERE email = 'new.person@nordlys-energie.example'") == "New Person"
    assert any("people.csv" in plain(e.value) and "mail" in plain(e.value) for e in at.error)
