"""Every screen passes axe-core without a serious or critical violation, in a real browser.

The simulator (its USSD, SMS and WhatsApp panes, in use), the web chat widget on a portal page,
and the agent console: login, queue, an open conversation, a closed conversation's transcript,
and the supervisor's pages.  Besides axe, what it does not see: a scrolling thread must be
reachable by keyboard, the hang-up button must hold its label, the USSD counter counts only the
network's screen.  Screenshots of the console go to ``test-artifacts/console-*.png``.
"""

from __future__ import annotations

import pytest

from dialogs.handoff import Exchange
from tests.axe import check
from tests.browser import expect  # skips the module without Playwright
from tests.conftest import artifacts_dir

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning")

WAIT = 15_000
PASSWORD = "a long password"
HOST_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Portail des services publics</title></head><body><main><h1>Passeport</h1>
<p>Une page du portail.</p></main>
<script src="{guichet}/webchat/widget.js" data-guichet-url="{guichet}" data-lang="fr"></script>
</body></html>"""


def _desk_with_conversations(app) -> None:
    """Two agents and a citizen's history: one conversation waiting, one taken, and a closed
    one long enough to scroll, whose citizen had talked to the 135 before (shown set apart)."""
    desk = app.extensions["guichet"].desk
    awa = desk.accounts.add(login="awa", password=PASSWORD, display_name="Awa",
                            languages="fr,fon")
    desk.accounts.add(login="eve", password=PASSWORD, display_name="Eve", role="supervisor",
                      languages="fr")

    def conversation(session: str, user: str, text: str) -> int:
        desk.record(Exchange("sms", session, user, "in", text, "fr", intent="human_handoff"))
        desk.enqueue(channel="sms", session=session, user=user, lang="fr", reason="asked",
                     topic="passeport")
        return next(c.id for c in desk.queue(awa, "waiting") if c.session == session)

    regular = "+2290197000030"
    before = conversation("sms:0", regular, "Bonjour, je voudrais un extrait d'acte de naissance")
    desk.take(before, awa)
    desk.reply(before, awa, "Il se demande à la mairie de votre lieu de naissance.")
    desk.close(before, awa)
    ids = {"sms:1": conversation("sms:1", "+2290197000010", "Je veux renouveler mon passeport")}
    ids["sms:2"] = conversation("sms:2", "+2290197000020", "Mon casier judiciaire")
    desk.take(ids["sms:2"], awa)
    desk.reply(ids["sms:2"], awa, "Bonjour, ici Awa du 135. Je regarde votre dossier.")
    ids["sms:3"] = conversation("sms:3", regular, "Où en est ma demande de passeport ?")
    desk.take(ids["sms:3"], awa)
    for n in range(8):
        desk.record(Exchange("sms", "sms:3", regular, "in", f"Précision n°{n + 1} sur mon dossier",
                             "fr"))
        desk.reply(ids["sms:3"], awa, f"Bien noté ({n + 1}). Votre demande est en cours "
                                      "d'instruction.")
    desk.close(ids["sms:3"], awa)
    desk.request_callback(channel="ussd", session="ATUid_cb", user="+2290197000040",
                          phone="+2290197000040", slot="demain matin", lang="fr",
                          topic="passeport")
    app.config["TEST_CONVERSATIONS"] = ids


@pytest.fixture
def sites(make_sites):
    return make_sites(HOST_PAGE, prepare=_desk_with_conversations, OFFICE_HOURS="always")


def log_in(page, base: str, login: str) -> None:
    page.goto(f"{base}/agent/")
    check(page, "console login")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="En attente")).to_be_visible()


def test_the_console_passes_axe_on_every_screen(page, sites):
    base, ids = sites["guichet"], sites["app"].config["TEST_CONVERSATIONS"]
    shots = artifacts_dir()
    page.set_viewport_size({"width": 1280, "height": 860})
    log_in(page, base, "awa")
    expect(page.locator("#queue")).to_contain_text("renouveler mon passeport")
    check(page, "console queue")
    page.screenshot(path=str(shots / "console-queue.png"), full_page=True)

    page.goto(f"{base}/agent/c/{ids['sms:2']}")
    expect(page.locator("#transcript")).to_contain_text("Je regarde votre dossier")
    check(page, "console open conversation")
    page.screenshot(path=str(shots / "console-conversation.png"), full_page=True)

    page.goto(f"{base}/agent/c/{ids['sms:3']}")
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("en cours d'instruction")
    expect(transcript).to_contain_text("acte de naissance")  # the citizen's earlier conversation
    assert transcript.evaluate("t => t.scrollHeight > t.clientHeight")  # it scrolls
    check(page, "console closed conversation")
    reachable(page, "#transcript")
    page.screenshot(path=str(shots / "console-closed.png"), full_page=True)


def test_the_supervisor_pages_pass_axe(page, sites):
    base = sites["guichet"]
    log_in(page, base, "eve")
    for path, name in (("/agent/queue?view=all", "queue (all)"),
                       ("/agent/queue?view=mine", "my conversations"),
                       ("/agent/queue?view=callbacks", "callbacks"),
                       ("/agent/supervisor", "supervisor"), ("/agent/audit", "audit log")):
        page.goto(base + path)
        if name == "callbacks":
            expect(page.locator("main")).to_contain_text("demain matin")
        check(page, f"console {name}")
    page.screenshot(path=str(artifacts_dir() / "console-supervisor.png"), full_page=True)


def reachable(page, selector: str) -> None:
    """A region that scrolls can be focused (then scrolled) from the keyboard, and says what
    it is."""
    region = page.locator(selector)
    assert region.get_attribute("tabindex") == "0"
    assert region.get_attribute("aria-label") or region.get_attribute("aria-labelledby")
    region.focus()
    expect(region).to_be_focused()


def test_the_simulator_passes_axe_with_every_pane_in_use(page, sites):
    page.goto(f"{sites['guichet']}/simulator/")
    screen = page.locator("#ussd-screen")
    expect(screen).to_contain_text("*202#")
    # before any call, the counter counts no network screen (the instruction is not one)
    check(page, "simulator, idle")
    expect(page.locator("#ussd-count")).to_have_text("0/160")
    hang_up = page.get_by_role("button", name="Raccrocher")
    fits = hang_up.evaluate("b => b.scrollWidth <= b.clientWidth")
    assert fits, "Raccrocher overflows its button"

    page.get_by_role("button", name="Appeler").click()
    expect(screen).to_contain_text("1 Francais", timeout=WAIT)
    shown = screen.inner_text()
    expect(page.locator("#ussd-count")).to_have_text(f"{len(shown)}/160")

    page.locator("#sms-text").fill("prix du passeport")
    page.locator("#sms-form button").click()
    expect(page.locator("#sms-thread")).to_contain_text("30 000 F CFA", timeout=WAIT)
    reachable(page, "#sms-thread")
    page.locator("#wa-text").fill("combien coute le casier judiciaire")
    page.locator("#wa-text").press("Enter")
    expect(page.locator("#wa-thread")).to_contain_text("1 900", timeout=WAIT)
    reachable(page, "#wa-thread")
    check(page, "simulator, every pane in use")


def test_the_widget_on_a_portal_page_passes_axe(page, sites):
    page.goto(sites["portal"])
    page.get_by_role("button", name="Ouvrir le chat Service Public").click()
    expect(page.get_by_role("button", name="Démarches et coûts")).to_be_visible(timeout=WAIT)
    check(page, "web chat widget")
