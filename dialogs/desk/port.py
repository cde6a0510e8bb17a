"""The desk as the dialog manager sees it: :class:`dialogs.handoff.Desk`, implemented over the
records (queue a live conversation, keep a callback request, record exchanges, ratings)."""

from __future__ import annotations

import sqlalchemy as sa

from dialogs.desk.base import DeskBase
from dialogs.desk.records import OPEN, callbacks, conversations, handoffs, messages
from dialogs.handoff import Exchange, Ticket


class PortOps(DeskBase):
    """Every method of the :class:`dialogs.handoff.Desk` port, and the few more the manager's
    hand-off screens need."""

    def hours(self) -> Ticket:
        now = self.clock()
        if self.office.is_open(now):
            return Ticket(open=True)
        opens = self.office.next_open(now)
        return Ticket(open=False, opens_at=opens.isoformat() if opens else None)

    def enqueue(self, *, channel: str, session: str, user: str, lang: str, reason: str,
                topic: str | None) -> Ticket:
        """Queue a live conversation; idempotent while it waits or talks with a person.

        Outside office hours nothing is queued: the ticket says when the line opens.
        """
        existing = self._open(channel, session)
        if existing is not None:
            return self._ticket(existing)
        line = self.hours()
        if not line.open:
            return line
        now = self.clock()
        reason = (reason or "asked")[:40]
        lang, topic = (lang or "fr")[:8], topic[:100] if topic else None
        earlier = self.recent.peek(user, channel, session)
        try:
            with self.engine.begin() as db:
                conv_id = db.execute(conversations.insert().values(
                    channel=channel[:20], session=session[:200], user=user[:128], lang=lang,
                    topic=topic, reason=reason, status="waiting", created_at=now,
                    updated_at=now).returning(conversations.c.id)).scalar_one()
                db.execute(handoffs.insert().values(
                    conversation_id=conv_id, channel=channel[:20], lang=lang, topic=topic,
                    reason=reason, requested_at=now))
                # what the bot already said in this session belongs to the hand-off: written
                # to the records now, and only now
                if earlier:
                    db.execute(messages.insert(), [
                        self._row(conv_id, item.get("channel") or channel,
                                  item.get("session") or session, item) for item in earlier])
            self.recent.forget(user, channel, session)
        except sa.exc.IntegrityError:  # the same conversation, queued by a parallel hop
            pass
        self.notifier.bump()
        conv = self._open(channel, session)
        return self._ticket(conv) if conv else Ticket(open=True, position=1)

    def request_callback(self, *, channel: str, session: str, user: str, phone: str,
                         slot: str, lang: str, topic: str | None) -> None:
        """Keep a callback request; a second one from the same session updates the first."""
        now = self.clock()
        values = dict(user=user[:128], phone=phone[:32], slot=(slot or "")[:60],
                      lang=(lang or "fr")[:8], topic=topic[:100] if topic else None,
                      updated_at=now)
        with self.engine.begin() as db:
            done = db.execute(callbacks.update().where(
                callbacks.c.channel == channel, callbacks.c.session == session,
                callbacks.c.status == "open").values(**values))
            if not done.rowcount:
                db.execute(callbacks.insert().values(channel=channel, session=session,
                                                     status="open", created_at=now, **values))
        self.notifier.bump()

    def with_agent(self, channel: str, session: str) -> bool:
        return self._open(channel, session) is not None

    def record(self, *exchanges: Exchange) -> None:
        """Keep messages: in the records while a person has (or awaits) the conversation,
        where they show on their screen; otherwise only in the short-lived recent exchanges a
        hand-off would carry over (see :mod:`dialogs.desk.recent`).  Each is dated when it
        happened (``Exchange.at``), not when it is written: the task queue may write it later."""
        for exchange in exchanges:
            self._keep(exchange)

    def _keep(self, exchange: Exchange) -> None:
        now = exchange.at or self.clock()
        with self.engine.begin() as db:
            conv_id = db.execute(sa.select(conversations.c.id).where(
                conversations.c.channel == exchange.channel,
                conversations.c.session == exchange.session,
                conversations.c.status.in_(OPEN))).scalar()
            if conv_id is not None:
                db.execute(messages.insert().values(self._row(
                    conv_id, exchange.channel, exchange.session,
                    {"user": exchange.user, "direction": exchange.direction,
                     "text": exchange.text, "intent": exchange.intent,
                     "procedure": exchange.procedure, "lang": exchange.lang, "at": now})))
                db.execute(conversations.update().where(conversations.c.id == conv_id)
                           .values(updated_at=self.clock()))
        if conv_id is None:
            self.recent.add(exchange, now)
        else:
            self.notifier.bump()

    @staticmethod
    def _row(conv_id: int, channel: str, session: str, item: dict) -> dict:
        return dict(conversation_id=conv_id, channel=channel[:20], session=session[:200],
                    user=(item["user"] or "")[:128], direction=item["direction"][:8],
                    text=item["text"] or "",
                    intent=(item["intent"] or None) and item["intent"][:40],
                    procedure=(item["procedure"] or None) and item["procedure"][:100],
                    lang=(item["lang"] or "fr")[:8], agent_id=None, at=item["at"])

    # == more for the dialog manager ========================================================

    def ticket(self, channel: str, session: str) -> Ticket | None:
        """Where a conversation stands now: its position while waiting, 0 once a person has
        it, None if it is with the bot."""
        conv = self._open(channel, session)
        return self._ticket(conv) if conv else None

    def leave(self, channel: str, session: str) -> bool:
        """The citizen gives up waiting or ends the conversation; True if there was one."""
        conv = self._open(channel, session)
        if conv is None:
            return False
        self._finish(conv.id, outcome="left", ask=False)
        return True

    def awaiting_satisfaction(self, channel: str, session: str) -> bool:
        """True when the citizen was asked for a 1-5 rating and has not given it yet."""
        return self._rated_handoff(channel, session) is not None

    awaiting_rating = awaiting_satisfaction  # the name the dialog manager asks for

    def record_satisfaction(self, channel: str, session: str, score: int | str) -> bool:
        """Keep the citizen's 1-5 rating of their last hand-off; False if none awaits one."""
        try:
            value = int(str(score).strip())
        except ValueError:
            return False
        if not 1 <= value <= 5:
            return False
        handoff_id = self._rated_handoff(channel, session)
        if handoff_id is None:
            return False
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id)
                       .values(satisfaction=value))
        self.notifier.bump()
        return True

