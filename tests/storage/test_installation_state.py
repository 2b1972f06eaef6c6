"""Installation state on both stores: files in the home on the DuckDB file; on PostgreSQL, the database's, so
machines with homes of their own agree (``storage.installation``).

Two homes on one PostgreSQL database stand for two machines. Each process caches the secrets it read (they
are never replaced), so the second home's reads start from an empty cache, as another machine's would.
"""

from __future__ import annotations

import pytest

from assistant.context import open_context
from assistant.imports.people import import_people
from assistant.links.tracked import short_code
from assistant.optouts import tokens
from assistant.storage import erased, installation, keys
from assistant.writing import policy
from assistant.writing.policy import save
from assistant import signing
from tests.conftest import write

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

GUARANTEED = "prohibited_terms:\n  - term: garanti\n    severity: block\n"


@pytest.fixture
def other(settings, tmp_path, monkeypatch):
    """A second machine of the installation: its own home, the same database, nothing cached."""
    if settings.database_url is None:
        pytest.skip("two homes share state only through PostgreSQL; the DuckDB file has one home")
    monkeypatch.setattr(installation, "_known", {})
    return open_context(settings.but(home=tmp_path / "other-home"))


def _forget(monkeypatch):
    monkeypatch.setattr(installation, "_known", {})


def test_two_homes_agree_on_links_cookies_and_unsubscribe_links(ctx, other, monkeypatch):
    code = short_code(keys.key(ctx.settings, "links"), "share-1")
    cookie = signing.sign(keys.key(ctx.settings, "session-cookie"), "session", "token-of-ana")
    link = tokens.token(ctx.settings, "ana@example.com")
    _forget(monkeypatch)
    assert short_code(keys.key(other.settings, "links"), "share-1") == code
    assert signing.unsign(keys.key(other.settings, "session-cookie"), "session", cookie) == "token-of-ana"
    assert tokens.email_of(other.settings, link) == "ana@example.com"
    assert not (ctx.settings.home / "keys").exists() and not (other.settings.home / "keys").exists()
    names = {r["name"]: r["origin"] for r in ctx.store.rows("SELECT name, origin FROM installation_secrets")}
    assert names == {"links": "created", "session-cookie": "created", "unsubscribe": "created"}


def test_the_first_process_adopts_the_home_s_keys_and_salt_and_never_replaces_them(ctx, other, monkeypatch):
    """An installation moving to PostgreSQL keeps its cookies, links and erasures valid: the home's files are
    the values the database takes; a second home's different files do not replace them."""
    old_key, old_salt = bytes(range(32)), bytes(range(32, 64))
    write(ctx.settings.home / "keys" / "links.key", old_key.hex())
    write(ctx.settings.home / "erasure.salt", old_salt)
    write(other.settings.home / "keys" / "links.key", bytes(32).hex())  # a machine set up apart
    assert keys.key(ctx.settings, "links") == old_key and erased.salt(ctx.store) == old_salt
    _forget(monkeypatch)
    assert keys.key(other.settings, "links") == old_key and erased.salt(other.settings) == old_salt
    assert ctx.store.value("SELECT origin FROM installation_secrets WHERE name = 'links'") == "adopted"


def test_an_erasure_on_one_machine_holds_on_the_other(ctx, other, monkeypatch, tmp_path):
    assert erased.salt(ctx.store, create=False) is None  # nobody erased yet: no salt made by a mere question
    erased.remember(ctx.store, "Ana@Example.com")
    _forget(monkeypatch)
    assert erased.is_erased(other.store, "ana@example.com")
    assert erased.pseudonym(other.settings, "ana@example.com") == erased.pseudonym(ctx.store, "ana@example.com")
    report = import_people(other.store, [write(tmp_path / "people.csv", "email,name\nana@example.com,Ana\n")])
    assert report.counts["added"] == 0 and other.store.value("SELECT count(*) FROM employees") == 0
    assert not (ctx.settings.home / erased.SALT_FILE).exists()


def test_a_policy_saved_on_one_machine_applies_on_the_other_with_its_history(ctx, other):
    assert not other.policy.configured
    save(GUARANTEED, ctx.settings.policy_path, store=ctx.store, actor="nadia@example.com")
    assert [t.term for t in other.policy.prohibited_terms] == ["garanti"]  # at its next request
    assert policy.policy_text(other.settings.policy_path, other.store) == GUARANTEED
    save("max_hashtags: {limit: 2}\n", other.settings.policy_path, store=other.store, actor="marc@example.com")
    assert ctx.policy.max_hashtags == 2 and not ctx.policy.prohibited_terms
    history = ctx.store.rows("SELECT saved_by, saved_at IS NOT NULL AS dated FROM policy_versions ORDER BY id")
    assert history == [{"saved_by": "nadia@example.com", "dated": True}, {"saved_by": "marc@example.com", "dated": True}]
    assert not ctx.settings.policy_path.exists() and not other.settings.policy_path.exists()
    targets = ctx.store.rows("SELECT target FROM audit_log WHERE action = 'policy.save' ORDER BY id")
    assert [t["target"].split("/")[0] for t in targets] == ["policy_versions"] * 2


def test_a_home_s_policy_file_is_adopted_once(ctx, other):
    write(ctx.settings.policy_path, GUARANTEED)
    assert [t.term for t in other.policy.prohibited_terms] == []  # the other home has no file: nothing yet
    assert [t.term for t in ctx.policy.prohibited_terms] == ["garanti"]  # adopted as version 0
    assert [t.term for t in other.policy.prohibited_terms] == ["garanti"]
    write(other.settings.policy_path, "max_hashtags: {limit: 1}\n")  # a stale file elsewhere changes nothing
    assert not other.policy.max_hashtags and ctx.store.value("SELECT count(*) FROM policy_versions") == 1


def test_the_backup_key_stays_in_the_home(ctx):
    """It vouches for a backup of the data, so it never travels inside the data (``installation``)."""
    value = keys.key(ctx.settings, "backup")
    assert bytes.fromhex((ctx.settings.home / "keys" / "backup.key").read_text()) == value
    assert ctx.store.value("SELECT count(*) FROM installation_secrets") == 0


def test_on_the_duckdb_file_the_state_stays_in_the_home(ctx, settings):
    if settings.database_url is not None:
        pytest.skip("the embedded store's layout")
    link_key = keys.key(ctx.settings, "links")
    erased.remember(ctx.store, "ana@example.com")
    save(GUARANTEED, ctx.settings.policy_path, store=ctx.store, actor="nadia@example.com")
    assert bytes.fromhex((ctx.settings.home / "keys" / "links.key").read_text()) == link_key
    assert (ctx.settings.home / erased.SALT_FILE).read_bytes() == erased.salt(ctx.settings.home)
    assert ctx.settings.policy_path.read_text() == GUARANTEED and ctx.policy.prohibited_terms
    assert ctx.store.value("SELECT count(*) FROM installation_secrets") == 0
    assert ctx.store.value("SELECT count(*) FROM policy_versions") == 0
