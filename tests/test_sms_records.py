"""The SMS message log, inbox and opt-outs behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from channels import migrate
from channels.outbox import MessageLog, engine_for
from channels.sms.inbox import Inbox

NUMBER = "+2290197000500"


def test_a_message_is_claimed_once_and_its_states_are_kept(db_url):
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    try:
        log = MessageLog(engine)
        first = log.claim(key="k1", channel="sms", recipient=NUMBER, body="Bonjour", lang="fr")
        again = log.claim(key="k1", channel="sms", recipient=NUMBER, body="Autre", lang="fr")
        assert first.id == again.id and again.body == "Bonjour"
        log.update(first.id, status="sent", provider_id="ATXid_1")
        assert log.update_by_provider_id("ATXid_1", status="delivered")
        assert not log.update_by_provider_id("ATXid_unknown", status="delivered")
        log.update(log.claim(key="k2", channel="sms", recipient=NUMBER, body="x",
                             lang="fr").id, status="dead", error="503")
        assert [m.key for m in log.dead_letters()] == ["k2"]
        assert log.reopen("k2").status == "pending"
        assert [m.status for m in log.recent(NUMBER)] == ["pending", "delivered"]
    finally:
        engine.dispose()


def test_incoming_sms_are_recorded_once_and_opt_outs_kept(db_url):
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    try:
        MessageLog(engine)
        inbox = Inbox(engine)
        message, created = inbox.record(provider_id="in-1", sender=NUMBER, recipient="1350",
                                        text="bonjour", link_id=None)
        duplicate, again = inbox.record(provider_id="in-1", sender=NUMBER, recipient="1350",
                                        text="bonjour", link_id=None)
        assert created and not again and duplicate.id == message.id
        assert [m.id for m in inbox.unfinished()] == [message.id]
        assert [m.id for m in inbox.unanswered(older_than=0, newer_than=3600)] == [message.id]
        assert inbox.unanswered(older_than=3600, newer_than=7200) == []
        assert inbox.claim(message.id) and not inbox.claim(message.id)  # answered once
        assert inbox.unanswered(older_than=0, newer_than=3600) == []
        inbox.release(message.id)
        assert inbox.claim(message.id)
        inbox.mark(message.id, "answered")
        assert inbox.unfinished() == []
        assert inbox.opt_out(NUMBER) and not inbox.opt_out(NUMBER)
        assert inbox.opted_out(NUMBER)
        assert inbox.opt_in(NUMBER) and not inbox.opted_out(NUMBER)
    finally:
        engine.dispose()
