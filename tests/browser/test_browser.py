"""End to end in a real browser: `streamlit run serve.py` driven by headless Chromium (Playwright), every role.

One server (the demo home, fake models) serves the whole module. The employee
signs in, reloads and opens a new tab without signing in again (HTTP-only
cookie), opens an idea, edits a draft and watches the score follow, reloads
and finds the edit, shares, confirms the post, signs out; a deep link opened
signed out lands on its item after sign-in; the interface switches language;
then marketing, content and admin pages are checked. Screenshots at desktop
(1280 px) and phone (390 px) widths go to tests/artifacts/ (not committed).

Needs Debian's ``chromium`` and the ``playwright`` package (never a downloaded
browser); skips with the reason otherwise.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.browser.conftest import (
    CAMILLE,
    LEA,
    NADIA,
    PHONE,
    THOMAS,
    WORDS,
    answer,
    filled_editor,
    fr,
    new_page,
    no_error,
    score,
    see,
    shot,
    sign_in,
    signed_in_cookie,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def test_employee_signs_in_once_drafts_edits_reloads_shares_and_confirms(browser, server):
    page = new_page(browser)
    page.goto(server["url"])
    page.get_by_role("button", name=fr("signin.submit")).wait_for()
    assert page.get_by_test_id("stAppDeployButton").count() == 0, "no Deploy button"
    shot(page, "01-sign-in")
    sign_in(page, server, CAMILLE)
    page.get_by_role("button", name=fr("feed.draft_for_me")).first.wait_for()
    cookie = next(c for c in page.context.cookies() if c["name"] == "pv_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > time.time() + 3600
    shot(page, "02-feed")
    page.reload()
    page.get_by_role("heading", name=fr("feed.title")).wait_for()
    other_tab = page.context.new_page()
    other_tab.goto(server["url"] + "/profile")
    other_tab.get_by_role("heading", name=fr("profile.title")).wait_for()
    other_tab.close()

    page.get_by_role("button", name=fr("feed.draft_for_me")).first.click()
    page.get_by_text(fr("ask.question")).wait_for()
    assert "?item=" in page.url, "the open item is in the address"
    shot(page, "03-question")
    answer(page, WORDS)
    editor = filled_editor(page)
    assert editor.input_value().startswith("La semaine dernière, j'ai présenté ce sujet"), "their words lead the draft"
    page.get_by_test_id("stMetric").filter(has_text=fr("score.title")).wait_for()
    shot(page, "03-drafts")
    draft_text = editor.input_value()
    editor.fill("Top !!! #Nordlys #Nordlys #Nordlys !!! 🚀🚀🚀 Top !!! #Nordlys !!!!!!")  # spam: refused, scores low
    see(page, fr("share.refused.stuffed"))
    assert page.get_by_role("button", name=fr("feed.share")).is_disabled(), "spam cannot be shared"
    assert int(score(page).split("/")[0]) < 20, "spam scores low"
    shot(page, "03-spam-refused")
    editor.fill(draft_text)
    page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Partager')"
                           " && !b.disabled)")
    before = score(page)
    own = (" Je travaille chez Nordlys et j'ai vécu ce projet de l'intérieur : je suis convaincue que c'est "
           "la bonne voie. Et vous ?")
    editor.click()
    editor.press("Control+End")
    editor.press_sequentially(own, delay=5)
    typed = time.perf_counter()
    while score(page) == before and time.perf_counter() - typed < 15:
        page.wait_for_timeout(20)
    assert score(page) != before, "the score follows the typing"
    print(f"score {before} -> {score(page)} {time.perf_counter() - typed:.2f} s after the last keystroke")
    assert editor.input_value().endswith(own)
    page.get_by_role("button", name=fr("feed.share")).wait_for(state="visible")
    shot(page, "04-editing")

    page.reload()  # the edit was saved on the server as it was typed
    assert filled_editor(page).input_value().endswith(own)
    share = page.get_by_role("button", name=fr("feed.share"))
    page.wait_for_function("() => [...document.querySelectorAll('button')].some(b => b.innerText.includes('Partager')"
                           " && !b.disabled)")
    share.click()
    page.get_by_role("button", name=fr("share.confirm")).wait_for()
    link = page.get_by_role("link", name=fr("share.post_on.linkedin"))
    assert link.get_attribute("href").startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
    assert page.get_by_role("link", name=fr("share.post_on.x")).count() == 0, "one network per share"
    shot(page, "05-prepared")
    page.get_by_label(fr("share.post_url")).fill("https://www.linkedin.com/feed/update/urn:li:activity:1/")
    page.get_by_role("button", name=fr("share.confirm")).click()
    page.get_by_text(fr("share.posted")).wait_for()
    page.get_by_role("tab", name=fr("feed.tab_shares")).click()
    page.get_by_role("heading", name=fr("feed.history_title")).wait_for()
    no_error(page)
    shot(page, "06-my-shares")

    page.get_by_role("button", name=fr("auth.sign_out")).click()
    page.get_by_role("button", name=fr("signin.submit")).wait_for()
    page.wait_for_timeout(500)
    page.reload()
    page.get_by_role("button", name=fr("signin.submit")).wait_for()
    assert not [c for c in page.context.cookies() if c["name"] == "pv_session"], "the cookie is cleared"
    page.context.close()


def test_a_deep_link_signed_out_opens_its_item_after_sign_in_and_pages_never_say_not_found(browser, server):
    page = new_page(browser)
    page.goto(server["url"] + "/experts")
    page.get_by_role("button", name=fr("signin.submit")).wait_for()
    no_error(page)
    sign_in(page, server, CAMILLE, "/?item=news-flux42-fr")
    page.get_by_role("button", name=fr("feed.back")).wait_for()
    page.get_by_text(fr("ask.question")).wait_for()
    assert "item=news-flux42-fr" in page.url
    signed_in_cookie(page)  # the question shows at once: the session cookie may land a moment later
    page.goto(server["url"] + "/experts")  # a page her role does not open: said in words
    see(page, fr("nav.unavailable"))
    no_error(page)
    page.context.close()


def test_one_language_at_a_time_and_the_phone_layout(browser, server):
    page = new_page(browser, PHONE)
    page.goto(server["url"])
    page.get_by_role("button", name=fr("signin.submit")).wait_for()
    shot(page, "01-sign-in")
    sign_in(page, server, CAMILLE)
    page.get_by_role("button", name=fr("feed.draft_for_me")).first.wait_for()
    shot(page, "02-feed")
    feed = page.locator("[data-testid=stMain]").inner_text()
    assert "Nordlys Flux 4.2 : ingestion 30 % plus rapide" in feed, "the story, in her language"
    assert "Nordlys Flux 4.2 is out" not in feed, "one story, shown once"
    assert fr("feed.other_version_en") in feed, "the other version one click away"
    page.get_by_role("button", name=fr("feed.draft_for_me")).first.click()
    answer(page, WORDS)
    page.locator("textarea.pv-text").wait_for()
    shot(page, "03-drafts")
    desktop = new_page(browser)
    sign_in(desktop, server, CAMILLE)
    desktop.get_by_text("English", exact=True).click()
    desktop.get_by_role("heading", name="My feed").wait_for()
    assert desktop.get_by_text("Mon fil", exact=True).count() == 0, "one language at a time"
    shot(desktop, "07-feed-english")
    desktop.get_by_text("Français", exact=True).click()  # back, for the other tests
    desktop.get_by_role("heading", name="Mon fil").wait_for()
    desktop.context.close()
    page.context.close()


def test_two_people_drafting_at_once_get_their_drafts_at_once_and_keep_them(browser, server):
    first, second = new_page(browser), new_page(browser)
    for page in (first, second):
        sign_in(page, server, CAMILLE)
        page.get_by_role("button", name=fr("feed.draft_for_me")).first.wait_for()
    cards = first.get_by_role("button", name=fr("feed.draft_for_me")).count()
    for page, n in ((first, cards - 1), (second, cards - 2)):  # items nobody drafted yet
        page.get_by_role("button", name=fr("feed.draft_for_me")).nth(n).click()
        page.get_by_label(fr("ask.label")).wait_for()
        assert page.get_by_role("button", name=fr("feed.draft_for_me")).count() == 0, "no stale card under the question"
        page.get_by_label(fr("ask.label")).fill(WORDS)
    started = time.perf_counter()
    for page in (first, second):
        page.get_by_role("button", name=fr("ask.draft")).click()
    for page in (first, second):
        page.get_by_text(fr("feed.pick")).wait_for()
        no_error(page)
    print(f"two people at once: both drafts on screen {time.perf_counter() - started:.2f} s after the clicks")
    shot(second, "12-two-at-once")
    address = first.url
    first.context.close()  # the tab is closed: the drafts were kept on the server
    again = new_page(browser)
    sign_in(again, server, CAMILLE, "/?" + address.split("?", 1)[1])
    again.get_by_text(fr("feed.pick")).wait_for()
    assert again.get_by_label(fr("ask.label")).count() == 0, "reopened, the item shows its drafts, not the question"
    assert filled_editor(again).input_value().startswith("La semaine dernière")
    again.context.close()
    second.context.close()


def test_marketing_sees_the_figures_on_a_desktop_and_a_phone(browser, server):
    page = new_page(browser)
    sign_in(page, server, LEA, "/authenticity")
    page.locator("canvas, svg.marks").first.wait_for()
    no_error(page)
    shot(page, "08-marketing")
    page.set_viewport_size({"width": PHONE, "height": 844})
    page.locator("canvas, svg.marks").first.wait_for()
    shot(page, "08-marketing")
    page.context.close()


def test_content_team_finds_experts_and_nobody_for_nonsense(browser, server):
    page = new_page(browser)
    sign_in(page, server, THOMAS, "/experts")
    topic = page.get_by_label(fr("experts.topic"))
    topic.fill("sécurité des réseaux industriels")
    page.get_by_role("button", name=fr("experts.search")).click()
    page.get_by_text(fr("experts.export")).wait_for()
    page.get_by_text(fr("strength.strong")).first.wait_for()
    shot(page, "09-experts")
    topic.fill("quantum basket weaving")
    page.get_by_role("button", name=fr("experts.search")).click()
    see(page, fr("experts.nobody"))
    no_error(page)
    page.context.close()


def test_admin_is_asked_before_anything_destructive(browser, server):
    page = new_page(browser)
    sign_in(page, server, NADIA, "/people")
    page.get_by_role("tab", name=fr("admin.tab_accounts")).click()
    page.get_by_role("tab", name=fr("admin.delete_title")).click()
    delete = page.get_by_role("button", name=fr("admin.delete"))
    assert delete.is_disabled(), "nothing is pre-selected"
    page.get_by_role("tab", name=fr("admin.tab_policy")).click()
    page.get_by_label("policy.yaml").fill("")
    page.get_by_role("button", name=fr("common.save")).click()
    page.get_by_text("désactiverait toutes les règles").wait_for()
    shot(page, "10-people-and-rules")
    page.goto(server["url"] + "/library")
    see(page, fr("upload.limit", mb=50))
    # the uploader's own (English) limit line is hidden, but it still states the product's limit, not 200MB
    page.get_by_text("50MB").first.wait_for(state="attached")
    assert page.get_by_text("200MB").count() == 0, "the product's limit, not Streamlit's default"
    page.get_by_role("tab", name=fr("library.tab_items")).click()
    page.get_by_text(fr("library.text_title")).wait_for()
    no_error(page)
    shot(page, "11-library")
    page.context.close()


def test_shares_were_stored_as_posted(server, browser):
    """After the run: the employee's share is in the database, posted (read once the server stops)."""
    server["proc"].terminate()
    server["proc"].wait(timeout=20)
    code = ("from assistant.config import load_settings; from assistant.storage.store import open_store; "
            "s = open_store(load_settings()); "
            f"print(s.rows('SELECT status, post_url FROM shares WHERE email = ?', ['{CAMILLE}']))")
    out = subprocess.run([sys.executable, "-c", code], env=server["env"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert "'status': 'posted'" in out.stdout and "activity:1/" in out.stdout
