"""The widget in each language, in a real browser: its controls in Fon and Yoruba too, a
language list that switches on a committed choice only (an arrow key neither switches nor
sends), no second copy of the answer on a switch, a question in another language followed,
rating buttons after a hand-back, and a page whose site is not allowed told so plainly.

Screenshots of the widget in each language are left in ``test-artifacts/widget-<lang>.png``.
"""

from __future__ import annotations

import pytest

from channels.webchat.labels import labels
from tests.browser import expect  # skips the module without Playwright
from tests.conftest import artifacts_dir
from tests.fakes.serving import serve
from tests.test_browser import HOST_PAGE, WAIT, sites  # noqa: F401 - the fixture

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

QUESTIONS = {  # a question in each language, and what its answer must show
    "fr": ("combien coûte le casier judiciaire", "1\u202f900"),
    "en": ("how much is the criminal record certificate", "1,900"),
    "fon": ("Akwɛ nabí wɛ passeport ɔ ɖe?", "30\u202f000"),
    "yo": ("Elo ni iwe irinna?", "30,000"),
}


def open_widget(page, portal: str):
    page.goto(portal)
    page.get_by_role("button", name=labels("fr")["open"]).click()
    expect(page.get_by_role("button", name="Démarches et coûts")).to_be_visible(timeout=WAIT)


def expect_controls_in(page, lang: str) -> None:
    words = labels(lang)
    box = page.locator("#gw-input")
    expect(box).to_have_attribute("placeholder", words["ph"], timeout=WAIT)
    expect(page.locator("button.send")).to_have_text(words["send"])
    expect(page.locator("header p")).to_have_text(words["sub"])
    expect(page.get_by_label(words["input"])).to_be_visible()


def bubbles(page) -> int:
    return page.locator(".log .m").count()


@pytest.mark.parametrize("lang", ["fr", "en", "fon", "yo"])
def test_the_widget_speaks_each_language_and_is_photographed(browser, sites, lang):  # noqa: F811
    context = browser.new_context(viewport={"width": 480, "height": 720})
    page = context.new_page()
    try:
        open_widget(page, sites["portal"])
        if lang != "fr":
            page.locator("#gw-lang").select_option(lang)  # a pick in the list: committed
        expect_controls_in(page, lang)
        if lang in ("fon", "yo"):
            assert page.locator("#gw-input").get_attribute("placeholder") != labels("fr")["ph"]
        question, shown = QUESTIONS[lang]
        page.locator("#gw-input").fill(question)
        page.locator("#gw-input").press("Enter")
        expect(page.get_by_role("log")).to_contain_text(shown, timeout=WAIT)
        expect_controls_in(page, lang)  # the answer in that language keeps the controls in it
        if lang != "fr":
            expect(page.locator(".qr")).to_contain_text(labels(lang)["menu"])
        page.screenshot(path=str(artifacts_dir() / f"widget-{lang}.png"))
    finally:
        context.close()


def test_an_arrow_key_on_the_closed_list_neither_switches_nor_sends(page, sites):  # noqa: F811
    open_widget(page, sites["portal"])
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/messages") else None)
    before = bubbles(page)
    select = page.locator("#gw-lang")
    select.focus()
    page.keyboard.press("ArrowDown")  # fr -> en in the list, not yet chosen
    page.wait_for_timeout(800)
    assert sent == [] and bubbles(page) == before
    expect_controls_in(page, "fr")
    page.keyboard.press("Enter")  # now it is
    expect_controls_in(page, "en")
    expect(page.get_by_role("button", name="Procedures and costs")).to_be_visible(timeout=WAIT)
    expect(page.locator(".log .note").last).to_have_text("English")
    assert len(sent) == 1 and bubbles(page) == before  # one change, no second copy of the menu
    # the switch is kept as a switch: a reload shows no second answer either
    page.reload()
    expect(page.get_by_role("button", name="Procedures and costs")).to_be_visible(timeout=WAIT)
    assert bubbles(page) == before
    expect_controls_in(page, "en")


def test_a_fon_question_while_in_english_is_answered_and_shown_in_fon(page, sites):  # noqa: F811
    open_widget(page, sites["portal"])
    page.locator("#gw-lang").select_option("en")
    expect_controls_in(page, "en")
    page.locator("#gw-input").fill("Nɛ̌ nú casier judiciaire ?")
    page.locator("#gw-input").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("1\u202f900", timeout=WAIT)
    expect_controls_in(page, "fon")
    expect(page.locator("#gw-lang")).to_have_value("fon")
    # a procedure's name alone does not switch back to French
    page.locator("#gw-input").fill("passeport")
    page.locator("#gw-input").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("30\u202f000", timeout=WAIT)
    expect_controls_in(page, "fon")


def test_the_rating_after_a_hand_back_has_buttons(page, sites):  # noqa: F811
    open_widget(page, sites["portal"])
    app = sites["app"]
    desk = app.extensions["guichet"].desk
    agent = desk.accounts.add(login="awa", password="correct horse battery", role="agent",
                              languages="fr", display_name="Awa")
    key = f"guichet-webchat:{sites['guichet']}"
    session = page.evaluate("key => JSON.parse(localStorage.getItem(key)).id", key)
    desk.enqueue(channel="webchat", session=session, user=f"web:{session}", lang="fr",
                 reason="asked", topic=None)
    conv = next(c for c in desk.queue(agent) if c.session == session)
    desk.take(conv.id, agent)
    desk.close(conv.id, agent)
    expect(page.get_by_role("log")).to_contain_text("Êtes-vous satisfait", timeout=WAIT)
    for score in "12345":
        expect(page.locator(f'.qr button[data-choice="rate:{score}"]')).to_have_text(score)
    page.locator('.qr button[data-choice="rate:4"]').click()
    expect(page.get_by_role("log")).to_contain_text("Merci pour votre avis.", timeout=WAIT)
    assert desk.stats()["satisfaction"] == 4.0


def test_a_page_on_a_site_not_allowed_is_told_the_service_is_unavailable(page, make_app):
    app = make_app(WEBCHAT_ORIGINS="https://www.service-public.bj")
    guichet, server = serve(app)
    where = {"guichet": guichet}

    def other_site(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [HOST_PAGE.format(guichet=where["guichet"]).encode()]

    portal, portal_server = serve(other_site)
    try:
        page.goto(portal)
        page.get_by_role("button", name=labels("fr")["open"]).click()
        log = page.get_by_role("log")
        expect(log).to_contain_text(labels("fr")["refused"], timeout=WAIT)
        expect(log).not_to_contain_text("vérifiez votre connexion")
        expect(page.locator("#gw-input")).to_be_disabled()
        page.screenshot(path=str(artifacts_dir() / "widget-refused.png"))
    finally:
        server.shutdown()
        portal_server.shutdown()
