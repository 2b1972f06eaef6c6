"""Local accounts: password rules, bcrypt hashes, throttled sign-in, sessions, OIDC, roles, audit, demo accounts."""

import datetime as dt
import json
import threading

import pytest

from assistant.access import accounts, client_address, sessions, throttle
from assistant.access.accounts import AccountError, Forbidden, Throttled, WeakPassword
from assistant.cli import main
from assistant.config import load_settings
from assistant.storage import audit

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

T0 = dt.datetime(2030, 3, 4, 9, 0, 0)
GOOD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr("assistant.access.accounts.ROUNDS", 4)


def test_password_is_stored_hashed_and_checked(store):
    accounts.create_account(store, "Ana@Example.com", GOOD, roles=["employee", "marketing"])
    stored = store.value("SELECT password_hash FROM accounts WHERE username = ?", ["ana@example.com"])
    assert GOOD not in stored and stored.startswith("$2")
    account = accounts.authenticate(store, "ana@example.com", GOOD)
    assert account.roles == ("employee", "marketing") and account.email == "ana@example.com"
    assert accounts.authenticate(store, "ANA@example.com ", GOOD) is not None
    assert accounts.authenticate(store, "ana@example.com", "wrong horse battery") is None
    assert accounts.authenticate(store, "nobody@example.com", GOOD) is None
    assert accounts.authenticate(store, "ana@example.com", "x" * 100) is None


@pytest.mark.parametrize("password, code", [
    ("short pass", "short"),              # under 12 characters
    ("12345678", "short"),
    ("é" * 40, "long"),                   # 80 bytes: over bcrypt's 72
    ("qwerty123456", "common"),           # in the shipped list (case-insensitive)
    ("1Q2W3E4R5T6Y", "common"),
    ("aaaaaaaaaaaaaa", "run"),
    ("123456789123", "common"),
    ("34567890123456", "run"),
    ("ana.lopez-2030!", "username"),      # contains the account's own name
])
def test_weak_passwords_are_refused_with_every_reason(store, password, code):
    with pytest.raises(WeakPassword) as caught:
        accounts.create_account(store, "ana.lopez@example.com", password, ["employee"])
    assert code in caught.value.codes
    assert caught.value.message("fr").startswith("mot de passe ") and caught.value.message("en").startswith("password ")
    assert store.value("SELECT count(*) FROM accounts") == 0


def test_common_password_list_is_shipped_and_large():
    from assistant.access.passwords import common_passwords, problems

    listed = common_passwords()
    assert len(listed) > 10_000 and {"password", "azerty", "qwerty123456"} <= listed
    assert problems("Une phrase de passe à moi") == []


@pytest.mark.parametrize("password, roles, message", [
    (GOOD, ["boss"], "unknown role"),
    (GOOD, [], "at least one role"),
])
def test_bad_accounts_are_refused_with_a_reason(store, password, roles, message):
    with pytest.raises(AccountError, match=message):
        accounts.create_account(store, "a@example.com", password, roles)


def test_existing_account_is_not_silently_replaced(store):
    accounts.create_account(store, "a@example.com", "first password here", ["employee"])
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_account(store, "a@example.com", "second password here", ["admin"])
    accounts.create_account(store, "a@example.com", "second password here", ["admin"], replace=True)
    assert accounts.authenticate(store, "a@example.com", "second password here").roles == ("admin",)


# --- throttling ---------------------------------------------------------------------------------

