"""My feed: recommended items with their reasons; draft, edit with a live authenticity meter, share.

Only the signed-in employee's own data is read (``workspace`` checks it). The
editor, its score and the share button live in one ``st.fragment`` so typing
reruns only that part of the page.
"""

from __future__ import annotations

import streamlit as st

from assistant import catalog, engagement, people, workspace
from assistant.drafting import stream_variants
from assistant.policy import blocking
from assistant.prompting import angle_label
from assistant.matching import recommend
from assistant.ui import auth, editor, resources

KIND_LABELS = {"article": "Article", "job_offer": "Offre d'emploi / Job", "news": "Actualité / News",
               "event": "Événement / Event"}
NETWORK_LABELS = {"linkedin": "LinkedIn", "x": "X"}


def page() -> None:
    account = auth.require("employee")
    store = resources.store()
    st.title("Mon fil · My feed")
    person = people.get_person(store, account.email or "")
    if person is None:
        st.info("Aucun profil d'employé·e n'est lié à ce compte · No employee profile is linked to this account.")
        return
    if not person["consent_program"]:
        st.info("Vous n'avez pas rejoint le programme d'ambassadeurs · You have not joined the ambassador program.")
        if st.button("Rejoindre le programme · Join the program", key="feed_join", type="primary"):
            workspace.set_consent(store, account, account.email, consent_program=True)
            st.rerun()
        return
    _points_strip(store, account)
    selected = st.session_state.get("feed_item")
    if selected:
        _workbench(store, account, selected)
    else:
        _recommendations(store, account, person)


def _points_strip(store, account) -> None:
    mine = engagement.points(store).get(account.email, 0)
    month = engagement.ambassador_of_the_month(store)
    a, b, c = st.columns(3)
    a.metric("Mes points · My points", mine)
    b.metric("Mes partages · My shares", len(workspace.shares(store, account, account.email)))
    c.metric("Ambassadeur·rice du mois · Ambassador of the month", month["name"] if month else "—")


def _open(item_id: str) -> None:
    st.session_state["feed_item"] = item_id


def _recommendations(store, account, person) -> None:
    limit = st.slider("Nombre d'idées · Items", 3, 20, 8, key="feed_limit")
    with st.spinner("Recherche de contenus pour vous… · Finding content for you…"):
        items = recommend(resources.context(), account.email, limit=limit)
    if not items:
        st.info("Rien de nouveau à partager · Nothing new to share right now.")
    for item in items:
        with st.container(border=True):
            st.markdown(f"**{item['title']}**")
            meta = [KIND_LABELS.get(item["kind"], item["kind"]), item["language"].upper()]
            if item["campaign"]:
                meta.append(f"#{item['campaign']}")
            st.caption(" · ".join(meta) + f" · score {item['score']:.2f}")
            st.write(item["reason"])
            left, right = st.columns([1, 3])
            left.button("✍️ Rédiger pour moi · Draft for me", key=f"feed_draft_{item['id']}", on_click=_open,
                        args=(item["id"],))
            if item["url"]:
                right.markdown(f"[Lire · Read]({item['url']})")


def _back() -> None:
    for key in [k for k in st.session_state.keys() if str(k).startswith("feed_") and k != "feed_limit"]:
        del st.session_state[key]


def _workbench(store, account, item_id: str) -> None:
    item = catalog.get_item(store, item_id)
    st.button("← Retour au fil · Back to the feed", key="feed_back", on_click=_back)
    if item is None:
        st.error("Ce contenu n'existe plus · This item no longer exists.")
        return
    st.subheader(item["title"])
    if item["url"]:
        st.caption(item["url"])
    with st.expander("Texte source · Source text"):
        st.write(item["text"])
    drafts = st.session_state.get(f"feed_drafts_{item_id}")
    if drafts is None:
        drafts = [dict(d, angle_label=angle_label(d["angle"], d["language"]))
                  for d in workspace.latest_drafts(store, account, account.email, item_id)]
        if not drafts:
            drafts = _stream_drafts(store, account, item_id)
        st.session_state[f"feed_drafts_{item_id}"] = drafts
    if not drafts:
        st.warning("Aucun brouillon · No draft could be made.")
        return
    if st.button("🔄 Nouveaux brouillons · New drafts", key=f"feed_redraft_{item_id}"):
        st.session_state[f"feed_drafts_{item_id}"] = _stream_drafts(store, account, item_id)
        st.rerun()
    by_id = {d["id"]: d for d in drafts}
    cols = st.columns(len(drafts))
    for col, d in zip(cols, drafts):
        with col.container(border=True):
            st.markdown(f"**{d.get('angle_label') or d['angle']}**" + (" · _repli · fallback_" if d.get("fallback") else ""))
            st.write(d["text"])
    pick = st.radio("Choisissez votre point de départ · Pick your starting point", list(by_id),
                    format_func=lambda i: by_id[i].get("angle_label") or by_id[i]["angle"], horizontal=True,
                    key=f"feed_pick_{item_id}")
    _edit_and_share(account, item_id, by_id[pick])


