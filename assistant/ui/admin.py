"""People, policy, accounts, goals and backup (admin): import/edit people, edit the policy YAML (validated
before saving), manage sign-in accounts and roles, set campaign goals, back the installation up.

Nothing destructive happens in one click: creating an account never replaces
one (changing a password or roles is its own form, on an account picked
explicitly, with a confirmation), deleting asks again in a dialog, no
account is pre-selected, and tables are read after the change they show.
An empty policy is refused (it would switch every rule off). Saving the policy and
making a backup are written to the audit log (by ``policy.save`` and ``backup.create``,
with the signed-in admin as actor). A backup goes to a new or empty folder outside
the data folder (``backup.create`` refuses one inside it), by default next to it:
``<home>-backups/<timestamp>``; what goes wrong is said in one sentence, the details
go to the server's log (``assistant.storage.faults``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st

from assistant.access import accounts
from assistant.imports import library
from assistant.reporting import metrics
from assistant.storage import backup, faults
from assistant.ui import auth, goals_panel, resources
from assistant.ui.i18n import error_text, labels, t
from assistant.ui.safe import md
from assistant.ui.widgets import import_form, save_edits
from assistant.writing import policy

PERSON_EDITABLE = ["name", "role", "team", "network_size"]


def page() -> None:
    account = auth.require("admin")
    st.title(t("admin.title"))
    tabs = st.tabs([t("admin.tab_people"), t("admin.tab_policy"), t("admin.tab_accounts"), t("admin.tab_goals"),
                    t("admin.tab_backup")], key="adm_tabs", on_change="rerun")
    ctx = resources.context()
    for tab, view in zip(tabs, (lambda: _people(ctx, account), lambda: _policy(ctx, account),
                                lambda: _accounts(ctx, account), lambda: _goals(ctx, account),
                                lambda: _backup(ctx, account))):
        if tab.open:  # only the open tab is computed
            with tab:
                view()
    flash = st.session_state.pop("adm_flash", None)
    if flash:
        st.toast(flash, icon="✅")


def _people(ctx, me) -> None:
    store = ctx.store
    import_form(ctx, "people", "adm")
    rows = library.people_table(store)
    if not rows:
        st.info(t("admin.nobody"))
        return
    st.caption(t("admin.people_note"))
    frame = pd.DataFrame(rows).set_index("email")
    config = {c: st.column_config.Column(t(f"col.{c}")) for c in frame.columns}
    edited = st.data_editor(frame, key="adm_people_editor", column_config=config, placeholder="",
                            disabled=[c for c in frame.columns if c not in PERSON_EDITABLE])
    if st.button(t("common.save"), key="adm_people_save", type="primary"):
        changed = save_edits(frame, edited, PERSON_EDITABLE,
                             lambda email, fields: library.update_person(store, email, **fields))
        st.session_state["adm_flash"] = t("admin.people_changed", n=changed)
        st.rerun()


def _policy(ctx, me) -> None:
    path = ctx.settings.policy_path
    if not ctx.policy.configured:
        st.warning(t("admin.no_policy"))
    st.caption(t("admin.policy_help"))
    text = st.text_area("policy.yaml", policy.policy_text(path, ctx.store), height=420, key="adm_policy_text")
    check, save = st.columns(2)
    if check.button(t("admin.validate"), key="adm_policy_check"):
        if not text.strip():
            st.error(t("admin.policy_empty"))
        else:
            try:
                parsed = policy.parse(text)
                st.success(t("admin.policy_valid", n=len(parsed.prohibited_terms)))
            except policy.PolicyError as exc:
                st.error(t("admin.policy_invalid", reason=error_text(exc)))
    if save.button(t("common.save"), key="adm_policy_save", type="primary"):
        try:
            policy.save(text, path, store=ctx.store, actor=me.username)  # audited by the policy module
            st.success(t("admin.policy_saved"))
        except policy.PolicyError as exc:
            st.error(t("admin.policy_not_saved", reason=error_text(exc)))


def _goals(ctx, me) -> None:
    """Campaign goals: progress (with a remove button each) and the new-goal form, on any campaign of the
    library or with shares."""
    st.caption(t("admin.goals_help"))
    goals_panel.progress(ctx, me)
    campaigns = sorted({r["campaign"] for r in library.campaigns(ctx.store)}
                       | set(metrics.filter_options(ctx.store)["campaign"]))
    goals_panel.admin_forms(ctx, me, campaigns)


def default_backup_dir(home: Path, now: dt.datetime) -> Path:
    """Next to the data folder, never inside it (a backup of a folder cannot live in it).

    >>> default_backup_dir(Path("/srv/porte-voix"), dt.datetime(2030, 6, 3, 9, 15, 2))
    PosixPath('/srv/porte-voix-backups/2030-06-03_091502')
    """
    return home.parent / f"{home.name}-backups" / now.strftime("%Y-%m-%d_%H%M%S")


def _backup(ctx, me) -> None:
    home = ctx.settings.home
    st.caption(t("admin.backup_help"))
    if st.session_state.pop("adm_backup_reset", False) or "adm_backup_dir" not in st.session_state:
        st.session_state["adm_backup_dir"] = str(default_backup_dir(home, ctx.now()))  # before the widget exists
    typed = st.text_input(t("admin.backup_dir"), key="adm_backup_dir")
    done = st.session_state.pop("adm_backup_done", None)
    if done:
        st.success(done)
    if not st.button(t("admin.backup_run"), key="adm_backup_run", type="primary"):
        return
    if not typed.strip():
        st.error(t("admin.backup_no_path"))
        return
    dest = Path(typed.strip()).expanduser().resolve()
    if dest == home or home in dest.parents:
        st.error(t("admin.backup_inside_home", path=md(str(dest)), home=md(str(home))))
        return
    try:
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            st.error(t("admin.backup_not_empty", path=md(str(dest))))
            return
        with st.spinner(t("admin.backup_running")):
            report = backup.create(ctx.settings, dest, store=ctx.store, actor=me.username)
    except backup.BackupError as exc:  # what the checks above did not foresee (a race): said as it is
        st.error(t("admin.backup_failed", reason=error_text(exc)))
    except Exception as exc:  # a fault of the disk or the data: one sentence here, the details in the log
        fault = faults.log_fault(exc, "admin backup")
        st.error(t("admin.backup_failed", reason=t(f"admin.backup_fault.{fault.kind}")))
    else:
        st.session_state["adm_backup_done"] = t(
            "admin.backup_done", path=md(str(dest)), files=len(report["files"]), rows=sum(report["tables"].values()),
            megabytes=round(sum(f["bytes"] for f in report["files"].values()) / 1e6, 1), seconds=report["seconds"])
        st.session_state["adm_backup_reset"] = True  # the next backup is offered a new folder
        st.rerun()


def _accounts(ctx, me) -> None:
    store, rounds = ctx.store, ctx.settings.bcrypt_rounds
    roles = labels("roles")
    _accounts_table(store)
    create, change, remove = st.tabs([t("admin.create_title"), t("admin.change_title"), t("admin.delete_title")])
    with create, st.form("adm_account_form", clear_on_submit=True):
        st.caption(t("admin.create_help"))
        username = st.text_input(t("signin.email"), key="adm_account_user")
        password = st.text_input(t("admin.password", n=accounts.MIN_PASSWORD), type="password",
                                 key="adm_account_password")
        picked = st.multiselect(t("admin.roles"), list(accounts.ROLES), default=["employee"],
                                key="adm_account_roles", format_func=roles.get, select_all=False)
        if st.form_submit_button(t("admin.create"), type="primary"):
            try:
                accounts.create_account(store, username, password, picked, rounds=rounds, **_actor(me))
            except accounts.AccountError as exc:
                st.error(error_text(exc))
            else:
                st.session_state["adm_flash"] = t("admin.created", username=md(username.strip().lower()))
                st.rerun()
    names = [r["username"] for r in accounts.list_accounts(store)]
    with change:
        target = st.selectbox(t("admin.pick_account"), names, index=None, key="adm_change_pick",
                              placeholder=t("admin.pick_placeholder"))
        if target:
            _change_form(store, me, target, rounds)
    with remove:
        others = [n for n in names if n != me.username]
        victim = st.selectbox(t("admin.pick_account"), others, index=None, key="adm_account_delete_pick",
                              placeholder=t("admin.pick_placeholder"))
        if st.button(t("admin.delete"), key="adm_account_delete", disabled=victim is None, icon="🗑️"):
            st.session_state["adm_pending_delete"] = victim
        pending = st.session_state.get("adm_pending_delete")
        if pending:
            _confirm_delete(store, me, pending)


def _accounts_table(store) -> None:
    rows = accounts.list_accounts(store)
    roles = labels("roles")
    frame = pd.DataFrame([{"username": r["username"], "email": r["email"],
                           "roles": ", ".join(roles.get(x, x) for x in r["roles"] or []),
                           "created_at": r["created_at"]} for r in rows])
    st.dataframe(frame, hide_index=True, key="adm_accounts_table", placeholder="", column_config={
        "username": st.column_config.TextColumn(t("col.username")), "email": st.column_config.TextColumn(t("col.email")),
        "roles": st.column_config.TextColumn(t("col.roles")),
        "created_at": st.column_config.DatetimeColumn(t("col.created_at"), format="YYYY-MM-DD HH:mm")})


def _change_form(store, me, target: str, rounds: int) -> None:
    account = accounts.get_account(store, target)
    if account is None:
        return
    with st.form(f"adm_change_form_{target}", clear_on_submit=True):
        picked = st.multiselect(t("admin.roles"), list(accounts.ROLES), default=list(account.roles),
                                key=f"adm_change_roles_{target}", format_func=labels("roles").get, select_all=False)
        password = st.text_input(t("admin.new_password", n=accounts.MIN_PASSWORD), type="password",
                                 key=f"adm_change_password_{target}", help=t("admin.new_password_help"))
        sure = st.checkbox(t("admin.confirm_change", username=md(target)), key=f"adm_change_sure_{target}")
        if st.form_submit_button(t("admin.apply"), type="primary"):
            if not sure:
                st.error(t("admin.confirm_needed"))
                return
            try:
                if password:
                    accounts.change_password(store, target, password, rounds=rounds, **_actor(me))
                if set(picked) != set(account.roles):
                    accounts.set_roles(store, target, picked, **_actor(me))
            except accounts.AccountError as exc:
                st.error(error_text(exc))
                return
            st.session_state["adm_flash"] = t("admin.changed", username=md(target))
            st.rerun()


def _cancel_delete() -> None:
    st.session_state.pop("adm_pending_delete", None)


@st.dialog("🗑️", on_dismiss=_cancel_delete)
def _confirm_delete(store, me, victim: str) -> None:
    """Deleting asks again, in a dialog, with the username typed (closing the dialog cancels)."""
    st.markdown(f"### {t('admin.delete_confirm_title')}")
    st.text(victim)
    st.warning(t("admin.delete_warning"))
    typed = st.text_input(t("admin.delete_type"), key="adm_delete_typed")
    a, b = st.columns(2)
    if a.button(t("admin.delete"), key="adm_delete_yes", type="primary", disabled=typed.strip().lower() != victim):
        accounts.delete_account(store, victim, **_actor(me))
        _cancel_delete()
        st.session_state.pop("adm_account_delete_pick", None)
        st.session_state["adm_flash"] = t("admin.deleted", username=md(victim))
        st.rerun()
    if b.button(t("common.cancel"), key="adm_delete_no"):
        _cancel_delete()
        st.rerun()


def _actor(me) -> dict:
    """Who acts, for the audit log (when the accounts module records one)."""
    return {"actor": me.username}


if __name__ == "__main__":
    page()
