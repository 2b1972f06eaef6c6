"""My profile: expertise, skills, languages, past posts, French grammatical gender, consent, my data."""

from __future__ import annotations

import streamlit as st

from assistant import privacy, workspace
from assistant.ui import auth, resources

LANGS = {"fr": "Français", "en": "English"}
GENDERS = {None: "Non précisé · Not specified", "f": "Féminin (« ravie ») · Feminine",
           "m": "Masculin (« ravi ») · Masculine"}
CONSENTS = {
    "consent_program": "Je participe au programme d'ambassadeurs · I take part in the ambassador program",
    "consent_leaderboard": "Apparaître dans le classement · Appear on the leaderboard",
    "consent_interviews": "Accepter les demandes d'interview de l'équipe contenu · Accept interview requests",
}


def page() -> None:
    account = auth.require("employee")
    store = resources.store()
    email = account.email or ""
    st.title("Mon profil · My profile")
    person = workspace.profile(store, account, email)
    if person is None:
        st.info("Aucun profil d'employé·e n'est lié à ce compte · No employee profile is linked to this account.")
        return
    st.caption(f"{person['name']} · {person['role'] or ''} · {person['team'] or ''} · {email}")
    about, posts, consent, data = st.tabs(["Profil · Profile", "Publications · Past posts",
                                           "Consentements · Consent", "Mes données · My data"])
    with about:
        _about(store, account, person)
    with posts:
        _posts(store, account, email)
    with consent:
        _consent(store, account, person)
    with data:
        _my_data(store, account, email)


def _about(store, account, person) -> None:
    with st.form("profile_form"):
        expertise = st.text_area("Expertise (vos mots) · Expertise (your words)", person["expertise"] or "",
                                 key="profile_expertise", height=120)
        skills = st.text_input("Compétences, séparées par des virgules · Skills, comma-separated",
                               ", ".join(person["skills"] or []), key="profile_skills")
        languages = st.multiselect("Langues de publication · Languages you post in", list(LANGS),
                                   default=[x for x in person["languages"] if x in LANGS], format_func=LANGS.get,
                                   key="profile_languages")
        gender = st.selectbox("Accords en français · French grammatical gender", list(GENDERS),
                              index=list(GENDERS).index(person["gender_fr"]) if person["gender_fr"] in GENDERS else 0,
                              format_func=GENDERS.get, key="profile_gender")
        network = st.number_input("Taille de votre réseau · Your network size", min_value=0,
                                  value=int(person["network_size"] or 0), step=50, key="profile_network")
        if st.form_submit_button("Enregistrer · Save", type="primary"):
            try:
                workspace.update_profile(store, account, account.email, expertise=expertise,
                                         skills=skills.split(","), languages=languages, gender_fr=gender,
                                         network_size=int(network))
                st.success("Profil enregistré · Profile saved.")
            except ValueError as exc:
                st.error(str(exc))


def _posts(store, account, email) -> None:
    st.caption("Vos publications passées donnent votre style aux brouillons · Your past posts give drafts your voice.")
    with st.form("profile_posts_form", clear_on_submit=True):
        pasted = st.text_area("Collez une ou plusieurs publications (séparées par une ligne vide) · Paste one or more "
                              "posts (separated by a blank line)", key="profile_paste", height=150)
        upload = st.file_uploader("…ou importez un fichier .txt, .md ou .jsonl · …or upload a file",
                                  type=["txt", "md", "jsonl", "json"], key="profile_upload")
        if st.form_submit_button("Ajouter · Add"):
            texts = workspace.split_posts(pasted)
            if upload is not None:
                texts += workspace.split_posts(upload.getvalue().decode("utf-8", errors="replace"))
            added = workspace.add_posts(store, account, email, texts)
            st.success(f"{added} publication(s) ajoutée(s) · post(s) added.")
    for post in workspace.posts(store, account, email):
        with st.container(border=True):
            st.write(post["text"])
            st.caption(f"{post['language'].upper()} · {post['created_at']:%Y-%m-%d}")
            if st.button("Supprimer · Delete", key=f"profile_delete_{post['id']}"):
                workspace.remove_post(store, account, email, post["id"])
                st.rerun()


def _consent(store, account, person) -> None:
    st.caption("Tout est volontaire et modifiable à tout moment · Everything is voluntary and can change any time.")
    for flag, label in CONSENTS.items():
        value = st.toggle(label, value=bool(person[flag]), key=f"profile_{flag}")
        if value != bool(person[flag]):
            workspace.set_consent(store, account, account.email, **{flag: value})
            st.toast("Enregistré · Saved")


def _my_data(store, account, email) -> None:
    workspace.profile(store, account, email)  # ownership check before anything is exported
    st.download_button("⬇️ Télécharger mes données (JSON) · Download my data (JSON)",
                       data=lambda: privacy.export_json(store, email), file_name="porte-voix-my-data.json",
                       mime="application/json", key="profile_download")
    st.divider()
    st.subheader("Effacer mes données · Erase my data")
    st.caption("Supprime votre profil, vos publications, brouillons, partages, leurs statistiques et votre compte. "
               "Irréversible. · Deletes your profile, posts, drafts, shares, their statistics and your account. "
               "Cannot be undone.")
    confirm = st.text_input("Tapez votre e-mail pour confirmer · Type your email to confirm", key="profile_erase_confirm")
    if st.button("Effacer définitivement · Erase permanently", key="profile_erase", type="primary",
                 disabled=confirm.strip().lower() != email):
        workspace.profile(store, account, confirm)  # ownership check
        privacy.erase_person(store, email)
        auth.sign_out()
        st.rerun()


if __name__ == "__main__":
    page()
