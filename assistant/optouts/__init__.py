"""Digest opt-outs shared by the public service and the app: the signed unsubscribe tokens (``tokens``) and
the SQLite opt-out inbox with its tombstones (``inbox``). Grouped below ``digest`` and ``web`` because both
need them: the click service's process checks a token and notes an opt-out without importing any digest
code, and the digests put the token in every message and fold the inbox into their preferences. Imports
no DuckDB; this ``__init__`` imports nothing.
"""