def _stream_drafts(store, account, item_id: str) -> list[dict]:
    """Stream 2–3 variants into three columns while they are written (together: their tokens interleave)."""
    drafts, texts, slots = [], {}, {}
    with st.status("Rédaction de vos brouillons… · Writing your drafts…", expanded=True) as status:
        columns = st.columns(3)
        for kind, payload in stream_variants(resources.context(), account.email, item_id, n=3):
            v = payload["variant"]
            if v not in slots:
                slots[v] = columns[len(slots) % 3].empty()
            if kind == "token":
                texts[v] = texts.get(v, "") + payload["text"]
                slots[v].markdown(texts[v] + " ▌")
            elif kind == "retry":  # the guardrails refused this attempt; it is written again
                texts[v] = ""
                slots[v].caption(f"Nouvel essai · Retrying ({payload.get('reason') or '…'})")
            elif kind == "variant":
                drafts.append(payload)
                slots[v].markdown(f"**{payload.get('angle_label') or payload['angle']}**\n\n{payload['text']}")
                status.update(label=f"Brouillons · Drafts {len(drafts)}/3…")
        status.update(label="Brouillons prêts · Drafts ready", state="complete", expanded=False)
    return sorted(drafts, key=lambda d: d["variant"])


@st.fragment
def _edit_and_share(account, item_id: str, draft: dict) -> None:
    ctx = resources.context()
    done = st.session_state.get(f"feed_shared_{item_id}")
    if done:
        _shared(done)
        return
    text = editor.live_text_area("Votre texte · Your text (modifiez-le · make it yours)", draft["text"],
                                 key=f"feed_text_{item_id}_{draft['id']}", version=draft["id"])
    network = st.radio("Réseau · Network", list(NETWORK_LABELS), format_func=NETWORK_LABELS.get, horizontal=True,
                       key=f"feed_network_{item_id}")
    share_id = st.session_state.setdefault(f"feed_share_id_{item_id}", engagement.new_share_id())
    prepared = engagement.prepare_share(ctx, account.email, item_id, text, network, share_id, draft_text=draft["text"])
    editor.score_panel(prepared)
    blocked = [v["message"] for v in blocking(prepared["violations"])]
    if st.button("📣 Partager · Share", key=f"feed_share_{item_id}", type="primary", disabled=bool(blocked),
                 help=("; ".join(blocked) if blocked else None)):
        try:
            result = engagement.share(ctx, account.email, item_id, text, network, share_id=share_id,
                                      draft_id=draft["id"], draft_text=draft["text"])
        except engagement.ShareBlocked as exc:
            st.error(f"Partage impossible · Cannot share: {exc}")
            return
        st.session_state[f"feed_shared_{item_id}"] = result
        st.rerun()


def _shared(result: dict) -> None:
    st.success(f"Partagé ! · Shared! Authenticité · Authenticity {result['score']:.0f}/100 · "
               f"+{engagement.share_points(result['score'], {})} points")
    st.caption("Votre texte final (bouton copier en haut à droite) · Your final text (copy button at the top right):")
    st.code(result["text"], language=None, wrap_lines=True)
    editor.copy_to_clipboard(result["text"], key=f"feed_copy_{result['share_id']}")
    if result["tracked_url"]:
        st.caption(f"Lien suivi · Tracked link: {result['tracked_url']}")
    left, right = st.columns(2)
    if "linkedin" in result["links"]:
        left.link_button("Publier sur LinkedIn · Post on LinkedIn", result["links"]["linkedin"], icon="🔗")
    right.link_button("Publier sur X · Post on X", result["links"]["x"], icon="🐦")


if __name__ == "__main__":
    page()
