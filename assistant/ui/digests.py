"""Digests (admin): when they went out, to how many, what failed and why; a test digest to oneself; send now."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant import digest_log, digest_prefs, digest_run, digests
from assistant.ui import auth, i18n, resources

TEXT = {
    "fr": {"title": "Résumés hebdomadaires", "channels": "Canaux configurés", "none": "aucun",
           "schedule": "Envoi automatique : chaque {day} à partir de {hour} h (semaine {period}), jamais deux fois la même semaine.",
           "due": "À envoyer cette semaine", "runs": "Envois", "no_runs": "Aucun résumé envoyé pour l'instant.",
           "failures": "Échecs (avec la raison)", "no_failures": "Aucun échec.",
           "test": "M'envoyer un résumé de test", "test_sent": "Résumé de test envoyé à {email} ({channel}).",
           "test_failed": "Échec de l'envoi à {email} : {error}", "preview": "Aperçu",
           "send_now": "Envoyer maintenant les résumés dus", "sent": "{sent} envoyé(s), {failed} échec(s), {skipped} déjà pris.",
           "nothing_due": "Personne n'attend de résumé cette semaine.", "no_profile": "Votre compte n'a pas de profil d'employé·e : {error}",
           "smtp_missing": "Aucun serveur SMTP configuré (PORTE_VOIX_SMTP_HOST) : les résumés par e-mail échoueront."},
    "en": {"title": "Weekly digests", "channels": "Configured channels", "none": "none",
           "schedule": "Automatic sending: every {day} from {hour}:00 (week {period}), never twice in one week.",
           "due": "Due this week", "runs": "Runs", "no_runs": "No digest sent yet.",
           "failures": "Failures (with the reason)", "no_failures": "No failure.",
           "test": "Send me a test digest", "test_sent": "Test digest sent to {email} ({channel}).",
           "test_failed": "Sending to {email} failed: {error}", "preview": "Preview",
           "send_now": "Send the due digests now", "sent": "{sent} sent, {failed} failed, {skipped} already taken.",
           "nothing_due": "Nobody is due a digest this week.", "no_profile": "Your account has no employee profile: {error}",
           "smtp_missing": "No SMTP server configured (PORTE_VOIX_SMTP_HOST): e-mail digests will fail."},
}
DAYS = {"fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
        "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]}


def page() -> None:
    account = auth.require("admin")
    lang = i18n.current()
    words = TEXT[lang]
    ctx = resources.context()
    settings, store = ctx.settings, ctx.store
    period = digests.period_of(ctx.today())
    st.title(words["title"])
    st.caption(words["schedule"].format(day=DAYS[lang][settings.digest_weekday - 1], hour=settings.digest_hour,
                                        period=period))
    channels = [c for c in digest_prefs.channels(settings) if c != "email" or settings.smtp_host]
    left, right = st.columns(2)
    left.metric(words["channels"], ", ".join(channels) or words["none"])
    right.metric(words["due"], len(digests.due(ctx, period)))
    if not settings.smtp_host:
        st.warning(words["smtp_missing"])

    test, now = st.columns(2)
    if test.button(words["test"], key="dig_test", type="primary"):
        try:
            report = digest_run.send_test(ctx, account.email or account.username)
        except LookupError as exc:
            st.error(words["no_profile"].format(error=exc))
        else:
            message = report.messages()[0]
            if message["status"] == "sent":
                st.success(words["test_sent"].format(email=message["email"], channel=message["channel"]))
            else:
                st.error(words["test_failed"].format(email=message["email"], error=message["error"]))
            st.session_state["dig_preview"] = message
    if now.button(words["send_now"], key="dig_send_now"):
        report = digest_run.send(ctx, trigger="admin")
        st.info(words["sent"].format(sent=report.sent, failed=report.failed, skipped=report.skipped)
                if report.due else words["nothing_due"])
    preview = st.session_state.get("dig_preview")
    if preview:
        with st.expander(f"{words['preview']} · {preview['subject']}"):
            for n, item in enumerate(preview["items"], 1):
                st.markdown(f"{n}. [{item['title']}]({item['link']})  \n{item['reason']}")

    st.subheader(words["runs"])
    runs = digest_log.runs(store, 20)
    if runs:
        st.dataframe(pd.DataFrame(runs)[["started_at", "period", "trigger", "due", "sent", "failed", "skipped",
                                         "build_seconds", "finished_at", "error"]], hide_index=True, key="dig_runs")
    else:
        st.info(words["no_runs"])
    st.subheader(words["failures"])
    failed = digest_log.deliveries(store, status="failed", limit=200)
    if failed:
        st.dataframe(pd.DataFrame(failed)[["created_at", "period", "email", "channel", "attempts", "error"]],
                     hide_index=True, key="dig_failures")
    else:
        st.caption(words["no_failures"])


if __name__ == "__main__":
    page()
