"""What only a browser shows, one pass per role, French then English: text copied from the page is the text
(no invisible character, no link made of an address), Streamlit's own uploader texts follow the interface's
language, retiring and sending in bulk are visible actions that ask first, and headline figures are never
cut off, on a desktop and a phone.

Same server, fixtures and helpers as test_browser.py (a server of its own: demo home, fake models).
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.browser.conftest import (
    CAMILLE,
    DESKTOP,
    LEA,
    NADIA,
    PHONE,
    THOMAS,
    WORDS,
    answer,
    en,
    english,
    filled_editor,
    fr,
    idle,
    invisible,
    new_page,
    no_error,
    see,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# every element of a headline figure that clips its text (Streamlit ends it with "…")
CLIPPED = """() => [...document.querySelectorAll('[data-testid=stMetric] *')].filter(e => {
  const s = getComputedStyle(e);
  return e.scrollWidth > e.clientWidth + 1 && (s.textOverflow === 'ellipsis' || s.overflowX === 'hidden');
}).map(e => e.innerText)"""
SELECT = """e => { const r = document.createRange(); r.selectNodeContents(e); const s = getSelection();
  s.removeAllRanges(); s.addRange(r); return s.toString(); }"""


def test_content_team_copies_emails_and_names_exactly(browser, server):
    page = new_page(browser)
    sign_in(page, server, THOMAS, "/experts")
    page.get_by_label(fr("experts.topic")).fill("sécurité des réseaux industriels")
    page.get_by_role("button", name=fr("experts.search")).click()
    page.get_by_text(fr("experts.export")).wait_for()
    captions = page.locator("[data-testid=stCaptionContainer]").filter(has_text="@")
    assert captions.count() >= 1
    for caption in captions.all():
        copied = caption.evaluate(SELECT)
        email = EMAIL.search(copied)
        assert email and not [c for c in copied if unicodedata.category(c) == "Cf"], repr(copied)
        assert caption.locator("a").count() == 0, "an address is shown, not turned into a link"
    assert invisible(page) == [] and page.locator("[data-testid=stMain] a[href^='mailto:']").count() == 0
    no_error(page)
    page.context.close()


def test_admin_sees_one_language_and_is_asked_before_bulk_actions(browser, server):
    page = new_page(browser)
    sign_in(page, server, NADIA, "/library")
    see(page, fr("upload.limit", mb=50))
    page.get_by_role("button", name=fr("upload.browse_many")).wait_for()  # the uploader's own button, in French
    assert not page.get_by_test_id("stFileUploaderDropzoneInstructions").first.is_visible(), "no '50MB per file'"
    assert not page.get_by_text("Upload", exact=True).first.is_visible(), "no English 'Upload' button"
    page.get_by_role("tab", name=fr("library.tab_items")).click()
    pick = page.get_by_label(fr("library.retire_pick"))
    pick.wait_for()
    box = pick.bounding_box()
    assert box and box["x"] + box["width"] <= DESKTOP, "retiring is in view, not in a grid's far column"
    retire = page.get_by_role("button", name=fr("library.retire_n", n=0))
    assert retire.is_disabled()
    pick.click()
    page.get_by_role("option").first.click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name=fr("library.retire_n", n=1)).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(fr("library.retire_confirm", n=1).replace("**", "")).wait_for()
    shot(page, "14-retire-asks-first")
    dialog.get_by_role("button", name=fr("common.cancel")).click()
    dialog.wait_for(state="detached")
    assert invisible(page) == []
    page.goto(server["url"] + "/digests")
    send = page.get_by_role("button", name=re.compile("^" + re.escape(fr("digests.send_now", n=0)[:20])))
    send.wait_for()
    due = int(re.search(r"\d+", send.inner_text()).group())
    if due:
        send.click()
        page.get_by_role("dialog").get_by_text(str(due)).first.wait_for()
        page.get_by_role("dialog").get_by_role("button", name=fr("common.cancel")).click()
        page.get_by_role("dialog").wait_for(state="detached")

    english(page)
    page.goto(server["url"] + "/library")
    see(page, en("upload.limit", mb=50))
    page.get_by_role("button", name=en("upload.browse_many")).wait_for()
    page.get_by_role("tab", name=en("library.tab_items")).click()
    page.get_by_label(en("library.retire_pick")).wait_for()  # retiring, a visible action in English too
    assert page.get_by_role("button", name=en("library.retire_n", n=0)).is_disabled()
    page.goto(server["url"] + "/people")
    page.get_by_role("tab", name=en("admin.tab_policy")).click()
    page.get_by_label("policy.yaml").fill("prohibited_terms:\n  - term: x\n   severity: warn\n")
    page.get_by_role("button", name=en("admin.validate")).click()
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for()
    assert "not valid YAML at line 3 (column 4)" in error.inner_text() and "\n" not in error.inner_text().strip()
    no_error(page)
    page.get_by_text("Français", exact=True).click()  # back, for the account's next sign-in
    page.context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_marketing_headline_figures_are_never_cut_off(browser, server, lang):
    page = new_page(browser, locale="fr-FR")
    sign_in(page, server, LEA, "/authenticity")
    if lang == "en":
        english(page)
    say = fr if lang == "fr" else en
    page.get_by_test_id("stMetric").nth(6).wait_for()
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(500)
        assert page.get_by_test_id("stMetric").count() == 7
        assert page.evaluate(CLIPPED) == [], f"figures cut off at {width} px"
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    shot(page, f"15-marketing-headline-{lang}")
    page.get_by_role("tab", name=say("mkt.tabs.engagement"), exact=True).click()
    counter = page.get_by_text(re.compile(re.escape(say("mkt.service_none")[:25]) + "|" +
                                          re.escape(say("mkt.service", since="§", received=0, written=0,
                                                        lost=0).split("§")[0])))
    counter.first.wait_for()
    assert invisible(page) == []
    if lang == "en":
        page.get_by_text("Français", exact=True).click()
    no_error(page)
    page.context.close()


def test_employee_in_english_sees_one_story_english_drafts_and_spam_refused(browser, server):
    """The employee's pass in the English interface: one card per story (in her first language, the other
    version one click away), the question, the drafts' labels and the refusals in English, drafts kept."""
    from playwright.sync_api import expect

    page = new_page(browser)
    sign_in(page, server, CAMILLE)
    english(page)
    page.get_by_role("heading", name=en("feed.title")).wait_for()
    see(page, "Nordlys Flux 4.2 : ingestion 30 % plus rapide")
    idle(page)
    feed = page.locator("[data-testid=stMain]").inner_text()
    assert feed.count("Nordlys Flux 4.2 : ingestion 30 % plus rapide") == 1, "the story once, in her first language"
    assert "Nordlys Flux 4.2 is out" not in feed and fr("feed.title") not in feed
    page.get_by_role("button", name=en("feed.other_version_en")).first.click()  # the English version, one click
    page.get_by_text(en("ask.question")).wait_for()
    page.get_by_label(en("ask.label")).fill("last week I walked my team through this and we talked about it for an hour")
    page.get_by_role("button", name=en("ask.draft")).click()
    page.get_by_text(en("feed.pick")).wait_for()
    see(page, en("form.story"))
    assert page.get_by_text(fr("form.story")).count() == 0, "draft labels follow the interface"
    editor = filled_editor(page)
    assert editor.input_value().startswith("Last week I walked my team through this")
    draft = editor.input_value()
    editor.fill("Top !!! #Nordlys #Nordlys #Nordlys !!! 🚀🚀🚀 Top !!! #Nordlys !!!!!!")
    see(page, en("share.refused.stuffed"))
    assert page.get_by_role("button", name=en("feed.share")).is_disabled(), "spam cannot be shared"
    editor.fill(draft)
    expect(page.get_by_role("button", name=en("feed.share"))).to_be_enabled()  # the server has the text back
    page.reload()  # kept on the server: the reopened item shows its drafts, not the question
    assert filled_editor(page).input_value() == draft
    assert invisible(page) == []
    no_error(page)
    shot(page, "17-feed-english-drafts")
    page.get_by_text("Français", exact=True).click()  # back, for the account's next sign-in
    page.get_by_role("heading", name=fr("feed.title")).wait_for()
    page.context.close()


