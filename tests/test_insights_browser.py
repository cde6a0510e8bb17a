"""The insights page in a real browser: a supervisor logs in, reads the charts (drawn by the
vendored Chart.js under the console's strict CSP), changes the period, and labels an
unanswered question; screenshots go to ``test-artifacts/``.

Debian's chromium (``/usr/bin/chromium``) driven by Playwright, nothing downloaded; skipped
without Playwright except under ``CI=true``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import expect  # skips the module without Playwright
from tests.conftest import artifacts_dir
from tests.ussd_phone import Phone

WAIT = 15_000
PASSWORD = "a long password"
PAGE = "<!doctype html><html><body><p>{guichet}</p></body></html>"
CHARTS = ("chart-days", "chart-procedures", "chart-channels", "chart-languages", "chart-funnel",
          "chart-handoffs", "chart-sms")


def traffic(app) -> None:
    client = app.test_client()
    for i, text in enumerate(["combien coute le casier judiciaire", "prix du passeport",
                              "papiers pour le passeport",
                              "Je suis Koffi Agossou 0197000555, je veux adopter un chat"]):
        assert client.post("/sms/inbound", data={"from": f"+22901970004{i:02d}", "text": text,
                                                 "id": f"ATXid_br_{i}"}).status_code == 200
    for number in ("+2290197000411", "+2290197000412"):
        phone = Phone(client, number)
        phone.dial()
        phone.press("1", "1", "1", "1", "98", "2")
        if number.endswith("1"):
            phone.press("1234567890")
    app.extensions["guichet"].queue.drain(10)


@pytest.fixture
def site(make_sites):
    def prepare(app) -> None:
        app.extensions["guichet"].desk.accounts.add(
            login="eve", password=PASSWORD, display_name="Eve", role="supervisor",
            languages="fr")
        traffic(app)

    return make_sites(PAGE, prepare=prepare)


def test_supervisor_reads_the_charts_and_labels_a_question(page, site):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{site['guichet']}/agent/insights?days=7")
    page.get_by_label("Identifiant").fill("eve")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord", exact=False)).to_be_visible(
        timeout=WAIT)
    expect(page.locator("body")).to_have_attribute("data-charts", str(len(CHARTS)),
                                                   timeout=WAIT)
    for chart in CHARTS:
        canvas = page.locator(f"#{chart}")
        expect(canvas).to_have_attribute("data-drawn", "1")
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100
    # the procedures chart drew bars: its pixels are not all blank
    painted = page.locator("#chart-procedures").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }")
    assert painted > 500
    expect(page.locator("#funnel")).to_contain_text("casier-judiciaire")
    expect(page.locator("#unanswered")).to_contain_text("adopter un chat")
    expect(page.locator("#unanswered")).not_to_contain_text("Koffi")
    page.screenshot(path=str(artifacts_dir() / "insights-page.png"), full_page=True)

    # the period: 30 days, by the select (submits itself)
    page.get_by_label("Période").select_option("30")
    page.wait_for_url("**/agent/insights?days=30", timeout=WAIT)
    expect(page.locator("body")).to_have_attribute("data-charts", str(len(CHARTS)),
                                                   timeout=WAIT)

    # the period: two dates (Benin days), the charts follow, the CSV link keeps them
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=1))).date()
    first = (today - dt.timedelta(days=2)).isoformat()
    page.get_by_label("Du", exact=True).fill(first)
    page.get_by_label("au", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Afficher ces dates").click()
    page.wait_for_url(f"**/agent/insights?from={first}&to={today.isoformat()}", timeout=WAIT)
    expect(page.locator("body")).to_have_attribute("data-charts", str(len(CHARTS)),
                                                   timeout=WAIT)
    expect(page.locator("form.period").first).to_contain_text(
        f"du {first} au {today.isoformat()}")
    expect(page.get_by_role("link", name="Télécharger les chiffres (CSV)")).to_have_attribute(
        "href", f"/agent/insights.csv?from={first}&to={today.isoformat()}")
    expect(page.locator("#unanswered")).to_contain_text("adopter un chat")

    # label the unanswered question as out of scope
    row = page.locator("#unanswered tbody tr", has_text="adopter un chat")
    row.get_by_label("Intention").select_option("out_of_scope")
    row.get_by_role("button", name="Étiqueter").click()
    expect(page.locator(".flash")).to_contain_text("Question étiquetée", timeout=WAIT)
    expect(page.locator("#unanswered tbody tr", has_text="adopter un chat")).to_contain_text(
        "étiquetée")
    expect(page.locator("#labels")).to_contain_text("eve")
    expect(page.locator("[data-figure=learning]")).to_contain_text("Sur les 1 questions")
    page.screenshot(path=str(artifacts_dir() / "insights-labelled.png"), full_page=True)
    assert not errors, errors
