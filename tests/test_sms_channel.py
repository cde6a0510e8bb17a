"""SMS questions answered by SMS, played as Africa's Talking (callbacks in, SDK calls out)."""

from __future__ import annotations

import itertools

import pytest

from channels.gsm7 import is_gsm7, segments
from tests.conftest import wait_for

_ids = itertools.count(1)


class Texter:
    """A citizen texting the short code through Africa's Talking."""

    def __init__(self, client, fake, number: str) -> None:
        self.client, self.fake, self.number = client, fake, number

    def text(self, body: str, provider_id: str | None = None) -> str:
        seen = len(self.fake.messages_to(self.number))
        response = self.client.post("/sms/inbound", data={
            "from": self.number, "to": "1350", "text": body, "date": "2026-11-22 10:00:00",
            "id": provider_id or f"ATXid_in_{next(_ids)}", "linkId": "link-1"})
        assert response.status_code == 200
        replies = wait_for(lambda: self.fake.messages_to(self.number)[seen:] or None, timeout=15)
        return replies[0]

    def silence(self, body: str) -> None:
        """Text and check that nothing comes back."""
        seen = len(self.fake.messages_to(self.number))
        self.client.post("/sms/inbound", data={"from": self.number, "text": body,
                                               "id": f"ATXid_in_{next(_ids)}"})
        app_queue = self.client.application.extensions["guichet"].queue
        app_queue.drain(5)
        assert self.fake.messages_to(self.number)[seen:] == []


@pytest.fixture
def texter(app, at_fake):
    fake, _ = at_fake
    return Texter(app.test_client(), fake, "+2290197000200")


def test_a_question_gets_the_exact_answer_in_gsm7(texter):
    answer = texter.text("combien coute le casier judiciaire")
    assert "1 900 F CFA" in answer and "Cout" in answer
    assert is_gsm7(answer) and segments(answer) <= 3
    assert "1 Toute la fiche" in answer


def test_a_numbered_reply_picks_the_choice(texter):
    texter.text("prix du passeport")
    answer = texter.text("1")
    assert "Validité : " in answer


def test_an_sms_answer_never_offers_to_send_it_by_sms(texter):
    """The citizen is reading an SMS: the choices skip "receive it by SMS", and the numbers
    they read are the numbers that work."""
    answer = texter.text("combien coute le casier judiciaire")
    assert "Recevoir par SMS" not in answer
    assert "1 Toute la fiche" in answer and "2 Faire la demande" in answer
    assert "tape 1/6: Votre NPI" in texter.text("2")  # the form, not the sheet sent again


def test_an_expired_choice_is_explained(texter):
    assert "expir" in texter.text("2")


def test_the_same_provider_id_is_answered_once(texter, at_fake, app):
    fake, _ = at_fake
    texter.text("bonjour", provider_id="ATXid_dup")
    texter.client.post("/sms/inbound", data={"from": texter.number, "text": "bonjour",
                                             "id": "ATXid_dup"})
    app.extensions["guichet"].queue.drain(5)
    assert len(fake.messages_to(texter.number)) == 1


def test_stop_is_confirmed_once_then_nothing_until_start(texter, app):
    confirmation = texter.text("STOP")
    assert "START" in confirmation
    texter.silence("prix du passeport")
    texter.silence("ARRET")
    assert app.extensions["guichet"].inbox.opted_out(texter.number)
    assert "AIDE" in texter.text("start")
    assert "30 000 F CFA" in texter.text("prix du passeport")


def test_keywords_help_language_agent_and_track(texter):
    assert "SUIVI" in texter.text("aide")
    assert "English" in texter.text("LANGUE en")
    assert "ask your question" in texter.text("HELP")  # now in English
    assert "adviser will answer" in texter.text("agent")  # queued for a person
    assert "SP-2026-000123" in texter.text("TRACK sp 2026 000123")


def test_a_long_answer_waits_behind_plus(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   SMS_MAX_SEGMENTS="1")
    texter = Texter(app.test_client(), fake, "+2290197000201")
    first = texter.text("tout sur le passeport")
    assert segments(first) == 1 and first.rstrip().endswith("PLUS pour la suite")
    second = texter.text("PLUS")
    assert second != first and segments(second) == 1
    for _ in range(6):
        if "PLUS pour la suite" not in second:
            break
        second = texter.text("plus")
    assert "Rien de plus" in texter.text("PLUS")


def test_a_flood_gets_one_notice_then_silence(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   SMS_RATE_LIMIT="2")
    texter = Texter(app.test_client(), fake, "+2290197000202")
    texter.text("bonjour")
    texter.text("merci")
    assert "beaucoup de messages" in texter.text("encore")
    texter.silence("et encore")


def test_delivery_reports_update_the_message(texter, app, at_fake):
    fake, _ = at_fake
    texter.text("bonjour")
    provider_id = fake.delivered[-1]["id"]
    log = app.extensions["guichet"].messages
    wait_for(lambda: any(m.provider_id == provider_id for m in log.recent()))
    client = texter.client
    assert client.post("/sms/delivery", data={"id": provider_id, "status": "Failed",
                                              "phoneNumber": texter.number,
                                              "failureReason": "AbsentSubscriber",
                                              "retryCount": "0"}).status_code == 200
    message = next(m for m in app.extensions["guichet"].messages.recent()
                   if m.provider_id == provider_id)
    assert message.status == "failed" and message.error == "AbsentSubscriber"
    assert client.post("/sms/delivery", data={"id": "unknown", "status": "Success"}
                       ).status_code == 200


def test_bad_callbacks_get_200_and_nothing_is_sent(app, at_fake):
    fake, _ = at_fake
    client = app.test_client()
    for data in ({}, {"from": "garbage", "text": "x"}, {"from": "+2290197000203", "text": ""}):
        assert client.post("/sms/inbound", data=data).status_code == 200
    assert client.post("/sms/delivery", data={"status": "Nonsense"}).status_code == 200
    app.extensions["guichet"].queue.drain(5)
    assert fake.delivered == []


def test_an_agent_asked_for_by_keyword_sees_the_subject_and_the_last_question(texter, app):
    """AGENT after a question: the console's "Sujet" and "Dernier message" are filled."""
    texter.text("combien coute le casier judiciaire")
    assert "conseiller" in texter.text("AGENT")
    desk = app.extensions["guichet"].desk
    desk.accounts.add(login="eve", password="a long password", role="supervisor")
    app.extensions["guichet"].queue.drain(5)
    (conv,) = [c for c in desk.queue(desk.accounts.by_login("eve"), "all")
               if c.user == texter.number]
    assert conv.topic == "casier-judiciaire"
    assert conv.last_text == "combien coute le casier judiciaire"
