"""Real journeys in a real browser: the widget embedded on another site, and the simulator.

Debian's chromium (``/usr/bin/chromium``, which ``make test`` installs) is driven by Playwright;
nothing is downloaded.  Without chromium these tests skip, except under ``CI=true`` where they
fail.  Each journey leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import re

import pytest

from channels.webchat import push
from tests.browser import expect  # skips the module without Playwright
from tests.conftest import artifacts_dir

# pytest-playwright's own base_url fixture trips a pytest deprecation warning: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

WAIT = 15_000
"""Milliseconds an expectation may wait (the first question also loads the NLU model)."""


HOST_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Portail des services publics</title></head><body>
<h1>Casier judiciaire</h1><p>Une page du portail, sur un autre site que Guichet.</p>
<script src="{guichet}/webchat/widget.js" data-guichet-url="{guichet}" data-lang="fr"></script>
</body></html>"""


@pytest.fixture
def sites(make_sites):
    """The portal's site (another origin) and Guichet, both on loopback."""
    # short streams: the widget reconnects every few seconds, as after a proxy's timeout
    return make_sites(HOST_PAGE, prepare=lambda app: app.config.update(
        WEBCHAT_HEARTBEAT=1.0, WEBCHAT_STREAM_SECONDS=3))


def test_the_widget_on_the_portal_answers_and_keeps_the_conversation(page, sites):
    rt = sites["app"].extensions["guichet"]
    page.goto(sites["portal"])
    launcher = page.get_by_role("button", name="Ouvrir le chat Service Public")
    launcher.click()
    log = page.get_by_role("log")
    box = page.get_by_label("Votre message")
    expect(box).to_be_focused()
    expect(page.get_by_role("button", name="Démarches et coûts")).to_be_visible(timeout=WAIT)

    box.fill("combien coute le casier judiciaire")
    box.press("Enter")
    expect(log).to_contain_text("1 900", timeout=WAIT)
    page.get_by_role("button", name="Toute la fiche").click()
    expect(log).to_contain_text("72 heures", timeout=WAIT)
    page.screenshot(path=str(artifacts_dir() / "webchat-widget.png"))

    # an agent answers later: the event stream brings it
    key = f"guichet-webchat:{sites['guichet']}"
    session = page.evaluate("key => JSON.parse(localStorage.getItem(key)).id", key)
    assert push(session, "Bonjour, ici Awa, conseillère du 135.", rt=rt)
    expect(log).to_contain_text("Awa", timeout=WAIT)

    # the network drops (the next reconnection fails), a message is pushed meanwhile; back
    # online, the stream reconnects and delivers it
    page.context.set_offline(True)
    expect(page.get_by_role("status")).to_contain_text("Reconnexion", timeout=WAIT)
    push(session, "Votre dossier est complet.", rt=rt)
    page.context.set_offline(False)
    expect(log).to_contain_text("Votre dossier est complet.", timeout=WAIT)

    # a reload (or the next page of the portal) shows the open chat and its conversation again
    page.reload()
    expect(log).to_contain_text("72 heures", timeout=WAIT)
    expect(log).to_contain_text("Votre dossier est complet.")

    # the language selector, then Escape closes and gives focus back to the launcher
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("button", name="Procedures and costs")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    page.get_by_label("Your message").press("Escape")
    expect(page.get_by_role("button", name="Open the Service Public chat")).to_be_focused()


def test_the_simulator_phone_dials_ussd_to_the_sheet(page, sites):
    page.goto(f"{sites['guichet']}/simulator/")
    screen = page.locator("#ussd-screen")
    expect(screen).to_contain_text("*202#")
    page.get_by_role("button", name="Appeler").click()
    expect(screen).to_contain_text("1 Francais", timeout=WAIT)  # GSM-7
    for _ in range(4):  # French, "procedures and costs", justice, criminal record
        before = screen.inner_text()
        page.locator('.keys button[data-key="1"]').click()
        page.get_by_role("button", name="Envoyer", exact=True).first.click()
        expect(screen).not_to_have_text(before, timeout=WAIT)
        expect(screen).not_to_have_text("Envoi…", timeout=WAIT)
    expect(screen).to_contain_text("1 900 F CFA")
    assert len(screen.inner_text()) <= 160
    page.locator(".featurephone").screenshot(path=str(artifacts_dir() / "simulator-ussd.png"))

    # the other channels are on the same page
    page.locator("#sms-text").fill("prix du passeport")
    page.locator("#sms-form button").click()
    expect(page.locator("#sms-thread")).to_contain_text("30 000 F CFA", timeout=WAIT)
    page.locator("#wa-text").fill("combien coute le casier judiciaire")
    page.locator("#wa-text").press("Enter")
    whatsapp = page.locator("#wa-thread")
    expect(whatsapp).to_contain_text("1 900", timeout=WAIT)
    whatsapp.get_by_role("button", name="Toute la fiche").click()
    expect(whatsapp).to_contain_text("72 heures", timeout=WAIT)
    expect(page.get_by_label("Votre message")).to_be_visible()  # the widget, inline
    page.screenshot(path=str(artifacts_dir() / "simulator.png"), full_page=True)


def test_on_the_simulator_the_web_chat_proves_the_number_with_the_sms_code(page, sites):
    """The widget asks the number, the code lands in the SMS outbox the simulator shows, the
    visitor types it back: only then are "my requests" shown."""
    page.goto(f"{sites['guichet']}/simulator/")
    number = page.locator("#phone").input_value()
    widget = page.locator("#webchat-slot")
    widget.get_by_role("button", name="Mes demandes").click(timeout=WAIT)
    box = page.get_by_label("Votre message")
    expect(widget.get_by_role("log")).to_contain_text("Votre numéro de téléphone",
                                                       timeout=WAIT)
    expect(box).to_have_attribute("inputmode", "tel")
    box.fill(number)
    box.press("Enter")
    expect(widget.get_by_role("log")).to_contain_text("Code reçu par SMS", timeout=WAIT)
    expect(box).to_have_attribute("autocomplete", "one-time-code")
    sms = page.locator("#sms-thread")
    expect(sms).to_contain_text("code de confirmation", timeout=WAIT)
    code = re.search(r"\b(\d{6})\b", sms.inner_text().split("code de confirmation")[-1])
    assert code
    box.fill(code.group(1))
    box.press("Enter")
    expect(widget.get_by_role("log")).to_contain_text("Numéro confirmé", timeout=WAIT)
    expect(widget.get_by_role("log")).to_contain_text("Aucune demande pour ce numéro")
    page.screenshot(path=str(artifacts_dir() / "simulator-webchat-code.png"), full_page=True)
