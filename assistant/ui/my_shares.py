"""The employee's own shares and how they did (clicks, reactions, reach, points), with the field to paste
the address of the published post. A widget for "My feed" or "My profile": ``my_shares.panel(ctx, account)``.

Only the signed-in employee's shares are read (``share_metrics`` filtered on their email) and
``shares.set_post_url`` refuses a share that is not theirs.
"""

from __future__ import annotations

import streamlit as st

from assistant import metrics, points, shares
from assistant.context import Context

TEXT = {  # French · English, in one place for the message catalogue
    "title": "Mes partages · My shares",
    "none": "Vous n'avez encore rien partagé · You have not shared anything yet.",
    "unique": "Clics uniques · Unique clicks", "reactions": "Réactions · Reactions",
    "comments": "Commentaires · Comments", "reach": "Portée · Reach", "points": "Points",
    "estimated": "estimée · estimated", "reported": "déclarée · reported",
    "prepared": "préparé, pas encore publié · prepared, not posted yet",
    "post_url": "Adresse de votre publication (LinkedIn, X) · Address of your published post",
    "post_help": "Permet d'importer ses statistiques (impressions, réactions) · Lets its statistics be imported",
    "save": "Enregistrer · Save", "saved": "Enregistré · Saved",
}
SHOWN = 20


def panel(ctx: Context, account) -> None:
    st.subheader(TEXT["title"])
    rows = metrics.share_metrics(ctx.store, account.email)
    if not rows:
        st.caption(TEXT["none"])
        return
    for r in rows[:SHOWN]:
        with st.container(border=True):
            status = "" if r["status"] == "posted" else f" · _{TEXT['prepared']}_"
            st.markdown(f"**{r['title'] or r['content_id']}** · {r['network']} · {r['shared_at']:%Y-%m-%d}{status}")
            a, b, c, d, e = st.columns(5)
            a.metric(TEXT["unique"], r["unique_human_clicks"])
            b.metric(TEXT["reactions"], r["reactions"])
            c.metric(TEXT["comments"], r["comments"])
            d.metric(TEXT["reach"], r["reach"], help=TEXT["reported" if r["reach_reported"] else "estimated"])
            e.metric(TEXT["points"], points.share_points(r["score"], r) if r["status"] == "posted" else 0)
            with st.form(f"my_share_url_{r['id']}"):
                url = st.text_input(TEXT["post_url"], value=r["post_url"] or "", help=TEXT["post_help"],
                                    key=f"my_share_url_input_{r['id']}")
                if st.form_submit_button(TEXT["save"]):
                    try:
                        shares.set_post_url(ctx.store, account.email, r["id"], url)
                        st.success(TEXT["saved"])
                    except (ValueError, LookupError) as exc:
                        st.error(str(exc))
