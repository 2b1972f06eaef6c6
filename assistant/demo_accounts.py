"""Demo sign-in accounts, one per role, and a little past activity for the dashboards.

``porte-voix demo`` calls :func:`load_demo` after importing the demo content
and people. Both steps are idempotent (fixed usernames and share ids).

| username (= email) | roles | password |
|---|---|---|
| camille.durand@nordlys-energie.example | employee | ``porte-voix-demo`` |
| lea.fontaine@nordlys-energie.example | marketing, employee | ``porte-voix-demo`` |
| thomas.girard@nordlys-energie.example | content, employee | ``porte-voix-demo`` |
| nadia.benali@nordlys-energie.example | admin, employee | ``porte-voix-demo`` |

The demo password is public: never load the demo into a real deployment.

The seeded activity (shares by other demo employees, a few of them pasting
the brand's text word for word, plus clicks and reactions) exists so the
Authenticity page has something to show; Camille has none, so her feed
starts fresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from .accounts import ensure_account
from .engagement import ALWAYS_ON, record_event, record_share, tracked_url
from .store import Store

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
)
_PERSONAL = ("I work at Nordlys and this one matters to me. {opinion} What would you add? ",
             "{opinion} I work at Nordlys, and I have seen this from the inside. ")


def create_demo_accounts(store: Store) -> int:
    """Create the four demo accounts unless they exist; returns how many were created now."""
    return sum(ensure_account(store, user, DEMO_PASSWORD, roles, email=user) for user, roles in DEMO_ACCOUNTS)


def _first_sentences(text: str, n: int = 2) -> str:
    parts = [p.strip() for p in text.replace("\n", " ").split(". ") if p.strip()]
    return ". ".join(parts[:n]).rstrip(".") + "."


def _share_text(person: dict, item: dict, personal: bool) -> str:
    brand = f"{item['title']}. {_first_sentences(item['text'])}"
    if not personal:
        return f"{brand} #NordlysEmployee"
    opinion = (person.get("expertise") or item["title"]).split(".")[0]
    return _PERSONAL[len(person["email"]) % 2].format(opinion=opinion) + item["title"] + "."


def seed_demo_activity(store: Store, today: dt.date | None = None) -> int:
    """Record the demo shares and their events (skipping missing people or items); returns shares added."""
    from . import catalog, people

    today = today or dt.date.today()
    try:
        from .authenticity import score_post
    except ImportError:  # scoring is optional for seeding
        score_post = None
    added = 0
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
        link = tracked_url(item["url"], network, campaign, share_id)
        text = _share_text(person, item, personal)
        scored = score_post(store, email, item_id, text) if score_post else {"score": None, "components": []}
        when = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(9 + n % 8, 15))
        record_share(store, share_id, email, item_id, f"{text}\n\n{link}" if link else text, network, campaign,
                     link, scored["score"], scored["components"], [], shared_at=when)
        for kind, count in (("click", 3 + 5 * personal + n % 4), ("reaction", 4 + 8 * personal + n % 3),
                            ("comment", 2 * personal), ("lead", int(personal and n % 2 == 0))):
            if count:
                record_event(store, share_id, kind, count, when + dt.timedelta(hours=6))
        added += 1
    return added


def load_demo(store: Store) -> dict[str, int]:
    """Demo accounts and activity: ``{"accounts": created, "shares": added}``."""
    return {"accounts": create_demo_accounts(store), "shares": seed_demo_activity(store)}
