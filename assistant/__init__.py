"""Porte-voix: an employee-advocacy assistant.

The domain package is pure Python: importing it loads no model library and no
Streamlit. Heavy backends live in `models/` and load lazily.

Its packages (and top-level modules), lowest layer first, as :data:`LAYERS` orders them:

- ``config``, ``text``, ``language``, ``words``, ``signing``, ``periodic``  settings from the environment; text
  and language helpers; the French and English catalogue of every word a user reads; signed values
  (itsdangerous); background jobs
- ``storage``     the DuckDB store, migrations, backup, compaction, keys, audit log, register of erased people
- ``access``      accounts, passwords, throttling, sessions, the signed cookie, preferences
- ``imports``     readers, fields, import runs; the content library (catalog) and people
- ``retrieval``   embeddings, BM25, ranking, recommendations and experts
- ``writing``     prompts, voice, drafts, fallback, reader's checks, guardrails, policy, authenticity
- ``links``       tracked links and short codes, the click log, conversions, visitor flags, request limits:
  all the public click service needs (no DuckDB)
- ``optouts``     unsubscribe tokens and the opt-out inbox: what the public unsubscribe page and the digests share
- ``sharing``     a share's life: what may be shared, recording it, posting it (when a share counts)
- ``reporting``   engagement events, sync, analytics imports, metrics, dashboards, points, goals
- ``digest``      weekly digests: content, templates, runs, schedule, delivery, folding the opt-outs
- ``context``, ``app``, ``demo``, ``demo_accounts``  the composition root; use-cases that span
  features (one person's export and erasure, an employee's workspace); the demo installation
- ``web``, ``ui``, ``commands``, ``cli``  the click service's process (short links, conversions, the
  unsubscribe page: it runs no digest code), the Streamlit pages, the ``porte-voix`` command

A module imports its own layer and those below, never one above (``tests/project/test_import_graph.py``):
a lower layer takes what it needs as arguments and names ``Context`` only under ``TYPE_CHECKING``.
"""

__version__ = "0.1.0"

LAYERS = [
    ["config", "text", "language", "words", "signing", "periodic"],
    ["storage"],
    ["access", "imports"],
    ["retrieval"],
    ["writing"],
    ["links", "optouts"],
    ["sharing"],
    ["reporting"],
    ["digest"],
    ["context", "app", "demo", "demo_accounts"],
    ["web", "ui", "commands", "cli"],
]
