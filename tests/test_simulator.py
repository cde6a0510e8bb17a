"""The simulator page and its small JSON endpoints (the browser tests drive the page itself)."""

from __future__ import annotations

import json

from tests.conftest import wait_for

PHONE = "+2290197000400"


def test_the_page_and_its_files_are_served(make_app):
    client = make_app().test_client()
    page = client.get("/simulator/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for part in ("ussd-screen", "sms-thread", "wa-thread", "/webchat/widget.js"):
        assert part in html
    assert client.get("/simulator/static/simulator.js").mimetype == "text/javascript"
    assert client.get("/simulator/static/simulator.css").mimetype == "text/css"
    assert client.get("/simulator/static/other.txt").status_code == 404
    config = client.get("/simulator/config").json
    assert config["ussd_code"] == "*202#" and config["screen_max"] == 160
    assert config["session_seconds"] == 180


def test_off_in_production_unless_enabled(make_app):
    live = {"AT_USERNAME": "guichet", "AT_API_KEY": "k", "AT_API_URL": "http://127.0.0.1:9"}
    client = make_app(**live).test_client()
    for path in ("/simulator/", "/simulator/config", f"/simulator/outbox?phone={PHONE}"):
        assert client.get(path).status_code == 404
    assert client.post("/simulator/whatsapp", json={"phone": PHONE, "text": "x"}
                       ).status_code == 404
    enabled = make_app(SIMULATOR_ENABLED="true", **live).test_client()
    assert enabled.get("/simulator/").status_code == 200


def test_the_outbox_shows_what_guichet_sent_to_the_number(make_app):
    client = make_app().test_client()
    assert client.get("/simulator/outbox?phone=abc").status_code == 400
    response = client.post("/sms/inbound", data={
        "from": PHONE, "to": "202", "text": "combien coute le casier judiciaire",
        "date": "2026-11-22 10:00:00", "id": "sim-sms-1", "linkId": ""})
    assert response.status_code == 200

    def sent():
        found = client.get(f"/simulator/outbox?channel=sms&phone={PHONE}").json["messages"]
        return found if found and found[0]["status"] == "outbox" else None

    messages = wait_for(sent, timeout=10)
    assert "1 900 F CFA" in messages[0]["body"] and messages[0]["status"] == "outbox"
    other = client.get("/simulator/outbox?channel=sms&phone=%2B2290197000401").json
    assert other["messages"] == []


def test_the_whatsapp_view_gets_buttons_and_lists_as_whatsapp_shows_them(make_app):
    client = make_app().test_client()

    def say(**body):
        response = client.post("/simulator/whatsapp", json={"phone": PHONE, **body})
        assert response.status_code == 200, response.get_json()
        return response.json

    first = say(text="bonjour")
    assert first["mode"] in ("adapter", "render")
    kinds = [m.get("interactive", {}).get("type") for m in first["messages"]]
    assert "list" in kinds  # the home menu: more than 3 choices
    listing = next(m for m in first["messages"] if m["type"] == "interactive")["interactive"]
    rows = listing["action"]["sections"][0]["rows"]
    assert len(rows) <= 10 and all(len(r["title"]) <= 24 for r in rows)
    sheet = say(text="combien coute le casier judiciaire")
    last = sheet["messages"][-1]
    assert "1\u202f900" in last["interactive"]["body"]["text"]  # real letters and spaces
    buttons = last["interactive"]["action"]["buttons"]
    assert last["interactive"]["type"] == "button" and len(buttons) <= 3
    assert all(len(b["reply"]["title"]) <= 20 for b in buttons)
    voice = say(type="audio")
    assert voice["messages"]  # a voice note gets the polite "text only" answer
    assert client.post("/simulator/whatsapp", json={"phone": "x"}).status_code == 400
    assert client.post("/simulator/whatsapp", data=b"{bad").status_code == 400


def test_the_whatsapp_view_finds_an_agents_answer_in_the_outbox(make_app):
    """An agent's message to a WhatsApp citizen goes out later, through the outbox: the page
    reads it there, and tells it from the answers it already showed (``answered``)."""
    app = make_app(OFFICE_HOURS="always")
    client = app.test_client()
    desk = app.extensions["guichet"].desk
    awa = desk.accounts.add(login="awa", password="a long password", display_name="Awa",
                            languages="fr")
    asked = client.post("/simulator/whatsapp", json={"phone": PHONE,
                                                     "text": "je veux parler a un agent"})
    assert asked.status_code == 200

    def outbox():
        return client.get(f"/simulator/outbox?channel=whatsapp&phone={PHONE}").json["messages"]

    answers = wait_for(lambda: outbox() or None, timeout=10)
    assert answers and all(m["answered"] for m in answers)  # shown by the POST already
    conv = wait_for(lambda: desk.queue(awa, "waiting"), timeout=10)[0]
    assert conv.channel == "whatsapp"
    desk.take(conv.id, awa)
    desk.reply(conv.id, awa, "Bonjour, ici Awa du 135.")

    def later():
        found = [m for m in outbox() if "ici Awa" in m["body"]]
        return found if found and found[0]["status"] == "outbox" else None

    message = wait_for(later, timeout=10)[0]
    assert message["answered"] is False  # the page shows it
    assert json.loads(message["body"])["text"]["body"] == "Bonjour, ici Awa du 135."
