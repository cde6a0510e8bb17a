"""Incoming SMS and opt-outs, kept durably beside the outbound message log.

An incoming message is written here before anything else happens to it: the provider's ``id``
is unique, so a redelivered callback is recognised (and not answered twice) even after a restart,
and a message whose processing died can be found and finished.  Opt-outs (``STOP``) must outlive
every cache: they are a promise to the citizen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from channels.outbox import insert_once, metadata

inbound = sa.Table(
    "inbound_sms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider_id", sa.String(100), nullable=False, unique=True),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("link_id", sa.String(100)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
)
optouts = sa.Table(
    "sms_optouts",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class IncomingSms:
    id: int
    provider_id: str
    sender: str
    recipient: str | None
    text: str
    link_id: str | None
    status: str


class Inbox:
    """Record incoming SMS once per provider id, and keep opt-outs."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine  # the schema is the migrations' (channels.migrate)

    def record(self, *, provider_id: str, sender: str, recipient: str | None, text: str,
               link_id: str | None) -> tuple[IncomingSms, bool]:
        """Store the message; ``(message, False)`` when this provider id was seen before."""
        with self.engine.begin() as db:
            row = db.execute(sa.select(inbound).where(inbound.c.provider_id == provider_id)).first()
            created = row is None
            if created:  # a concurrent delivery of the same id may win: then it inserts nothing
                inserted = db.execute(insert_once(db, inbound, ["provider_id"]).values(
                    provider_id=provider_id, sender=sender, recipient=recipient, text=text,
                    link_id=link_id, status="received",
                    received_at=dt.datetime.now(dt.UTC)).returning(inbound.c.id)).first()
                created = inserted is not None
                row = db.execute(sa.select(inbound)
                                 .where(inbound.c.provider_id == provider_id)).first()
        return self._message(row), created

    def get(self, message_id: int) -> IncomingSms | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(inbound).where(inbound.c.id == message_id)).first()
        return self._message(row) if row else None

    def mark(self, message_id: int, status: str) -> None:
        with self.engine.begin() as db:
            db.execute(inbound.update().where(inbound.c.id == message_id).values(status=status))

    def claim(self, message_id: int) -> bool:
        """Take a ``received`` message for answering; False when another worker has it.

        The answer may be queued twice (the webhook's job and a sweep, or RQ's retry beside a
        sweep): only the worker that moves it to ``handling`` answers it.
        """
        with self.engine.begin() as db:
            done = db.execute(inbound.update().where(inbound.c.id == message_id)
                              .where(inbound.c.status == "received")
                              .values(status="handling", claimed_at=dt.datetime.now(dt.UTC)))
        return done.rowcount == 1

    def release(self, message_id: int) -> None:
        """Give a claimed message back (its answer failed for a reason that will pass)."""
        with self.engine.begin() as db:
            db.execute(inbound.update().where(inbound.c.id == message_id)
                       .where(inbound.c.status == "handling").values(status="received"))

    def release_stale(self, *, older_than: float) -> int:
        """Give back messages claimed more than ``older_than`` seconds ago and still
        ``handling``: their worker died (an answer takes seconds); returns how many.

        One statement, so a worker that finishes meanwhile keeps its ``answered``.
        """
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than)
        with self.engine.begin() as db:
            done = db.execute(inbound.update().where(inbound.c.status == "handling")
                              .where(inbound.c.claimed_at <= cutoff)
                              .values(status="received", claimed_at=None))
        return done.rowcount

    def unanswered(self, *, older_than: float, newer_than: float,
                   limit: int = 100) -> list[IncomingSms]:
        """``received`` messages that have waited ``older_than`` seconds, not ``newer_than``.

        What a sweep picks up: the queue lost or never got their job (Redis was down).
        """
        now = dt.datetime.now(dt.UTC)
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(inbound).where(inbound.c.status == "received")
                .where(inbound.c.received_at <= now - dt.timedelta(seconds=older_than))
                .where(inbound.c.received_at >= now - dt.timedelta(seconds=newer_than))
                .order_by(inbound.c.id).limit(limit)).all()
        return [self._message(r) for r in rows]

    def unfinished(self, limit: int = 100) -> list[IncomingSms]:
        """Messages recorded but never answered, or whose worker died while answering them.

        For the operator's ``resume``: a ``handling`` message may have been answered just
        before its worker died (the reply's key still makes it go out once).
        """
        with self.engine.begin() as db:
            db.execute(inbound.update().where(inbound.c.status == "handling")
                       .values(status="received"))
            rows = db.execute(sa.select(inbound).where(inbound.c.status == "received")
                              .order_by(inbound.c.id).limit(limit)).all()
        return [self._message(r) for r in rows]

    def opted_out(self, phone: str) -> bool:
        with self.engine.connect() as db:
            return db.execute(sa.select(optouts.c.phone)
                              .where(optouts.c.phone == phone)).first() is not None

    def opt_out(self, phone: str) -> bool:
        """Record ``STOP``; False when the number had already opted out."""
        with self.engine.begin() as db:
            return db.execute(insert_once(db, optouts, ["phone"]).values(
                phone=phone, since=dt.datetime.now(dt.UTC)).returning(optouts.c.phone)
            ).first() is not None

    def opt_in(self, phone: str) -> bool:
        """Record ``START``; False when the number had not opted out."""
        with self.engine.begin() as db:
            return db.execute(optouts.delete().where(optouts.c.phone == phone)).rowcount > 0

    @staticmethod
    def _message(row) -> IncomingSms:
        return IncomingSms(**{k: row._mapping[k] for k in IncomingSms.__dataclass_fields__})
