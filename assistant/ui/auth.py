"""Who is signed in, checked on the server at every run of every page.

The session keeps only the username; each run reloads the account from the
store, so a role removed by an admin, or an account erased by its owner,
takes effect at the next click. Pages call ``require(role)`` first: without
the role they show "access denied" and stop, whatever the URL asked for.

OIDC (``st.login``) is offered only when ``.streamlit/secrets.toml`` has an
``[auth]`` section; the provider's verified email is mapped to roles by
``accounts.account_for_email``. Local accounts stay available either way.
"""

from __future__ import annotations

import streamlit as st

from assistant import accounts
from assistant.accounts import Account, Forbidden
from assistant.ui import resources

SESSION_KEY = "auth_username"
ROLE_LABELS = {"employee": "Ambassadeur·rice · Employee", "marketing": "Marketing",
               "content": "Équipe contenu · Content team", "admin": "Admin"}


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_account() -> Account | None:
    store = resources.store()
    username = st.session_state.get(SESSION_KEY)
    if username:
        account = accounts.get_account(store, username)
        if account is None:  # erased or removed since sign-in
            st.session_state.pop(SESSION_KEY, None)
        return account
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        return accounts.account_for_email(store, st.user.get("email") or "")
    return None


def sign_in(username: str, password: str) -> Account | None:
    ctx = resources.context()
    account = accounts.authenticate(ctx.store, username, password, rounds=ctx.settings.bcrypt_rounds)
    if account is not None:
        st.session_state[SESSION_KEY] = account.username
    return account


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def require(role: str) -> Account:
    """The signed-in account holding ``role``, else an "access denied" message and ``st.stop()``."""
    account = current_account()
    try:
        return accounts.require(account, role)
    except Forbidden:
        st.error(f"Accès refusé · Access denied: cette page demande le rôle « {ROLE_LABELS[role]} » "
                 f"· this page needs the {role} role.", icon="🔒")
        st.stop()
        raise  # unreachable: st.stop() raises


def sidebar(account: Account) -> None:
    with st.sidebar:
        st.caption("Connecté·e · Signed in")
        st.markdown(f"**{account.username}**")
        st.caption(" · ".join(ROLE_LABELS[r] for r in account.roles))
        if st.button("Se déconnecter · Sign out", key="auth_signout", icon="🚪"):
            sign_out()
            st.rerun()
