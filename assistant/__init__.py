"""Porte-voix: an employee-advocacy assistant.

The domain package is pure Python: importing it loads no model library and no
Streamlit. Heavy backends live in `models/` and load lazily.

Sub-packages, lowest layer first (``config``, ``context``, ``cli``, ``text``, ``language``,
``demo`` and ``demo_accounts`` stay here, with ``ui/`` for the Streamlit pages):

- ``storage``     the DuckDB store, migrations, backup, compaction, keys, audit log, erasure
- ``access``      accounts, passwords, throttling, sessions, the signed cookie, workspace
- ``imports``     readers, fields, import runs; the content library (catalog) and people
- ``retrieval``   embeddings, BM25, ranking, recommendations and experts
- ``writing``     prompts, voice, drafts, fallback, reader's checks, guardrails, policy
- ``engagement``  links, shares, click service and log, events, metrics, points, goals
- ``digest``      weekly digests: content, templates, runs, schedule, delivery, unsubscribe
- ``commands``    porte-voix subcommands: admin, digest, engagement (cli.py stays on top)
"""

__version__ = "0.1.0"
