"""The desk records a live conversation's exchanges off the citizen's request: a slow or locked
records database never delays the answer, and the agent still sees the message at once after.

Played on the web chat with a real SQLite file whose write lock another connection holds, the
way a long purge or a busy worker would."""

from __future__ import annotations

import sqlite3
import time

from channels import migrate
from channels.outbox import engine_for
from channels.queue import RQQueue
from channels.tasks import record_later
from dialogs.desk import HandoffDesk, RecordLater
from dialogs.desk.hours import OfficeHours
from dialogs.handoff import Exchange
from dialogs.sender import Senders
from tests.conftest import free_port, wait_for
from tests.test_webchat import Visitor

LOCK_SECONDS = 3.0


def test_a_citizen_waiting_for_an_agent_is_answered_while_the_records_are_locked(
        make_app, tmp_path):
    app = make_app()  # the records in tmp_path/guichet.db, the line always open
    desk = app.extensions["guichet"].desk
    eve = desk.accounts.add(login="eve", password="a long password", role="supervisor")
    visitor = Visitor(app.test_client())
    visitor.send(text="je veux parler a un agent")
    (conv,) = wait_for(lambda: desk.queue(eve, "all"))
    assert conv.channel == "webchat" and conv.status == "waiting"

    locker = sqlite3.connect(tmp_path / "guichet.db", isolation_level=None, timeout=30)
    locker.execute("BEGIN IMMEDIATE")  # nobody else may write until it ends
    try:
        started = time.monotonic()
        visitor.send(text="vous etes la ?")
        answered_in = time.monotonic() - started
    finally:
        time.sleep(max(0.0, LOCK_SECONDS - (time.monotonic() - started)))
        locker.execute("ROLLBACK")
        locker.close()
    assert answered_in < LOCK_SECONDS / 2  # the answer did not wait for the records

    said = wait_for(lambda: [m["text"] for m in desk.transcript(conv)
                             if m["text"] == "vous etes la ?"], timeout=10)
    assert said == ["vous etes la ?"]


def test_exchanges_with_the_bot_are_kept_in_order_for_a_later_handoff(make_app):
    """Off the request, the question and the bot's answer still reach the agent in order."""
    app = make_app()
    desk = app.extensions["guichet"].desk
    eve = desk.accounts.add(login="eve", password="a long password", role="supervisor")
    visitor = Visitor(app.test_client())
    visitor.send(text="combien coute le passeport")
    time.sleep(0.3)  # the citizen reads the answer
    visitor.send(text="je veux parler a un agent")
    (conv,) = wait_for(lambda: desk.queue(eve, "all"))
    texts = wait_for(lambda: [m["text"] for m in desk.transcript(conv)
                              if m["direction"] == "in"][-2:] == [
        "combien coute le passeport", "je veux parler a un agent"] and [
        (m["direction"], m["text"]) for m in desk.transcript(conv)])
    directions = [d for d, _ in texts]
    assert directions[:2] == ["in", "out"]  # the question, then the bot's answer


def test_exchanges_are_recorded_inline_when_the_queue_refuses_them(tmp_path):
    """Redis down: the hop's exchanges are written at once rather than lost."""
    engine = engine_for(f"sqlite:///{tmp_path / 'records.db'}")
    migrate.upgrade(engine)
    desk = HandoffDesk(engine, hours=OfficeHours.parse("always"), senders=Senders())
    dead = RQQueue(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    manager_side = RecordLater(desk, lambda exchanges: record_later(dead, exchanges))
    manager_side.record(Exchange("sms", "s1", "+2290197001122", "in", "bonjour", "fr"),
                        Exchange("sms", "s1", "+2290197001122", "out", "Bienvenue", "fr"))
    kept = desk.recent.peek("+2290197001122", "sms", "s1")
    assert [(e["direction"], e["text"]) for e in kept] == [("in", "bonjour"),
                                                          ("out", "Bienvenue")]
    engine.dispose()