def test_the_last_keystrokes_before_a_click_reach_the_server(browser, server):
    """The editor sends its text 300 ms after the last keystroke, or at once on blur. Words typed while the
    server was still answering an earlier send, then a click elsewhere before their own send: the click must
    carry them (a share made then lost "?" at the end of a post in the deployment's scale test). Timers are
    stretched to 20 s here so that only the blur can send them."""
    page = new_page(browser)
    page.add_init_script("""(() => { const later = window.setTimeout;
        window.setTimeout = (f, ms, ...rest) => later(f, ms === 300 ? 20000 : ms, ...rest); })()""")
    sign_in(page, server, THOMAS)
    page.get_by_role("button", name=fr("feed.draft_for_me")).first.click()
    question, again = page.get_by_label(fr("ask.label")), page.get_by_role("button", name=fr("ask.other_words"))
    question.or_(again).first.wait_for()
    if not question.count():
        again.click()
    answer(page, WORDS)
    editor = filled_editor(page)
    editor.click()
    editor.press("Control+End")
    editor.press_sequentially(" Et vous")
    editor.press("Control+Enter")  # sent now; the server reruns and answers while the next keys are typed
    editor.press_sequentially(" ?")
    page.wait_for_timeout(2000)  # its answer is on screen (the server answers well within)
    page.get_by_test_id("stSidebar").click(position={"x": 10, "y": 10})  # a click elsewhere: the editor blurs
    page.wait_for_timeout(1500)
    page.reload()  # what the server kept (autosave)
    assert filled_editor(page).input_value().endswith("Et vous ?")
    page.context.close()
