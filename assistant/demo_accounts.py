"""Demo sign-in accounts, one per role, and a few weeks of engagement for the dashboards.

``porte-voix demo`` calls :func:`load_demo` after importing the demo content
and people. Both steps are idempotent (fixed usernames, share ids, click ids
and conversion ids).

| username (= email) | roles | password |
|---|---|---|
| camille.durand@nordlys-energie.example | employee | ``porte-voix-demo`` |
| lea.fontaine@nordlys-energie.example | marketing, employee | ``porte-voix-demo`` |
| thomas.girard@nordlys-energie.example | content, employee | ``porte-voix-demo`` |
| nadia.benali@nordlys-energie.example | admin, employee | ``porte-voix-demo`` |

The demo password is public: never load the demo into a real deployment.

The seeded activity goes through the real pipeline, so every number on the
dashboards comes from the same code as in production: shares by other demo
employees (a few pasting the brand's text word for word) with their short
links in the click log; hits on those links from varied visitors, link
previews and crawlers included (flagged by the same rules as the click
service); conversions, job applications among them; per-post statistics as a
LinkedIn export would report them for some posts (the others keep an
estimated reach); everything folded into DuckDB by ``sync``; and one campaign
goal. Camille has none, so her feed starts fresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from .access.accounts import ensure_account
from .context import Context
from .imports import catalog, people
from .links import visitors
from .links.clicklog import open_log
from .links.tracked import ALWAYS_ON, final_text, short_url, tracked_url
from .reporting import analytics_import, goals, sync
from .sharing.posting import POSTED_STATUS
from .sharing.shares import link_share, record_share
from .storage import erased, keys
from .storage.store import Store
from .writing.authenticity import score_post

DEMO_PASSWORD = "porte-voix-demo"
DOMAIN = "nordlys-energie.example"
DEMO_ACCOUNTS = (
    (f"camille.durand@{DOMAIN}", ("employee",)),
    (f"lea.fontaine@{DOMAIN}", ("employee", "marketing")),
    (f"thomas.girard@{DOMAIN}", ("employee", "content")),
    (f"nadia.benali@{DOMAIN}", ("employee", "admin")),
)

# (person, content item, days ago, personal?) — "copy" rows paste the item's first sentences.
_ACTIVITY = (
    ("julien.moreau", "art-greenweek-repair-en", 3, False),
    ("sarah.okafor", "art-greenweek-repair-en", 3, False),
    ("olivia.grant", "art-greenweek-repair-en", 2, False),
    ("ben.whitaker", "art-greenweek-repair-en", 2, True),
    ("sophie.laurent", "art-onboarding-en", 9, False),
    ("mei.chen", "art-onboarding-en", 8, True),
    ("karim.haddad", "art-onboarding-en", 16, True),
    ("lars.eriksen", "art-greenweek-repair-en", 1, True),
    ("ines.carvalho", "art-onboarding-en", 23, False),
    ("elodie.marchand", "art-greenweek-repair-en", 4, True),
    ("julien.moreau", "job-data-eng-fr", 12, True),
    ("mei.chen", "job-data-eng-en", 6, True),
)
_PERSONAL = ("I work at Nordlys and this one matters to me. {opinion} What would you add? ",
             "{opinion} I work at Nordlys, and I have seen this from the inside. ")
_AGENTS = (  # what clicks a post gets: mostly people, plus previews and crawlers (flagged, not blocked)
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Twitterbot/1.0",
)
_REFERRERS = ("https://www.linkedin.com/", "https://lnkd.in/", "https://t.co/", None)


def create_demo_accounts(store: Store, rounds: int | None = None) -> int:
    """Create the four demo accounts unless they exist (or their person asked to be erased); returns how many
    were created now."""
    return sum(ensure_account(store, user, DEMO_PASSWORD, roles, email=user, rounds=rounds, actor="demo")
               for user, roles in DEMO_ACCOUNTS if not erased.is_erased(store, user))


def _first_sentences(text: str, n: int = 2) -> str:
    parts = [p.strip() for p in text.replace("\n", " ").split(". ") if p.strip()]
    return ". ".join(parts[:n]).rstrip(".") + "."


def _share_text(person: dict, item: dict, personal: bool) -> str:
    brand = f"{item['title']}. {_first_sentences(item['text'])}"
    if not personal:
        return f"{brand} #NordlysEmployee"
    opinion = (person.get("expertise") or item["title"]).split(".")[0]
    return _PERSONAL[len(person["email"]) % 2].format(opinion=opinion) + item["title"] + "."


def _hits(share_id: str, code: str, n: int, personal: bool, when: dt.datetime) -> list[tuple]:
    """Deterministic click-log rows for one demo share: humans (some coming back), previews, crawlers."""
    rows = []
    for k in range(4 + 6 * personal + n % 5):
        visitor = k // 2 if k % 4 < 2 else k  # every other pair of hits is one visitor coming back
        agent = _AGENTS[4 + k % 2] if k % 7 == 3 else _AGENTS[visitor % 4]
        at = when + dt.timedelta(hours=1 + k // 3 + n % 4, minutes=k * 7)
        ip = f"2001:db8:{n:x}:{visitor:x}::1"  # documentation range; one network each (visitors.PER_NETWORK_DAILY)
        ua_class, is_bot, reason = visitors.classify(agent)
        rows.append((f"demo-{share_id}-{k}", code, share_id, at.timestamp(), at.date().isoformat(), "GET",
                     visitors.referrer_host(_REFERRERS[k % len(_REFERRERS)]),
                     visitors.visitor_hash(b"demo", ip, agent), ua_class, int(is_bot), reason))
    return rows


def seed_demo_activity(ctx: Context, today: dt.date | None = None) -> int:
    """Record the demo shares, their hits, conversions and reported statistics (skipping missing people
    or items), fold them into DuckDB; returns shares added."""
    store, log = ctx.store, open_log(ctx.settings.clicklog_path)
    today = today or ctx.today()
    key = keys.key(ctx.settings, "links")
    added, reported = 0, {}
    for n, (user, item_id, days_ago, personal) in enumerate(_ACTIVITY):
        email = f"{user}@{DOMAIN}"
        person, item = people.get_person(store, email), catalog.get_item(store, item_id)
        if person is None or item is None:
            continue
        share_id = "demo-" + hashlib.sha256(f"{email}/{item_id}".encode()).hexdigest()[:10]
        if store.value("SELECT 1 FROM shares WHERE id = ?", [share_id]):
            continue
        network = "linkedin" if n % 3 else "x"
        campaign = item["campaign"] or ALWAYS_ON
        target = tracked_url(item["url"], network, campaign, share_id)
        code = link_share(log, key, share_id, target) if target else None
        text = _share_text(person, item, personal)
        scored = score_post(ctx, email, item_id, text)
        when = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(9 + n % 8, 15))
        full = final_text(text, short_url(ctx.settings.links_base_url, code) if code else None, item["url"])
        record_share(store, share_id, email, item_id, full, network, campaign, target, scored["score"],
                     scored["components"], [], shared_at=when, short_code=code)
        post = (f"https://www.linkedin.com/feed/update/urn:li:activity:72{int(share_id[5:], 16) % 10**17:017d}/"
                if network == "linkedin" else f"https://x.com/{user.replace('.', '')}/status/18{n:017d}")
        store.execute("UPDATE shares SET status = ?, posted_at = ?, post_url = ? WHERE id = ?",
                      [POSTED_STATUS, when, post, share_id])
        if code:
            log.append_hits(_hits(share_id, code, n, personal, when))
        if personal and n % 2 == 0:
            event = "application" if item["kind"] == "job_offer" else "lead"
            log.add_conversion({"external_id": f"demo-crm-{share_id}", "share_id": share_id, "click_id": None,
                                "event": event, "value": None if event == "application" else 1500.0,
                                "currency": None if event == "application" else "EUR",
                                "occurred_at": (when + dt.timedelta(days=1)).timestamp(),
                                "received_at": (when + dt.timedelta(days=1)).timestamp(), "source": "demo"})
        if network == "linkedin" and n % 2:  # these posts' authors imported their LinkedIn statistics
            size = person.get("network_size") or 300
            for metric, value in (("impression", size // (5 - 3 * personal) + 40 * n), ("reaction", 4 + 8 * personal + n % 3),
                                  ("comment", 2 * personal), ("reshare", int(personal)), ("network_click", 3 + n)):
                reported[(share_id, metric)] = value
        added += 1
    analytics_import.record_reported(store, reported, origin="demo")
    sync.sync(store, log)
    if added and not store.value("SELECT count(*) FROM campaign_goals"):
        friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)
        goals.add_goal(store, "green-week", "personal_shares", 10, due=friday, by="demo")
    return added


def load_demo(ctx: Context) -> dict[str, int]:
    """Demo accounts and activity: ``{"accounts": created, "shares": added}``."""
    return {"accounts": create_demo_accounts(ctx.store, rounds=ctx.settings.bcrypt_rounds),
            "shares": seed_demo_activity(ctx)}
