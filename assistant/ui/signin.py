"""Sign-in page: local account (email + password), or the company's identity provider when configured."""

from __future__ import annotations

import streamlit as st

from assistant.ui import auth


def page() -> None:
    st.title("📣 Porte-voix")
    st.caption("Partagez les contenus de l'entreprise avec vos mots · Share company content in your own words")
    if auth.oidc_configured() and getattr(st.user, "is_logged_in", False):
        st.error(f"{st.user.get('email') or '?'} n'a pas accès à Porte-voix · has no access to Porte-voix. "
                 "Demandez un compte à un·e admin · Ask an admin for an account.")
        if st.button("Se déconnecter · Sign out", key="signin_sso_logout"):
            st.logout()
    elif auth.oidc_configured():
        if st.button("Se connecter avec l'annuaire de l'entreprise · Sign in with company SSO", key="signin_sso",
                     type="primary"):
            try:
                st.login()
            except Exception as exc:  # e.g. Authlib missing, or a bad [auth] section
                st.error(f"Connexion SSO indisponible · SSO sign-in unavailable: {exc}")
        st.divider()
    with st.form("signin_form"):
        username = st.text_input("E-mail", key="signin_username", autocomplete="username")
        password = st.text_input("Mot de passe · Password", type="password", key="signin_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Se connecter · Sign in", type="primary")
    if submitted:
        if auth.sign_in(username, password):
            st.rerun()
        st.error("E-mail ou mot de passe incorrect · Wrong email or password.")
    st.caption("Démo · Demo: `porte-voix demo` crée un compte par rôle (mot de passe `porte-voix-demo`) "
               "· creates one account per role (password `porte-voix-demo`), see README.")


if __name__ == "__main__":
    page()
