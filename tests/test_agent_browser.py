"""The whole hand-off in real browsers: a citizen on the portal's web widget asks for a person;
an agent logs in to the console, sees the conversation arrive live, takes it, reads what the
citizen wrote while waiting, answers with a canned answer, and hands back; the citizen rates.

Debian's chromium (``/usr/bin/chromium``) driven by Playwright, nothing downloaded; skipped
without it except under ``CI=true``.  Screenshots go to ``test-artifacts/``, the time from the
citizen's request to the row on the agent's screen to ``test-artifacts/handoff-browser.json``.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.browser import expect  # skips the module without Playwright
from tests.conftest import artifacts_dir, wait_for

WAIT = 15_000
PASSWORD = "a long password"

HOST_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Portail des services publics</title></head><body><h1>Passeport</h1>
<script src="{guichet}/webchat/widget.js" data-guichet-url="{guichet}" data-lang="fr"></script>
</body></html>"""


@pytest.fixture
def sites(make_sites):
    def add_agent(app) -> None:
        app.extensions["guichet"].desk.accounts.add(login="awa", password=PASSWORD,
                                                    display_name="Awa", languages="fr,fon")

    return make_sites(HOST_PAGE, prepare=add_agent, OFFICE_HOURS="always")


def test_a_citizen_on_the_widget_reaches_an_agent_and_comes_back(page, browser, sites):
    desk = sites["app"].extensions["guichet"].desk
    # the agent logs in and watches the queue
    console = browser.new_context().new_page()
    console.goto(f"{sites['guichet']}/agent/")
    console.get_by_label("Identifiant").fill("awa")
    console.get_by_label("Mot de passe").fill(PASSWORD)
    console.get_by_role("button", name="Se connecter").click()
    expect(console.get_by_role("heading", name="En attente")).to_be_visible()
    expect(console.locator("#queue")).to_contain_text("Personne en attente")
    # the live stream is up (no wait_for_function: the console's CSP forbids eval)
    expect(console.locator("#queue")).to_have_attribute("data-updated", re.compile(r".+"),
                                                        timeout=WAIT)

    # the citizen asks for a person on the portal's widget
    page.goto(sites["portal"])
    page.get_by_role("button", name="Ouvrir le chat Service Public").click()
    log = page.get_by_role("log")
    box = page.get_by_label("Votre message")
    expect(page.get_by_role("button", name="Démarches et coûts")).to_be_visible(timeout=WAIT)
    box.fill("je veux parler a un agent")
    started = time.perf_counter()
    box.press("Enter")
    row = console.locator("#queue tr[data-id]")
    expect(row).to_be_visible(timeout=WAIT)
    to_screen = time.perf_counter() - started
    expect(log).to_contain_text("Un conseiller va vous répondre", timeout=WAIT)
    expect(log).to_contain_text("n°1")

    # written while waiting: kept and shown
    box.fill("C'est pour mon passeport perdu")
    box.press("Enter")
    expect(row).to_contain_text("passeport perdu", timeout=WAIT)
    console.screenshot(path=str(artifacts_dir() / "agent-queue.png"), full_page=True)

    # the agent takes it: the citizen is told, the transcript shows what the bot understood
    row.get_by_role("button", name="Prendre").click()
    expect(console.get_by_role("heading", name="Conversation")).to_be_visible()
    transcript = console.locator("#transcript")
    expect(transcript).to_contain_text("je veux parler a un agent")
    expect(transcript).to_contain_text("intention human_handoff")
    expect(log).to_contain_text("Un conseiller du 135 (Awa) a pris votre demande",
                                timeout=WAIT)

    # the citizen writes; it arrives live on the agent's screen
    box.fill("Je l'ai perdu hier à Cotonou")
    box.press("Enter")
    expect(transcript).to_contain_text("perdu hier à Cotonou", timeout=WAIT)

    # a canned answer, sent on the web chat
    console.get_by_role("button", name="Accueil").click()
    reply_box = console.get_by_label("Votre réponse")
    expect(reply_box).to_be_focused()
    expect(reply_box).to_have_value(
        "Bonjour, je suis Awa, conseiller du 135 Allo Service Public. "
        "Comment puis-je vous aider ?")
    console.get_by_role("button", name="Envoyer").click()
    expect(log).to_contain_text("je suis Awa, conseiller du 135", timeout=WAIT)
    console.screenshot(path=str(artifacts_dir() / "agent-conversation.png"), full_page=True)

    # hand back: the citizen is told and asked for a rating, which is kept
    console.get_by_role("button", name="Rendre à l'assistant").click()
    expect(console.get_by_role("status")).to_contain_text("rendue à l'assistant")
    expect(log).to_contain_text("Le conseiller a terminé", timeout=WAIT)
    expect(log).to_contain_text("de 1 (pas du tout) à 5")
    box.fill("5")
    box.press("Enter")
    expect(log).to_contain_text("Merci pour votre avis", timeout=WAIT)
    assert wait_for(lambda: desk.stats()["satisfaction"]) == 5.0
    page.screenshot(path=str(artifacts_dir() / "agent-widget.png"))
    (artifacts_dir() / "handoff-browser.json").write_text(json.dumps(
        {"request_to_agent_screen_ms": round(to_screen * 1000)}, indent=1))
    assert to_screen < 5


@pytest.fixture
def simulator(make_sites):
    def add_agent(app) -> None:
        app.extensions["guichet"].desk.accounts.add(login="awa", password=PASSWORD,
                                                    display_name="Awa", languages="fr")

    return make_sites("<!doctype html><title>-</title>", prepare=add_agent,
                      OFFICE_HOURS="always")


def test_an_agents_answer_reaches_the_simulators_whatsapp_pane(page, simulator):
    """Sent later through the outbox, an agent's message shows in the WhatsApp pane (it only
    showed the answers to the user's own messages), once, and the answers are not doubled."""
    desk = simulator["app"].extensions["guichet"].desk
    page.goto(f"{simulator['guichet']}/simulator/")
    whatsapp = page.locator("#wa-thread")
    page.locator("#wa-text").fill("je veux parler a un agent")
    page.locator("#wa-text").press("Enter")
    expect(whatsapp).to_contain_text("conseiller", timeout=WAIT)
    answers = whatsapp.locator(".msg.in").count()
    awa = desk.accounts.by_login("awa")
    conv = wait_for(lambda: desk.queue(awa, "waiting"))[0]
    desk.take(conv.id, awa)
    desk.reply(conv.id, awa, "Bonjour, ici Awa du 135. Que puis-je pour vous ?")
    expect(whatsapp).to_contain_text("Que puis-je pour vous ?", timeout=WAIT)
    page.wait_for_timeout(3500)  # another poll or two of the outbox: nothing shown twice
    expect(whatsapp.get_by_text("Que puis-je pour vous ?")).to_have_count(1)
    shown = whatsapp.locator(".msg.in")
    assert shown.count() == answers + 2  # the agent took it (a notice), then the message
    page.locator(".card", has=whatsapp).screenshot(
        path=str(artifacts_dir() / "simulator-whatsapp-agent.png"))
