"""The catalogue of every word a user reads, in French and English (``fr.toml``, ``en.toml``).

It sits with the core helpers (``LAYERS`` in ``assistant/__init__.py``) so that the domain (drafts,
authenticity, errors, dates and figures) and the interface draw their words from the same two files:
``catalogue`` reads them, ``worded`` gives domain errors a key instead of an English sentence.
"""
