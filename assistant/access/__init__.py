"""Who may sign in and what they may do: local accounts and their roles, password rules and bcrypt
hashes (with ``common-passwords.txt``), sign-in throttling, server-side sessions and the signed
cookie naming them, an account's identity and interface preferences (what one signed-in employee
may read and change is ``app.workspace``, above the features it reads). Grouped so that every access
decision has one home; the UI (``ui/auth.py``) only calls it.
"""
