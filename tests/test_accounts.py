"""Local accounts: bcrypt hashes, roles, server-side checks, demo accounts."""

import json

import pytest

from assistant import accounts
from assistant.cli import main
from assistant.accounts import AccountError, Forbidden


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr("assistant.accounts.ROUNDS", 4)


def test_password_is_stored_hashed_and_checked(store):
    accounts.create_account(store, "Ana@Example.com", "correct horse", roles=["employee", "marketing"])
    stored = store.value("SELECT password_hash FROM accounts WHERE username = ?", ["ana@example.com"])
    assert "correct horse" not in stored and stored.startswith("$2")
    account = accounts.authenticate(store, "ana@example.com", "correct horse")
    assert account.roles == ("employee", "marketing") and account.email == "ana@example.com"
    assert accounts.authenticate(store, "ANA@example.com ", "correct horse") is not None
    assert accounts.authenticate(store, "ana@example.com", "wrong horse") is None
    assert accounts.authenticate(store, "nobody@example.com", "correct horse") is None
    assert accounts.authenticate(store, "ana@example.com", "x" * 100) is None


@pytest.mark.parametrize("password, roles, message", [
    ("short", ["employee"], "too short"),
    ("é" * 40, ["employee"], "too long"),
    ("long enough", ["boss"], "unknown role"),
    ("long enough", [], "at least one role"),
])
def test_bad_accounts_are_refused_with_a_reason(store, password, roles, message):
    with pytest.raises(AccountError, match=message):
        accounts.create_account(store, "a@example.com", password, roles)


def test_existing_account_is_not_silently_replaced(store):
    accounts.create_account(store, "a@example.com", "first password", ["employee"])
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_account(store, "a@example.com", "second password", ["admin"])
    accounts.create_account(store, "a@example.com", "second password", ["admin"], replace=True)
    assert accounts.authenticate(store, "a@example.com", "second password").roles == ("admin",)


def test_require_checks_roles_and_ownership():
    employee = accounts.Account("e@x.example", "e@x.example", ("employee",))
    assert accounts.require(employee, "employee") is employee
    with pytest.raises(Forbidden):
        accounts.require(employee, "marketing")
    with pytest.raises(Forbidden):
        accounts.require(None, "employee")
    assert accounts.require_self(employee, "E@x.example") == "e@x.example"
    with pytest.raises(Forbidden):
        accounts.require_self(employee, "other@x.example")
    marketing_only = accounts.Account("m@x.example", "m@x.example", ("marketing",))
    with pytest.raises(Forbidden):
        accounts.require_self(marketing_only, "m@x.example")


def test_demo_accounts_are_created_once_per_role(demo_store):
    from assistant.demo_accounts import DEMO_PASSWORD, create_demo_accounts

    assert create_demo_accounts(demo_store) == 4
    assert create_demo_accounts(demo_store) == 0
    roles = {r["username"].split(".")[0]: set(r["roles"]) for r in accounts.list_accounts(demo_store)}
    assert roles == {"camille": {"employee"}, "lea": {"employee", "marketing"}, "thomas": {"employee", "content"},
                     "nadia": {"employee", "admin"}}
    assert accounts.authenticate(demo_store, "thomas.girard@nordlys-energie.example", DEMO_PASSWORD).has("content")


def test_oidc_email_maps_to_stored_roles_or_employee(demo_store):
    from assistant.demo_accounts import create_demo_accounts

    create_demo_accounts(demo_store)
    assert accounts.account_for_email(demo_store, "Lea.Fontaine@nordlys-energie.example").has("marketing")
    assert accounts.account_for_email(demo_store, "julien.moreau@nordlys-energie.example").roles == ("employee",)
    assert accounts.account_for_email(demo_store, "stranger@elsewhere.example") is None


def test_demo_command_creates_accounts_and_activity(capsys, ctx):
    assert main(["demo", "--json"], ctx) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["demo"]["accounts"] == 4 and first["demo"]["shares"] > 0
    assert main(["demo", "--json"], ctx) == 0
    assert json.loads(capsys.readouterr().out)["demo"] == {"accounts": 0, "shares": 0}
