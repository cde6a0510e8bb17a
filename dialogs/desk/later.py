"""The desk as the dialog manager gets it: recording off the request path.

The manager records every exchange of a live channel (SMS, WhatsApp, web chat).  Written inline,
that was SQL in the citizen's request (a lookup, and during a hand-off inserts and an update),
so a slow or locked database made the citizen wait for their answer.  :class:`RecordLater`
hands the exchanges to ``later`` instead (the composition root queues a task that calls
:meth:`HandoffDesk.record` in a worker, or on the embedded thread pool), dated when they were
said; everything else goes to the desk as before.  If handing them over fails (the queue's Redis
down), they are recorded inline rather than lost.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from dialogs.desk.desk import HandoffDesk
from dialogs.handoff import Exchange, Ticket

log = logging.getLogger(__name__)


class RecordLater:
    """A :class:`dialogs.handoff.Desk` that records through ``later`` and delegates the rest."""

    def __init__(self, desk: HandoffDesk, later: Callable[[list[Exchange]], None]) -> None:
        self.desk = desk
        self.later = later

    def record(self, *exchanges: Exchange) -> None:
        now = self.desk.clock()
        dated = [e if e.at else dataclasses.replace(e, at=now) for e in exchanges]
        if not dated:
            return
        try:
            self.later(dated)
        except Exception:  # the queue is down: slower, but the agent still sees them
            log.warning("exchanges recorded inline: the task queue refused them")
            self.desk.record(*dated)

    def hours(self) -> Ticket:
        return self.desk.hours()

    def enqueue(self, *, channel: str, session: str, user: str, lang: str, reason: str,
                topic: str | None) -> Ticket:
        return self.desk.enqueue(channel=channel, session=session, user=user, lang=lang,
                                 reason=reason, topic=topic)

    def request_callback(self, *, channel: str, session: str, user: str, phone: str,
                         slot: str, lang: str, topic: str | None) -> None:
        self.desk.request_callback(channel=channel, session=session, user=user, phone=phone,
                                   slot=slot, lang=lang, topic=topic)

    def with_agent(self, channel: str, session: str) -> bool:
        return self.desk.with_agent(channel, session)

    def awaiting_rating(self, channel: str, session: str) -> bool:
        return self.desk.awaiting_rating(channel, session)

    def record_satisfaction(self, channel: str, session: str, score: int | str) -> bool:
        return self.desk.record_satisfaction(channel, session, score)
