"""Outbound SMS through the africastalking SDK to a loopback fake of its API, and through RQ."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from channels import migrate
from channels.outbox import MessageLog, TransientSendError
from channels.sms.outbound import AfricasTalkingTransport, OutboxTransport, SmsSender
from tests.conftest import wait_for
from tests.ussd_phone import Phone

NUMBER = "+2290197000001"


@pytest.fixture
def messages(tmp_path) -> MessageLog:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'messages.db'}")
    migrate.upgrade(engine)
    return MessageLog(engine)


@pytest.fixture
def sender(messages, at_fake) -> SmsSender:
    fake, url = at_fake
    return SmsSender(messages, AfricasTalkingTransport(fake.username, fake.api_key,
                                                       sender_id="GUICHET", api_url=url))


def test_sms_goes_through_the_sdk_in_gsm7_and_is_recorded(sender, messages, at_fake):
    fake, _ = at_fake
    assert sender.send(NUMBER, "Coût : 1\u202f900\u00a0F\u202fCFA", lang="fr", key="k1") == "sent"
    assert fake.delivered == [{"to": NUMBER, "message": "Cout : 1 900 F CFA", "from": "GUICHET",
                               "id": fake.delivered[0]["id"]}]
    (message,) = messages.recent()
    assert message.status == "sent" and message.provider_id == fake.delivered[0]["id"]
    assert fake.rejected == []


def test_the_same_key_sends_once(sender, at_fake):
    fake, _ = at_fake
    sender.send(NUMBER, "Bonjour", lang="fr", key="same")
    sender.send(NUMBER, "Bonjour", lang="fr", key="same")
    assert len(fake.delivered) == 1 and fake.calls == 1


def test_invalid_number_is_not_retried(sender, messages, at_fake):
    fake, _ = at_fake
    fake.recipient_status[NUMBER] = 403
    assert sender.send(NUMBER, "Bonjour", lang="fr", key="k403") == "failed"
    assert sender.send(NUMBER, "Bonjour", lang="fr", key="k403") == "failed"
    assert fake.calls == 1
    assert messages.recent()[0].error.startswith("403")


def test_provider_outage_is_retried_then_sent(sender, messages, at_fake):
    fake, _ = at_fake
    fake.fail_next = 1
    with pytest.raises(TransientSendError):
        sender.send(NUMBER, "Bonjour", lang="fr", key="k503")
    assert messages.recent()[0].status == "retrying"
    assert sender.send(NUMBER, "Bonjour", lang="fr", key="k503") == "sent"
    assert messages.recent()[0].attempts == 2 and len(fake.delivered) == 1


def test_without_credentials_messages_stay_in_the_local_outbox(messages):
    sender = SmsSender(messages, OutboxTransport())
    assert sender.send(NUMBER, "Bonjour", lang="fr", key="k") == "outbox"
    assert messages.recent(NUMBER)[0].body == "Bonjour"


def test_sms_from_a_ussd_flow_is_sent_by_a_real_rq_worker(make_app, redis_url, at_fake,
                                                          sandbox, tmp_path):
    fake, url = at_fake
    database = f"sqlite:///{tmp_path / 'guichet.db'}"
    app = make_app(REDIS_URL=redis_url, AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=url, DATABASE_URL=database)
    phone = Phone(app.test_client(), number=NUMBER)
    phone.dial()
    phone.press("1", "1", "1", "1", "98", "1")  # casier sheet, receive it by SMS
    assert phone.ended
    assert fake.delivered == []  # queued in Redis, not sent by the web process
    env = dict(os.environ, REDIS_URL=redis_url, PORTAL_URL=sandbox["url"], DATABASE_URL=database,
               AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)
    rq = Path(sys.executable).with_name("rq")
    done = subprocess.run([str(rq), "worker", "-w", "channels.worker.AppWorker", "--burst", "--url",
                           redis_url, "guichet"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    sms = wait_for(lambda: fake.messages_to(NUMBER))
    assert "1 900 F CFA" in sms[0] and "72 heures" in sms[0]


def test_last_failed_try_goes_to_the_dead_letter_list(sender, messages, at_fake):
    fake, _ = at_fake
    fake.fail_next = 1
    assert sender.send(NUMBER, "Bonjour", lang="fr", key="k-dead", final=True) == "dead"
    assert [m.key for m in messages.dead_letters()] == ["k-dead"]
    assert messages.reopen("k-dead").status == "pending"
    assert sender.send(NUMBER, "Bonjour", lang="fr", key="k-dead") == "sent"
    assert messages.dead_letters() == []
