"""After an agent hands the conversation back, the 1-5 rating question comes with buttons where
the channel has them: a list of five rows on WhatsApp (it allows three buttons at most), five
quick replies in the web chat; a typed digit still counts, and an SMS keeps the plain question."""

from __future__ import annotations

import pytest

from tests.test_webchat import Visitor
from tests.test_whatsapp_channel import graph  # noqa: F401 - the fixture
from tests.whatsapp_user import APP_SECRET, VERIFY_TOKEN, WhatsAppUser, body_of, choices_of

SCORES = [f"rate:{n}" for n in range(1, 6)]


def hand_back(app, channel: str, session: str, user: str) -> None:
    """A citizen asked for a person, an agent took it and handed it back."""
    desk = app.extensions["guichet"].desk
    if desk.accounts.by_login("awa") is None:
        desk.accounts.add(login="awa", password="correct horse battery", role="agent",
                          languages="fr,en", display_name="Awa")
    agent = desk.accounts.by_login("awa")
    desk.enqueue(channel=channel, session=session, user=user, lang="fr", reason="asked",
                 topic=None)
    conv = next(c for c in desk.queue(agent) if c.session == session)
    desk.take(conv.id, agent)
    desk.close(conv.id, agent)


@pytest.fixture
def office_wa_app(make_app, graph):  # noqa: F811 - the fixture above
    return make_app(WHATSAPP_TOKEN=graph.token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                    WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
                    WHATSAPP_API_URL=graph.url, OFFICE_HOURS="always")


def test_whatsapp_rating_is_a_list_of_five_and_a_row_rates(office_wa_app, graph):  # noqa: F811
    user = WhatsAppUser(office_wa_app, graph)
    user.say("bonjour")
    hand_back(office_wa_app, "whatsapp", f"wa:{user.wa_id}", f"+{user.wa_id}")
    user.settle()
    asked = graph.messages_to(user.wa_id)[-1]
    assert "Êtes-vous satisfait" in body_of(asked)
    assert asked["interactive"]["type"] == "list"
    assert [i for i, _ in choices_of(asked)] == SCORES
    user.shown = [asked]
    thanks = user.tap("rate:4")
    assert "Merci pour votre avis." in body_of(thanks[-1])
    desk = office_wa_app.extensions["guichet"].desk
    assert desk.stats()["satisfaction"] == 4.0


def test_web_chat_rating_has_five_buttons_and_a_typed_digit_still_counts(make_app):
    app = make_app(OFFICE_HOURS="always")
    client = app.test_client()
    for how in ("button", "digit"):
        visitor = Visitor(client, lang="fr")
        visitor.send(start="home", lang="fr")
        hand_back(app, "webchat", visitor.id, f"web:{visitor.id}")
        asked = visitor.history()["entries"][-1]
        assert "Êtes-vous satisfait" in "\n".join(asked["reply"]["parts"])
        assert [c["id"] for c in asked["reply"]["choices"]] == SCORES
        assert [c["label"] for c in asked["reply"]["choices"]] == ["1", "2", "3", "4", "5"]
        said = {"choice": "rate:2"} if how == "button" else {"text": "2"}
        thanks = visitor.send(lang="fr", **said)
        assert thanks["parts"] == ["Merci pour votre avis."], how
