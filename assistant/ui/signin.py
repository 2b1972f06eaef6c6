"""Sign-in page: local account (email + password), or the company's identity provider when configured.

Shown at every address while nobody is signed in; after sign-in the same
address (and its ``?item=`` / ``?page=``) opens the page it names.

"""

from __future__ import annotations

import streamlit as st

from assistant.ui import auth
from assistant.ui.i18n import t


def page() -> None:
    with st.container():  # one block: replaced at once by the next page's first element, nothing stale stays
        _form()


def _form() -> None:
    st.title("📣 Porte-voix")
    st.caption(t("signin.tagline"))
    if st.query_params.get("item") or st.query_params.get("page"):
        st.info(t("signin.then_link"), icon="🔗")
    claims = auth.oidc_claims()
    if claims is not None:
        key = "signin.sso_unverified" if not auth.email_verified(claims) else "signin.sso_no_access"
        st.error(t(key, email=claims.get("email") or "?"))
        if st.button(t("auth.sign_out"), key="signin_sso_logout"):
            st.logout()
    elif auth.oidc_configured():
        if st.button(t("signin.sso"), key="signin_sso", type="primary"):
            try:
                st.login()
            except Exception:  # e.g. Authlib missing, or a bad [auth] section
                st.error(t("signin.sso_unavailable"))
        st.divider()
    with st.form("signin_form"):
        username = st.text_input(t("signin.email"), key="signin_username", autocomplete="username")
        password = st.text_input(t("signin.password"), type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("signin.submit"), type="primary")
    if submitted:
        try:
            account = auth.sign_in(username, password)
        except Exception as exc:
            seconds = auth.throttle_seconds(exc)
            if seconds is None:
                raise
            st.error(t("signin.locked", minutes=max(1, -(-seconds // 60)), seconds=seconds), icon="⏳")
            return
        if account:
            st.rerun()
        st.error(t("signin.wrong"))
    st.caption(t("signin.demo"))


if __name__ == "__main__":
    page()