def test_five_failures_lock_the_account_even_for_the_right_password(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    for n in range(4):
        assert accounts.authenticate(store, "ana@example.com", f"wrong guess {n:04}", now=T0) is None
    with pytest.raises(Throttled) as locked:
        accounts.authenticate(store, "ana@example.com", "wrong guess 0005", now=T0)
    assert (locked.value.scope, locked.value.seconds_left) == ("account", 60)
    assert "60 s" in locked.value.message("en") and "réessayez dans 60 s" in locked.value.message("fr")
    with pytest.raises(Throttled) as still:
        accounts.authenticate(store, "ana@example.com", GOOD, now=T0 + dt.timedelta(seconds=45))
    assert still.value.seconds_left == 15
    assert accounts.authenticate(store, "ana@example.com", GOOD, now=T0 + dt.timedelta(seconds=61)).username == "ana@example.com"
    assert accounts.authenticate(store, "ana@example.com", "wrong guess again", now=T0 + dt.timedelta(seconds=62)) is None


def test_a_hundred_guesses_then_the_right_password(store):
    """The issue's probe: 100 wrong passwords in a row, then the right one."""
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    outcomes = []
    for n in range(100):
        try:
            outcomes.append(accounts.authenticate(store, "ana@example.com", f"guess number {n:03}", client="10.1.1.1",
                                                  now=T0 + dt.timedelta(seconds=n * 0.4)))
        except Throttled as exc:
            outcomes.append(exc.scope)
    assert outcomes[:4] == [None] * 4 and set(outcomes[4:]) == {"account"}  # only 5 passwords were ever checked
    with pytest.raises(Throttled):
        accounts.authenticate(store, "ana@example.com", GOOD, client="10.1.1.1", now=T0 + dt.timedelta(seconds=41))


def test_locks_grow_after_each_further_failure(store):
    t = T0
    seconds = []
    for _ in range(9):
        lock = throttle.failed(store, "bob@example.com", None, t)
        if lock:
            seconds.append(lock.seconds_left)
            t += dt.timedelta(seconds=lock.seconds_left + 1)
    assert seconds == [60, 120, 240, 480, 900]  # capped at 15 minutes


def test_unknown_usernames_are_throttled_like_known_ones(store):
    for n in range(4):
        assert accounts.authenticate(store, "ghost@example.com", f"wrong guess {n:04}", now=T0) is None
    with pytest.raises(Throttled):
        accounts.authenticate(store, "ghost@example.com", "wrong guess 0005", now=T0)


def test_one_client_spraying_many_accounts_is_locked(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    with pytest.raises(Throttled) as locked:
        for n in range(40):
            accounts.authenticate(store, f"user{n}@example.com", "Summer2030!!", client="203.0.113.9", now=T0)
    assert locked.value.scope == "client" and n == throttle.CLIENT.free - 1
    with pytest.raises(Throttled):  # even a right password from that address waits
        accounts.authenticate(store, "ana@example.com", GOOD, client="203.0.113.9", now=T0)
    assert accounts.authenticate(store, "ana@example.com", GOOD, client="198.51.100.2", now=T0) is not None


def test_parallel_guesses_are_counted_one_by_one_and_cannot_outrun_the_lock(store):
    """The issue's probe: 12 wrong passwords sent at the same moment (one thread per browser). Formerly
    10 of them hit DuckDB's "Conflict on update!", the counter reached 2 and the right password then
    signed in."""
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    start = threading.Barrier(12)
    outcomes: list = [None] * 12

    def guess(n: int) -> None:
        start.wait()
        try:
            outcomes[n] = accounts.authenticate(store, "ana@example.com", f"parallel guess {n:02}", client=None, now=T0)
        except Throttled as exc:
            outcomes[n] = exc.scope
        except Exception as exc:  # a write conflict, or anything else that would reach the person
            outcomes[n] = exc

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    checked = outcomes.count(None)
    assert checked == throttle.ACCOUNT.free - 1 and outcomes.count("account") == 12 - checked, outcomes
    assert throttle.failures(store, "ana@example.com") == throttle.ACCOUNT.free  # exact: one per checked password
    with pytest.raises(Throttled):  # the lock applies: the right password waits too
        accounts.authenticate(store, "ana@example.com", GOOD, now=T0 + dt.timedelta(seconds=30))
    assert accounts.authenticate(store, "ana@example.com", GOOD, now=T0 + dt.timedelta(seconds=61)) is not None


def test_an_attempt_counts_before_its_password_is_checked(store, monkeypatch):
    """While a password is being checked its attempt already counts: a check that never returns
    (a crash, a killed thread) still leaves the failure behind."""
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    seen = []
    monkeypatch.setattr(accounts.passwords, "verify",
                        lambda password, digest: seen.append(throttle.failures(store, "ana@example.com")) or False)
    accounts.authenticate(store, "ana@example.com", "wrong guess 0001", now=T0)
    assert seen == [1]


def test_unknown_addresses_share_one_client_key_and_a_right_password_gives_its_count_back(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    with pytest.raises(Throttled) as locked:
        for n in range(40):  # spraying many accounts without a known address is throttled too
            accounts.authenticate(store, f"user{n}@example.com", "Summer2030!!", client=None, now=T0)
    assert locked.value.scope == "client" and n == throttle.CLIENT.free - 1
    later = T0 + dt.timedelta(minutes=2)
    for _ in range(5):  # signing in does not count against the address
        assert accounts.authenticate(store, "ana@example.com", GOOD, client="198.51.100.2", now=later) is not None
    key = throttle._key("client", "198.51.100.2")
    assert store.value("SELECT failures FROM signin_throttle WHERE key = ?", [key]) == 0


@pytest.mark.parametrize("peer, forwarded, trusted, client", [
    ("203.0.113.9", ["198.51.100.7"], ["127.0.0.1"], "203.0.113.9"),          # anyone may send the header: ignored
    ("127.0.0.1", ["198.51.100.7"], ["127.0.0.1"], "198.51.100.7"),          # our reverse proxy on the same host
    ("127.0.0.1", ["198.51.100.7"], [], "127.0.0.1"),                        # PORTE_VOIX_TRUSTED_PROXIES=none
    ("10.0.0.5", ["6.6.6.6, 198.51.100.7, 10.0.0.9"], ["10.0.0.0/8"], "198.51.100.7"),  # two proxies; a forged hop
    ("127.0.0.1", ["junk, 198.51.100.7"], ["127.0.0.1"], "198.51.100.7"),
    ("127.0.0.1", ["198.51.100.7, junk"], ["127.0.0.1"], "127.0.0.1"),       # garbage written by... nobody we trust
    ("::ffff:10.0.0.5", ["2001:db8::7"], ["10.0.0.5"], "2001:db8::7"),
    (None, ["198.51.100.7"], ["127.0.0.1"], None),
])
def test_forwarded_for_is_believed_only_from_trusted_proxies(peer, forwarded, trusted, client):
    assert client_address.resolve(peer, forwarded, client_address.networks(trusted)) == client


@pytest.mark.parametrize("seen, forwarded, trusted, client", [
    (None, [], ["127.0.0.1", "::1"], "127.0.0.1"),                 # a browser on the same host
    ("198.51.100.7", ["198.51.100.7"], ["127.0.0.1"], "198.51.100.7"),  # uvicorn took it from our local proxy
    ("198.51.100.7", ["198.51.100.7"], [], "127.0.0.1"),           # ... but we trust no proxy: the peer was loopback
    ("203.0.113.9", ["198.51.100.7"], [], "203.0.113.9"),          # a direct client's header, ignored by both
    ("10.0.0.5", ["198.51.100.7"], ["10.0.0.5"], "198.51.100.7"),  # a proxy on another host that we configured
    ("10.0.0.5", ["198.51.100.7"], ["127.0.0.1"], "10.0.0.5"),     # ... that we did not
])
def test_the_app_resolves_the_address_streamlit_reports(seen, forwarded, trusted, client):
    assert client_address.behind_uvicorn(seen, forwarded, client_address.networks(trusted)) == client


def test_trusted_proxies_setting():
    assert load_settings({}).trusted_proxies == ("127.0.0.1", "::1")
    assert load_settings({"PORTE_VOIX_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}).trusted_proxies == \
        ("10.0.0.0/8", "192.0.2.1")
    assert load_settings({"PORTE_VOIX_TRUSTED_PROXIES": "none"}).trusted_proxies == ()
    with pytest.raises(ValueError, match="PORTE_VOIX_TRUSTED_PROXIES"):
        load_settings({"PORTE_VOIX_TRUSTED_PROXIES": "nginx.internal"})


def test_throttle_keys_are_hashed(store):
    accounts.authenticate(store, "my secret password typed as a name", "x" * 12, client="10.0.0.1", now=T0)
    keys = [r["key"] for r in store.rows("SELECT key FROM signin_throttle")]
    assert len(keys) == 2 and not any("secret" in k or "10.0.0.1" in k for k in keys)


# --- sessions -----------------------------------------------------------------------------------

def test_sessions_store_only_token_hashes_and_expire(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    token = sessions.create(store, "ana@example.com", now=T0)
    assert len(token) >= 40 and not store.value("SELECT count(*) FROM sessions WHERE token_hash = ?", [token])
    assert sessions.account_for(store, token, now=T0 + dt.timedelta(minutes=30)).username == "ana@example.com"
    assert sessions.account_for(store, token + "x", now=T0) is None
    assert sessions.account_for(store, None) is None
    # idle: 2 h without use
    assert sessions.account_for(store, token, now=T0 + dt.timedelta(minutes=30) + sessions.IDLE) is None
    # absolute: 12 h even when used all along
    token = sessions.create(store, "ana@example.com", now=T0)
    for hour in range(1, 12):
        assert sessions.account_for(store, token, now=T0 + dt.timedelta(hours=hour)) is not None
    assert sessions.account_for(store, token, now=T0 + sessions.ABSOLUTE) is None


def test_sign_out_password_change_reset_and_deletion_end_sessions(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"])
    mine, other_tab = (sessions.create(store, "ana@example.com", now=T0) for _ in range(2))
    assert sessions.revoke(store, mine) and sessions.account_for(store, mine, now=T0) is None
    assert sessions.account_for(store, other_tab, now=T0) is not None
    assert accounts.change_password(store, "ana@example.com", "a brand new passphrase") == 1
    assert sessions.account_for(store, other_tab, now=T0) is None
    token = sessions.create(store, "ana@example.com", now=T0)
    accounts.create_account(store, "ana@example.com", "reset by the admin!", ["employee"], replace=True)
    assert sessions.account_for(store, token, now=T0) is None
    token = sessions.create(store, "ana@example.com", now=T0)
    assert accounts.delete_account(store, "ana@example.com")
    assert sessions.account_for(store, token, now=T0) is None and sessions.active(store, "ana@example.com", T0) == 0
    with pytest.raises(LookupError):
        sessions.create(store, "ana@example.com")


def test_sessions_see_role_changes_at_once(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee", "admin"])
    token = sessions.create(store, "ana@example.com", now=T0)
    accounts.set_roles(store, "ana@example.com", ["employee"])
    assert sessions.account_for(store, token, now=T0).roles == ("employee",)


# --- OIDC, roles, audit -------------------------------------------------------------------------

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


def test_oidc_requires_a_verified_email(demo_store):
    from assistant.demo_accounts import create_demo_accounts

    create_demo_accounts(demo_store)
    lea = "Lea.Fontaine@nordlys-energie.example"
    assert accounts.account_for_oidc(demo_store, {"email": lea, "email_verified": True}).has("marketing")
    assert accounts.account_for_oidc(demo_store, {"email": lea, "email_verified": "true"}).has("marketing")
    for claims in ({"email": lea}, {"email": lea, "email_verified": False}, {"email": lea, "email_verified": "false"},
                   {"email": lea, "email_verified": 1}, {"email_verified": True}, None):
        assert accounts.account_for_oidc(demo_store, claims) is None
    julien = {"email": "julien.moreau@nordlys-energie.example", "email_verified": True}
    assert accounts.account_for_oidc(demo_store, julien).roles == ("employee",)
    assert accounts.account_for_oidc(demo_store, {"email": "stranger@elsewhere.example", "email_verified": True}) is None


def test_account_changes_are_audited(store):
    accounts.create_account(store, "ana@example.com", GOOD, ["employee"], actor="nadia@example.com")
    accounts.set_roles(store, "ana@example.com", ["employee", "content"], actor="nadia@example.com")
    accounts.change_password(store, "ana@example.com", "another fine passphrase", actor="ana@example.com")
    accounts.create_account(store, "ana@example.com", "reset by the admin!", ["employee"], replace=True, actor="nadia@example.com")
    accounts.delete_account(store, "ana@example.com", actor="nadia@example.com")
    trail = [(e["actor"], e["action"], e["target"]) for e in reversed(audit.entries(store, action="account."))]
    assert trail == [("nadia@example.com", "account.create", "ana@example.com"),
                     ("nadia@example.com", "account.roles", "ana@example.com"),
                     ("ana@example.com", "account.password", "ana@example.com"),
                     ("nadia@example.com", "account.reset", "ana@example.com"),
                     ("nadia@example.com", "account.delete", "ana@example.com")]
    assert not any("passphrase" in json.dumps(e["detail"]) for e in audit.entries(store))


# --- demo accounts and the demo home ------------------------------------------------------------

def test_demo_accounts_are_created_once_per_role(demo_store):
    from assistant.demo_accounts import DEMO_PASSWORD, create_demo_accounts

    assert create_demo_accounts(demo_store) == 4
    assert create_demo_accounts(demo_store) == 0
    roles = {r["username"].split(".")[0]: set(r["roles"]) for r in accounts.list_accounts(demo_store)}
    assert roles == {"camille": {"employee"}, "lea": {"employee", "marketing"}, "thomas": {"employee", "content"},
                     "nadia": {"employee", "admin"}}
    assert accounts.authenticate(demo_store, "thomas.girard@nordlys-energie.example", DEMO_PASSWORD).has("content")


def test_demo_command_creates_accounts_and_activity_and_keeps_erasures(capsys, ctx):
    from assistant.app import privacy

    assert main(["demo", "--json"], ctx) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["demo"]["accounts"] == 4 and first["demo"]["shares"] > 0
    assert main(["demo", "--json"], ctx) == 0
    assert json.loads(capsys.readouterr().out)["demo"] == {"accounts": 0, "shares": 0}
    assert [e["action"] for e in audit.entries(ctx.store, action="demo.")] == ["demo.load"]
    camille = "camille.durand@nordlys-energie.example"
    privacy.erase_person(ctx, camille, actor=camille)
    assert main(["demo", "--json"], ctx) == 0, "make run reloads the demo: an erased demo person is no error"
    out = json.loads(capsys.readouterr().out)
    assert out["people"]["rejected"] == 0 and any("erased at their request" in n for n in out["people"]["notes"])
    assert out["demo"]["accounts"] == 0 and set(privacy.remaining(ctx.store, camille).values()) == {0}
    assert privacy.mentions(ctx.store, camille, skip=("content",)) == {}


@pytest.mark.parametrize("real", ["person", "account"])
def test_demo_is_never_loaded_over_real_data(ctx, capsys, tmp_path, real):
    from assistant.demo import NotADemoHome, load

    if real == "person":
        people = tmp_path / "hr.csv"
        people.write_text("email,name\nreal.person@company.example,Real Person\n", encoding="utf-8")
        from assistant.imports.people import import_people

        import_people(ctx.store, [people])
    else:
        accounts.create_account(ctx.store, "admin@company.example", "the real boss passphrase", ["admin"])
    with pytest.raises(NotADemoHome, match="not demo data"):
        load(ctx)
    assert ctx.store.value("SELECT count(*) FROM accounts WHERE username LIKE '%nordlys%'") == 0
    assert ctx.store.value("SELECT count(*) FROM content") == 0
    assert main(["demo"], ctx) == 2
    err = capsys.readouterr().err
    assert "not demo data" in err and "Traceback" not in err
