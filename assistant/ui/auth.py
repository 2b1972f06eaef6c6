"""Who is signed in, checked on the server at every run of every page.

Signing in creates a server-side session (``assistant.access.sessions``: the token is
stored hashed, with its expiry) and hands the browser a signed, HTTP-only
cookie through a one-time grant (``assistant.access.session_cookie``; the route is in
``web.py``). A reload or a new tab reads the cookie from the websocket's
handshake and is signed in again until the session expires
(``settings.session_hours``) or is revoked: sign-out revokes it on the server
before clearing the cookie, so a copied cookie is worthless afterwards.

The session keeps only the username (and the session token); each run
reloads the account from the store and checks the session is still valid, so
a role removed by an admin, an account erased by its owner or a session
revoked elsewhere takes effect at the next click. Pages call ``require(role)``
first: without the role they show "access denied" and stop, whatever the URL
asked for.

OIDC (``st.login``) is offered only when ``.streamlit/secrets.toml`` has an
``[auth]`` section; only a *verified* email from the provider is mapped to an
account (``accounts.account_for_oidc`` when available). Local accounts stay
available either way.
"""

from __future__ import annotations

import datetime as dt
import inspect
import secrets as random

import streamlit as st

from assistant.access import accounts, client_address, session_cookie, sessions
from assistant.access.accounts import Account, Forbidden
from assistant.ui import resources
from assistant.ui.i18n import labels, t

SESSION_KEY = "auth_username"
TOKEN_KEY = "auth_token"
COOKIE_ACTION = "auth_cookie_action"


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def oidc_claims() -> dict | None:
    """What the identity provider said about the signed-in person, or None when nobody signed in with it."""
    if not oidc_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    try:
        return dict(st.user.to_dict())
    except AttributeError:
        return {k: st.user.get(k) for k in ("email", "email_verified", "name", "sub")}


def email_verified(claims: dict) -> bool:
    return claims.get("email_verified") in (True, "true", "True", 1)


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(session_cookie.COOKIE)
    except Exception:  # no browser behind this run (AppTest, bare mode)
        return None
    return session_cookie.unsign(resources.cookie_secret(), value) if value else None


def current_account() -> Account | None:
    store = resources.store()
    username = st.session_state.get(SESSION_KEY)
    token = st.session_state.get(TOKEN_KEY)
    if username and token and _username(sessions.account_for(store, token)) != username:
        _forget()  # revoked (signed out in another tab, password changed), idle too long or expired
        username = None
    if not username:
        token = _cookie_token()
        username = _username(sessions.account_for(store, token)) if token else None
        if username:
            st.session_state[SESSION_KEY], st.session_state[TOKEN_KEY] = username, token
    if username:
        account = accounts.get_account(store, username)
        if account is None:  # erased or removed since sign-in
            _forget()
        return account
    claims = oidc_claims()
    if claims is not None and email_verified(claims):
        by_claims = getattr(accounts, "account_for_oidc", None)
        if by_claims is not None:
            return by_claims(store, claims)
        return accounts.account_for_email(store, claims.get("email") or "")
    return None


def _client() -> str | None:
    """The browser's address, ``X-Forwarded-For`` believed only from ``settings.trusted_proxies``; None when
    unknown (no browser behind this run): such sign-ins share one throttle key."""
    try:
        seen = st.context.ip_address
        forwarded = st.context.headers.get_all("X-Forwarded-For")
    except Exception:  # no browser behind this run
        return None
    trusted = client_address.networks(resources.context().settings.trusted_proxies)
    return client_address.behind_uvicorn(seen if isinstance(seen, str) else None, forwarded, trusted)


def _username(account) -> str | None:
    return getattr(account, "username", account)


def _forget() -> None:
    for key in (SESSION_KEY, TOKEN_KEY):
        st.session_state.pop(key, None)


def throttle_seconds(exc: BaseException) -> int | None:
    """Seconds left before the next try, when ``exc`` says sign-in is throttled or locked."""
    for name in ("seconds_left", "retry_after", "seconds", "wait_s"):
        value = getattr(exc, name, None)
        if isinstance(value, (int, float)):
            return max(1, int(round(value)))
    return None


def sign_in(username: str, password: str) -> Account | None:
    """Check the password; on success open a session (and its cookie). Throttling errors propagate."""
    ctx = resources.context()
    options = {}
    if "client" in inspect.signature(accounts.authenticate).parameters:  # throttling per client too
        options["client"] = _client()
    account = accounts.authenticate(ctx.store, username, password, rounds=ctx.settings.bcrypt_rounds, **options)
    if account is None:
        return None
    st.session_state[SESSION_KEY] = account.username
    ttl = int(ctx.settings.session_hours * 3600)
    token = sessions.create(ctx.store, account.username, lifetime=dt.timedelta(seconds=ttl))
    st.session_state[TOKEN_KEY] = token
    grant = session_cookie.GRANTS.issue(session_cookie.sign(resources.cookie_secret(), token), max_age_s=ttl)
    st.session_state[COOKIE_ACTION] = {"action": "open", "grant": grant, "nonce": random.token_hex(6)}
    return account


def sign_out() -> None:
    """Revoke the session on the server, forget everything of this browser session, clear the cookie."""
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if token:
        sessions.revoke(resources.store(), token)
    lang = st.session_state.get("ui_lang_choice")
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if lang:
        st.session_state["ui_lang_choice"] = lang
    st.session_state[COOKIE_ACTION] = {"action": "close", "nonce": random.token_hex(6)}
    if oidc_claims() is not None:
        st.logout()


_COOKIE_JS = """
export default function (component) {
  const { data } = component;
  const done = (window.__pvSession = window.__pvSession || {});
  if (!data || !data.action || done[data.nonce]) return;
  done[data.nonce] = true;
  fetch(data.route, { method: data.action === "open" ? "POST" : "DELETE", credentials: "same-origin",
                      headers: { "Content-Type": "application/json" },
                      body: data.action === "open" ? JSON.stringify({ grant: data.grant }) : null });
}
"""


@st.cache_resource
def _cookie_component():
    return st.components.v2.component("porte_voix_session_cookie", js=_COOKIE_JS)


def cookie_bridge() -> None:
    """Let the browser fetch (or clear) the sign-in cookie when a sign-in or sign-out asked for it.

    The browser fetches once per action (its nonce) and reports nothing back: a report would rerun the
    page just after sign-in, and a click the employee made in that moment (on "Draft for me") was lost
    under load (``evals/load/ui_bench.py``). The action stays in the session until the next one replaces it."""
    action = st.session_state.get(COOKIE_ACTION)
    if not action:
        return
    with st.sidebar:
        _cookie_component()(key=f"auth_cookie_{action['nonce']}", data={**action, "route": session_cookie.ROUTE})


def require(role: str) -> Account:
    """The signed-in account holding ``role``, else an "access denied" message and ``st.stop()``."""
    account = current_account()
    try:
        return accounts.require(account, role)
    except Forbidden:
        st.error(t("auth.denied", role=labels("roles").get(role, role)), icon="🔒")
        st.stop()
        raise  # unreachable: st.stop() raises


def sidebar(account: Account) -> None:
    with st.sidebar:
        st.caption(t("auth.signed_in"))
        st.text(account.username)
        st.caption(" · ".join(labels("roles").get(r, r) for r in account.roles))
        if st.button(t("auth.sign_out"), key="auth_signout", icon="🚪"):
            sign_out()
            st.rerun()
