"""The store's schema: append-only named migrations.

Every schema change is a function registered with ``@migration`` and applied once, in order,
recorded by name in ``_migrations`` (``migrate``, called by ``store.open_store``, through
``schema_steps``: the one runner of every store, the click log and the opt-out inbox included).
Never edit or reorder an applied migration; add a new one at the end.
"""

from __future__ import annotations

import duckdb

from . import schema_steps
from .postgres import COMPAT_FUNCTIONS, MigrationDB, lock_migrations, run_in_postgres

MIGRATIONS: list[schema_steps.Step] = []
migration = schema_steps.collector(MIGRATIONS)  # ``@migration``: the next migration, named after the function


@migration
def m001_initial(db):
    db.execute(
        """
        CREATE TABLE content (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            url TEXT,
            kind TEXT NOT NULL,
            language TEXT NOT NULL,
            language_supported BOOLEAN NOT NULL,
            campaign TEXT,
            priority INTEGER NOT NULL DEFAULT 0,
            published_at DATE,
            expires_at DATE,
            content_hash TEXT NOT NULL,
            record_hash TEXT NOT NULL,
            source TEXT,
            extra JSON,
            retired BOOLEAN NOT NULL DEFAULT FALSE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE INDEX content_hash_idx ON content (content_hash)")
    db.execute(
        """
        CREATE TABLE employees (
            email TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT,
            team TEXT,
            languages TEXT[] NOT NULL,
            expertise TEXT,
            skills TEXT[] NOT NULL,
            network_size INTEGER,
            consent_program BOOLEAN NOT NULL DEFAULT FALSE,
            consent_leaderboard BOOLEAN NOT NULL DEFAULT FALSE,
            consent_interviews BOOLEAN NOT NULL DEFAULT FALSE,
            gender_fr TEXT,
            extra JSON,
            record_hash TEXT NOT NULL,
            source TEXT,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute(
        """
        CREATE TABLE employee_posts (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            text TEXT NOT NULL,
            language TEXT NOT NULL,
            language_supported BOOLEAN NOT NULL,
            content_id TEXT,
            posted_at TIMESTAMP,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE INDEX employee_posts_email_idx ON employee_posts (email)")
    db.execute(
        """
        CREATE TABLE embeddings (
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            dim INTEGER NOT NULL,
            vector BLOB NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (model, text_hash)
        )
        """
    )
    db.execute("CREATE SEQUENCE import_log_seq")
    db.execute(
        """
        CREATE TABLE import_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('import_log_seq'),
            batch TEXT NOT NULL,
            target TEXT NOT NULL,
            source TEXT NOT NULL,
            item TEXT,
            status TEXT NOT NULL,
            message TEXT,
            logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m002_shares(db):
    """What an employee shared: never re-recommended, scored, tracked for engagement."""
    db.execute(
        """
        CREATE TABLE shares (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            content_id TEXT NOT NULL,
            draft_id TEXT,
            text TEXT NOT NULL,
            network TEXT,
            campaign TEXT,
            tracked_url TEXT,
            score DOUBLE,
            components JSON,
            policy JSON,
            shared_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE INDEX shares_email_idx ON shares (email)")
    db.execute("CREATE SEQUENCE engagement_seq")
    db.execute(
        """
        CREATE TABLE engagement_events (
            id BIGINT PRIMARY KEY DEFAULT nextval('engagement_seq'),
            share_id TEXT NOT NULL,
            kind TEXT NOT NULL,           -- click, reaction, comment, reshare, lead, impression
            count INTEGER NOT NULL DEFAULT 1,
            happened_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m003_drafts(db):
    """Every draft proposed to an employee, with its guardrail checks."""
    db.execute(
        """
        CREATE TABLE drafts (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            content_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            variant INTEGER NOT NULL,
            angle TEXT NOT NULL,
            language TEXT NOT NULL,
            text TEXT NOT NULL,
            generator TEXT NOT NULL,
            fallback BOOLEAN NOT NULL,
            attempts INTEGER NOT NULL,
            checks JSON,
            seconds DOUBLE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE INDEX drafts_email_idx ON drafts (email)")


@migration
def m004_accounts(db):
    """Local sign-in accounts (hashed passwords only) and their roles."""
    db.execute(
        """
        CREATE TABLE accounts (
            username TEXT PRIMARY KEY,
            email TEXT,
            roles TEXT[] NOT NULL,
            password_hash TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m005_engagement_tracking(db):
    """Real engagement: short links and published-post URLs on shares; click-log hits, conversions and
    reported network metrics as events with their origin; per-share totals kept by every writer (the
    dashboards read them instead of scanning millions of events); sync watermarks; goals; EMV rates."""
    for column in ("short_code TEXT", "post_url TEXT", "post_key TEXT"):
        db.execute(f"ALTER TABLE shares ADD COLUMN {column}")
    for column in ("source TEXT", "source_key TEXT", "visitor TEXT", "first_visit BOOLEAN", "is_bot BOOLEAN",
                   "bot_reason TEXT", "ua_class TEXT", "referrer TEXT", "click_id TEXT", "value DOUBLE",
                   "currency TEXT"):
        db.execute(f"ALTER TABLE engagement_events ADD COLUMN {column}")
    db.execute(
        """
        CREATE TABLE share_totals (
            share_id TEXT PRIMARY KEY,
            hits BIGINT NOT NULL DEFAULT 0,                -- every logged request of the short link
            bot_hits BIGINT NOT NULL DEFAULT 0,
            unique_human_clicks BIGINT NOT NULL DEFAULT 0, -- distinct (share, visitor, day) among human hits
            reactions BIGINT NOT NULL DEFAULT 0,
            comments BIGINT NOT NULL DEFAULT 0,
            reshares BIGINT NOT NULL DEFAULT 0,
            impressions BIGINT NOT NULL DEFAULT 0,
            impression_rows BIGINT NOT NULL DEFAULT 0,     -- > 0: impressions were reported, not estimated
            network_clicks BIGINT NOT NULL DEFAULT 0,      -- clicks the network itself reports
            leads BIGINT NOT NULL DEFAULT 0,
            signups BIGINT NOT NULL DEFAULT 0,
            sales BIGINT NOT NULL DEFAULT 0,
            applications BIGINT NOT NULL DEFAULT 0,
            conversion_value DOUBLE NOT NULL DEFAULT 0
        )
        """
    )
    sums = ", ".join(f"coalesce(sum(count) FILTER (kind = '{kind}'), 0)" for kind in
                     ("click", "click", "reaction", "comment", "reshare", "impression", "lead"))
    db.execute(  # events recorded before this migration: hand-recorded counts, no visitor known
        f"""INSERT INTO share_totals (share_id, hits, unique_human_clicks, reactions, comments, reshares, impressions,
                                      leads, impression_rows)
            SELECT share_id, {sums}, count(*) FILTER (kind = 'impression') FROM engagement_events GROUP BY share_id"""
    )
    db.execute(
        """CREATE TABLE sync_state (source TEXT PRIMARY KEY, last_id BIGINT NOT NULL, rows BIGINT NOT NULL DEFAULT 0,
                                    synced_at TIMESTAMP)"""
    )
    db.execute("CREATE SEQUENCE campaign_goal_seq")
    db.execute(
        """
        CREATE TABLE campaign_goals (
            id BIGINT PRIMARY KEY DEFAULT nextval('campaign_goal_seq'),
            campaign TEXT NOT NULL,
            metric TEXT NOT NULL,           -- personal_shares, shares, sharers, unique_human_clicks, conversions
            target INTEGER NOT NULL,
            due DATE,
            min_score DOUBLE,               -- personal_shares: authenticity score at least this
            created_by TEXT,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE TABLE programme_rates (key TEXT PRIMARY KEY, value DOUBLE NOT NULL, updated_by TEXT, "
               "updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")


@migration
def m006_share_status_autosave_preferences(db):
    """A share is "prepared" when the employee gets its text and links, and "posted" once they confirm
    it (optionally with the post's URL) or its first human click arrives; only posted shares count.
    Shares recorded before this migration were counted when the button was pressed: they stay counted.
    The editor's text is autosaved per employee and item (restored after a reload); each account keeps
    its interface language."""
    db.execute("ALTER TABLE shares ADD COLUMN status TEXT DEFAULT 'prepared'")
    db.execute("ALTER TABLE shares ADD COLUMN posted_at TIMESTAMP")
    db.execute("UPDATE shares SET status = 'posted', posted_at = shared_at")
    db.execute(
        """
        CREATE TABLE autosaves (
            email TEXT NOT NULL,
            content_id TEXT NOT NULL,
            draft_id TEXT,
            network TEXT,
            text TEXT NOT NULL,
            saved_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (email, content_id)
        )
        """
    )
    db.execute("CREATE TABLE ui_preferences (username TEXT PRIMARY KEY, lang TEXT, "
               "updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")


@migration
def m008_digests(db):
    """Digests and notifications: each employee's digest preferences (frequency, channel); one row per
    digest run; one row per delivery with its status, attempts and failure reason, unique per employee
    and period (an ISO week), so nobody gets the same week twice whichever process sends; opt-outs
    folded in from one-click unsubscribe links; and the detected language of profile texts
    (langdetect costs ~5 ms a text, so a batch over 10,000 people detects each text once, ever)."""
    db.execute(
        """
        CREATE TABLE digest_preferences (
            email TEXT PRIMARY KEY,
            frequency TEXT NOT NULL DEFAULT 'weekly',   -- weekly, biweekly, never
            channel TEXT NOT NULL DEFAULT 'email',      -- email, slack, teams
            updated_by TEXT,                            -- the employee, or 'unsubscribe-link'
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE SEQUENCE digest_run_seq")
    db.execute(
        """
        CREATE TABLE digest_runs (
            id BIGINT PRIMARY KEY DEFAULT nextval('digest_run_seq'),
            period TEXT NOT NULL,                       -- ISO week, e.g. 2026-W49
            trigger TEXT NOT NULL,                      -- cli, schedule, test
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            due INTEGER NOT NULL DEFAULT 0,             -- digests built this run
            sent INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,         -- already sent this period, or claimed by another run
            build_seconds DOUBLE,
            error TEXT
        )
        """
    )
    db.execute("CREATE SEQUENCE digest_delivery_seq")
    db.execute(
        """
        CREATE TABLE digest_deliveries (
            id BIGINT PRIMARY KEY DEFAULT nextval('digest_delivery_seq'),
            run_id BIGINT,
            email TEXT NOT NULL,
            period TEXT NOT NULL,                       -- ISO week; 'test:<timestamp>' for a test digest
            channel TEXT NOT NULL,
            language TEXT NOT NULL,
            subject TEXT,
            items JSON,                                 -- [{"id", "title", "link"}]
            status TEXT NOT NULL,                       -- sending, sent, failed
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            created_at TIMESTAMP NOT NULL,
            sent_at TIMESTAMP,
            UNIQUE (email, period)
        )
        """
    )
    db.execute("CREATE INDEX digest_deliveries_run_idx ON digest_deliveries (run_id)")
    db.execute("CREATE TABLE digest_optouts (id BIGINT PRIMARY KEY, email TEXT NOT NULL, opted_out_at TIMESTAMP NOT NULL, "
               "source TEXT NOT NULL)")
    db.execute("CREATE TABLE text_languages (text_hash TEXT PRIMARY KEY, language TEXT NOT NULL)")


@migration
def m009_sign_in_audit_erasure(db):
    """Sign-in hardening and lasting erasure: sessions (token hashes only), failed sign-in counters
    (hashed keys), the admin audit log, and the salted hashes of erased people's emails."""
    db.execute(
        """
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,      -- SHA-256 of the bearer token; the token itself is never stored
            username TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL,
            last_seen_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE signin_throttle (
            key TEXT PRIMARY KEY,             -- 'account:' or 'client:' + SHA-256 of the username or address
            failures INTEGER NOT NULL,
            last_failure TIMESTAMP NOT NULL,
            locked_until TIMESTAMP
        )
        """
    )
    db.execute("CREATE SEQUENCE audit_log_seq")
    db.execute(
        """
        CREATE TABLE audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
            logged_at TIMESTAMP NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT,
            detail JSON
        )
        """
    )
    db.execute("CREATE TABLE erased_people (digest TEXT PRIMARY KEY, erased_at TIMESTAMP NOT NULL)")


@migration
def m010_drafts_own_words(db):
    """Drafts built on the employee's words: the line they gave, where it sits in each variant, the form."""
    db.execute("ALTER TABLE drafts ADD COLUMN form TEXT")
    db.execute("ALTER TABLE drafts ADD COLUMN own_words JSON")
    db.execute("ALTER TABLE drafts ADD COLUMN words TEXT")


@migration
def m011_translations(db):
    """Key points translated into the other language, once per item text (``writing.translation``)."""
    db.execute(
        """
        CREATE TABLE translations (
            content_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            lang TEXT NOT NULL,
            title TEXT,
            details JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (content_id, lang)
        )
        """
    )


@migration
def m012_click_replicas(db):
    """Click-service replicas on several hosts (``links.replica``): the hits and conversions they forward
    (keyed by replica and local id: a replica sends each once), their forwarding marks, the shares erased
    (replicas delete them from their own logs), the visitor salts they share. On PostgreSQL, indexes for
    the replicas' lookups (a short code, a click id) and their poll of recent shares; the embedded store
    keeps its click log in the home and leaves these tables empty."""
    db.execute("""CREATE TABLE click_hits (replica TEXT NOT NULL, local_id BIGINT NOT NULL, click_id TEXT NOT NULL UNIQUE,
                  code TEXT NOT NULL, share_id TEXT NOT NULL, clicked_at DOUBLE NOT NULL, day TEXT NOT NULL, method TEXT NOT NULL,
                  referrer_host TEXT, visitor TEXT, ua_class TEXT, is_bot BOOLEAN NOT NULL, bot_reason TEXT,
                  PRIMARY KEY (replica, local_id))""")
    db.execute("""CREATE TABLE click_conversions (replica TEXT NOT NULL, local_id BIGINT NOT NULL,
                  external_id TEXT NOT NULL UNIQUE, share_id TEXT NOT NULL, click_id TEXT, event TEXT NOT NULL,
                  value DOUBLE, currency TEXT, occurred_at DOUBLE NOT NULL, received_at DOUBLE NOT NULL,
                  source TEXT NOT NULL, folded BOOLEAN NOT NULL, PRIMARY KEY (replica, local_id))""")
    db.execute("""CREATE TABLE click_replicas (replica TEXT PRIMARY KEY, hits_upto BIGINT NOT NULL,
                  conversions_upto BIGINT NOT NULL, host TEXT, first_seen DOUBLE, last_seen DOUBLE)""")
    db.execute("CREATE TABLE click_erasures (erased_share TEXT PRIMARY KEY, erased_at DOUBLE NOT NULL)")
    db.execute("CREATE TABLE click_salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL)")
    if isinstance(db, MigrationDB):
        db.execute("CREATE INDEX click_erasures_at_idx ON click_erasures (erased_at)")
        db.execute("CREATE INDEX shares_short_code_idx ON shares (short_code)")
        db.execute("CREATE INDEX shares_shared_at_idx ON shares (shared_at)")
        db.execute("CREATE INDEX engagement_events_click_idx ON engagement_events (click_id)")


@migration
def m013_installation_state(db):
    """What every process of a PostgreSQL installation must agree on, whatever its home (``installation``):
    its keys and the erasure salt (created once, never replaced), and the policy's versions (the highest
    current). The embedded store keeps these in files of its home and leaves the tables empty."""
    db.execute("CREATE TABLE installation_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, origin TEXT NOT NULL, "
               "created_at TIMESTAMP NOT NULL)")
    db.execute("CREATE SEQUENCE policy_versions_seq START 1")
    db.execute("CREATE TABLE policy_versions (id BIGINT PRIMARY KEY DEFAULT nextval('policy_versions_seq'), "
               "text TEXT NOT NULL, saved_by TEXT, saved_at TIMESTAMP NOT NULL)")


@migration
def m014_optout_forwards(db):
    """One-click opt-outs noted on several hosts (``links.replica``): each host's inbox rows forwarded once,
    keyed by the inbox's id and its local id, until ``digest.preferences.fold_optouts`` applies them; each
    inbox's forwarding mark; the erased people's tombstones the hosts' inboxes keep (``optouts.tokens.tombstone``).
    The embedded store folds its home's inbox directly and leaves these empty."""
    db.execute("CREATE TABLE optout_forwards (replica TEXT NOT NULL, local_id BIGINT NOT NULL, email TEXT NOT NULL, "
               "opted_out_at TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (replica, local_id))")
    db.execute("CREATE TABLE optout_inboxes (replica TEXT PRIMARY KEY, optouts_upto BIGINT NOT NULL, host TEXT, "
               "first_seen DOUBLE, last_seen DOUBLE)")
    db.execute("CREATE TABLE optout_erasures (tombstone TEXT PRIMARY KEY, erased_at DOUBLE NOT NULL)")


@migration
def m015_click_services(db):
    """Which forwarders of ``click_replicas`` are running click services: ``served_at``, moved by a service's
    own forwarder each turn (``links.replica.Replica``), stays NULL for a home whose log only ``engagement sync``
    forwards (an app process, the operator's CLI), so those are not reported as replicas gone silent;
    ``retired_at``, set by ``porte-voix links retire``, hides a replica taken out of service until it forwards
    again."""
    db.execute("ALTER TABLE click_replicas ADD COLUMN served_at DOUBLE")
    db.execute("ALTER TABLE click_replicas ADD COLUMN retired_at DOUBLE")


def migrate(con: duckdb.DuckDBPyConnection, postgres: bool = False) -> list[str]:
    """Apply pending migrations in order; return the names applied now.

    ``postgres``: ``con`` has the PostgreSQL store attached (``storage.postgres``): each migration's DDL runs
    in PostgreSQL, and processes starting at once take turns (an advisory lock), each re-checking what the
    one before it applied.
    """
    if not postgres:
        return schema_steps.migrate(con, MIGRATIONS)
    return schema_steps.migrate(con, MIGRATIONS, db=MigrationDB(con), lock=lock_migrations,
                                setup=lambda c: run_in_postgres(c, COMPAT_FUNCTIONS))
