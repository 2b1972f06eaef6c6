"""My profile: expertise, skills, languages, past posts, French grammatical gender, consent, my data.

Recommendations are matched on the expertise statement (it counts as two
posts), the skills and the past posts; the page says so, and warns when the
expertise is empty, since the feed then falls back on company priorities.
"""

from __future__ import annotations

import streamlit as st

from assistant.app import privacy, workspace
from assistant.ui import auth, digest_preferences, resources
from assistant.ui.i18n import error_text, labels, t

GENDERS = (None, "f", "m")
CONSENTS = ("consent_program", "consent_leaderboard", "consent_interviews")


def page() -> None:
    account = auth.require("employee")
    store = resources.store()
    email = account.email or ""
    st.title(t("profile.title"))
    person = workspace.profile(store, account, email)
    if person is None:
        st.info(t("feed.no_profile"))
        return
    st.text(" · ".join(x for x in (person["name"], person["role"], person["team"], email) if x))
    about, posts, consent, data = st.tabs([t("profile.tab_profile"), t("profile.tab_posts"), t("profile.tab_consent"),
                                           t("profile.tab_data")])
    with about:
        _about(store, account, person)
    with posts:
        _posts(store, account, email)
    with consent:
        _consent(store, account, person)
    with data:
        _my_data(store, account, email)


def _about(store, account, person) -> None:
    if not (person["expertise"] or "").strip():
        st.warning(t("profile.expertise_empty"), icon="🧭")
    st.caption(t("profile.how_used"))
    with st.form("profile_form"):
        expertise = st.text_area(t("profile.expertise"), person["expertise"] or "", key="profile_expertise", height=120,
                                 placeholder=t("profile.expertise_placeholder"))
        skills = st.text_input(t("profile.skills"), ", ".join(person["skills"] or []), key="profile_skills")
        languages = st.multiselect(t("profile.languages"), ["fr", "en"],
                                   default=[x for x in person["languages"] if x in ("fr", "en")],
                                   format_func=labels("languages").get, key="profile_languages", select_all=False)
        gender = st.selectbox(t("profile.gender"), GENDERS,
                              index=GENDERS.index(person["gender_fr"]) if person["gender_fr"] in GENDERS else 0,
                              format_func=lambda g: t(f"profile.gender_{g or 'none'}"), key="profile_gender")
        network = st.number_input(t("profile.network_size"), min_value=0, value=int(person["network_size"] or 0),
                                  step=50, key="profile_network")
        if st.form_submit_button(t("common.save"), type="primary"):
            try:
                workspace.update_profile(store, account, account.email, expertise=expertise,
                                         skills=skills.split(","), languages=languages, gender_fr=gender,
                                         network_size=int(network))
            except ValueError as exc:
                st.error(error_text(exc))
                return
            if not expertise.strip():
                st.warning(t("profile.saved_without_expertise"), icon="🧭")
            else:
                st.success(t("profile.saved"))


def _posts(store, account, email) -> None:
    st.caption(t("profile.posts_help"))
    with st.form("profile_posts_form", clear_on_submit=True):
        pasted = st.text_area(t("profile.paste"), key="profile_paste", height=150)
        upload = st.file_uploader(t("profile.upload"), type=["txt", "md", "jsonl", "json"], key="profile_upload")
        st.caption(t("upload.limit", mb=int(resources.context().settings.max_file_mb)))
        if st.form_submit_button(t("profile.add"), icon="➕"):
            texts = workspace.split_posts(pasted)
            if upload is not None:
                texts += workspace.split_posts(upload.getvalue().decode("utf-8", errors="replace"))
            added = workspace.add_posts(store, account, email, texts)
            st.success(t("profile.posts_added", n=added))
    for post in workspace.posts(store, account, email):
        with st.container(border=True):
            st.text(post["text"])
            st.caption(f"{labels('languages').get(post['language'], post['language'])} · {post['created_at']:%Y-%m-%d}")
            if st.button(t("common.delete"), key=f"profile_delete_{post['id']}"):
                workspace.remove_post(store, account, email, post["id"])
                st.rerun()


def _consent(store, account, person) -> None:
    st.caption(t("profile.consent_help"))
    for flag in CONSENTS:
        value = st.toggle(t(f"profile.{flag}"), value=bool(person[flag]), key=f"profile_{flag}")
        if value != bool(person[flag]):
            workspace.set_consent(store, account, account.email, **{flag: value})
            st.toast(t("profile.saved_short"))
    st.divider()
    digest_preferences.preferences_section(resources.context(), account.email, enrolled=bool(person["consent_program"]))


def _my_data(store, account, email) -> None:
    workspace.profile(store, account, email)  # ownership check before anything is exported
    settings = resources.context().settings
    st.download_button(t("profile.download"), data=lambda: privacy.export_json(store, email, settings),
                       file_name="porte-voix-my-data.json", mime="application/json", key="profile_download",
                       icon="⬇️")
    st.divider()
    st.subheader(t("profile.erase_title"))
    st.caption(t("profile.erase_help"))
    confirm = st.text_input(t("profile.erase_confirm"), key="profile_erase_confirm")
    if st.button(t("profile.erase"), key="profile_erase", type="primary",
                 disabled=confirm.strip().lower() != email):
        workspace.profile(store, account, confirm)  # ownership check
        privacy.erase_person(resources.context(), email, actor=account.username)  # physical: the file is rewritten
        auth.sign_out()
        st.rerun()


if __name__ == "__main__":
    page()
