"""People, policy and accounts (admin): import/edit people, edit the policy YAML (validated before saving),
manage sign-in accounts and roles."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant import accounts, library, policy
from assistant.ui import auth, resources
from assistant.ui.widgets import import_form, save_edits

PERSON_EDITABLE = ["name", "role", "team", "network_size"]


def page() -> None:
    account = auth.require("admin")
    st.title("Personnes et règles · People and rules")
    tabs = st.tabs(["Personnes · People", "Politique · Policy", "Comptes · Accounts"], key="adm_tabs",
                   on_change="rerun")
    ctx = resources.context()
    for tab, view in zip(tabs, (lambda: _people(ctx), lambda: _policy(ctx), lambda: _accounts(ctx, account))):
        if tab.open:  # only the open tab is computed
            with tab:
                view()


def _people(ctx) -> None:
    store = ctx.store
    import_form(ctx, "people", "adm")
    rows = library.people_table(store)
    if not rows:
        st.info("Personne pour l'instant · Nobody yet.")
        return
    st.caption("Le consentement et le profil appartiennent à chaque employé·e · Consent and profile belong to each "
               "employee; here only HR fields can change.")
    frame = pd.DataFrame(rows).set_index("email")
    edited = st.data_editor(frame, key="adm_people_editor",
                            disabled=[c for c in frame.columns if c not in PERSON_EDITABLE])
    if st.button("Enregistrer · Save", key="adm_people_save", type="primary"):
        changed = save_edits(frame, edited, PERSON_EDITABLE,
                             lambda email, fields: library.update_person(store, email, **fields))
        st.success(f"{changed} personne(s) modifiée(s) · people changed.")


def _policy(ctx) -> None:
    path = ctx.settings.policy_path
    if not ctx.policy.configured:
        st.warning("Aucune politique n'est configurée : seules les limites de longueur s'appliquent · "
                   "No policy is configured: only the networks' length limits apply.")
    st.caption("Règles vérifiées avant chaque partage · Rules checked before every share. Format: see "
               "the README, section Policy.")
    text = st.text_area("policy.yaml", policy.policy_text(path), height=420, key="adm_policy_text")
    check, save = st.columns(2)
    if check.button("Vérifier · Validate", key="adm_policy_check"):
        try:
            parsed = policy.parse(text)
            st.success(f"Valide · Valid: {len(parsed.prohibited_terms)} terme(s) interdit(s) · prohibited term(s).")
        except policy.PolicyError as exc:
            st.error(f"Invalide · Invalid: {exc}")
    if save.button("Enregistrer · Save", key="adm_policy_save", type="primary"):
        try:
            policy.save(text, path)
            st.success(f"Enregistré · Saved to {path}")
        except policy.PolicyError as exc:
            st.error(f"Non enregistré, politique invalide · Not saved, invalid policy: {exc}")


def _accounts(ctx, me) -> None:
    store = ctx.store
    rows = accounts.list_accounts(store)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="adm_accounts_table")
    with st.form("adm_account_form", clear_on_submit=True):
        st.markdown("**Créer ou réinitialiser un compte · Create or reset an account**")
        username = st.text_input("E-mail", key="adm_account_user")
        password = st.text_input("Mot de passe · Password (8+)", type="password", key="adm_account_password")
        roles = st.multiselect("Rôles · Roles", list(accounts.ROLES), default=["employee"], key="adm_account_roles",
                               format_func=auth.ROLE_LABELS.get)
        if st.form_submit_button("Enregistrer · Save", type="primary"):
            try:
                accounts.create_account(store, username, password, roles, replace=True, rounds=ctx.settings.bcrypt_rounds)
                st.success(f"Compte enregistré · Account saved: {username}")
            except accounts.AccountError as exc:
                st.error(str(exc))
    others = [r["username"] for r in rows if r["username"] != me.username]
    if others:
        c1, c2 = st.columns([3, 1])
        victim = c1.selectbox("Supprimer un compte · Delete an account", others, key="adm_account_delete_pick")
        if c2.button("Supprimer · Delete", key="adm_account_delete"):
            accounts.delete_account(store, victim)
            st.rerun()


if __name__ == "__main__":
    page()
