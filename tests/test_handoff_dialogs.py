"""Hand-off seen from the citizen: queued with a position, heard by a person, handed back."""

from __future__ import annotations

import datetime as dt

from tests.conftest import wait_for
from tests.test_sms_channel import Texter

PASSWORD = "correct horse battery"


def test_an_sms_citizen_reaches_a_person_without_repeating_themselves(app, at_fake):
    fake, _ = at_fake
    desk = app.extensions["guichet"].desk
    texter = Texter(app.test_client(), fake, "+2290197000400")
    texter.text("combien coute le passeport")
    queued = texter.text("je veux parler a un agent")
    assert "Vous etes no1 dans la file." in queued  # GSM-7: no ° and no ê
    texter.silence("vous etes la ?")  # kept for the agent; the bot stays quiet

    awa = desk.accounts.add(login="awa", password=PASSWORD, languages="fr")
    (conv,) = desk.queue(awa)
    assert conv.topic == "passeport" and conv.channel == "sms"
    said = [line["text"] for line in desk.transcript(desk.take(conv.id, awa), awa)]
    assert "combien coute le passeport" in said and "vous etes la ?" in said

    desk.reply(conv.id, awa, "Bonjour, ici Awa. Le passeport coute 30 000 F CFA.")
    wait_for(lambda: [m for m in fake.messages_to(texter.number) if "ici Awa" in m])
    desk.close(conv.id, awa)
    wait_for(lambda: [m for m in fake.messages_to(texter.number) if "chiffre de 1" in m])
    assert "Merci pour votre avis" in texter.text("4")
    assert "30 000 F CFA" in texter.text("prix du passeport")  # the bot answers again


def test_outside_office_hours_the_citizen_is_told_when_and_may_be_called_back(make_app, at_fake):
    fake, url = at_fake
    tomorrow = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%a").lower()
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   OFFICE_HOURS=f"{tomorrow} 08:00-09:00")
    texter = Texter(app.test_client(), fake, "+2290197000401")
    closed = texter.text("je veux parler a un conseiller")
    assert "ferm" in closed and "Il ouvre" in closed and "08:00" in closed
    assert "Sur ce numéro" in texter.text("1")  # yes, call me back
    assert "Quand" in texter.text("1")  # on this number
    assert "rappellera" in texter.text("1")  # as soon as possible
