"""The tables of the news: ``portal_events`` (each event id once) and ``followed_requests``
(a filed request -> the citizen's channel, address, language and what they were last told).

``portal_events`` is the exactly-once gate: the portal may deliver an event several times, at
once, to several workers; the first insert of its id wins (``INSERT ... ON CONFLICT DO
NOTHING``, safe on PostgreSQL and SQLite), the others do nothing.  ``followed_requests`` also
holds the last status and payment the citizen was told about, set by compare-and-set, so an
event and the polling fallback seeing the same change tell the citizen once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

metadata = sa.MetaData()
DateTime = sa.DateTime(timezone=True)

portal_events = sa.Table(
    "portal_events",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("reference", sa.String(40), nullable=False),
    sa.Column("received_at", DateTime, nullable=False),
    sa.Column("done_at", DateTime),
)

followed_requests = sa.Table(
    "followed_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(40), nullable=False, unique=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(32)),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("last_status", sa.String(20)),
    sa.Column("payment_notified", sa.String(120)),
    sa.Column("closed", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", DateTime, nullable=False),
    sa.Column("checked_at", DateTime),
    sa.Index("ix_followed_requests_open", "closed", "id"),  # the polling's page after a cursor
)

PAID = "paid"
"""``payment_notified`` once the citizen was told their request is paid: nothing about its
payments is told after that."""

FINAL_STATES = ("ready", "rejected")
"""After these the portal has nothing more to say: the request is no longer polled."""


@dataclass(frozen=True)
class Followed:
    id: int
    reference: str
    channel: str
    """``sms`` (USSD and SMS), ``whatsapp`` or ``webchat``."""
    address: str
    """``+229...`` or ``web:<session>``."""
    phone: str | None
    """The citizen's number when known (a web visitor who proved it): SMS when the chat is gone."""
    lang: str
    last_status: str | None
    payment_notified: str | None
    closed: bool


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _insert_once(db: sa.Connection, table: sa.Table, unique: list[str]):
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` in the connection's dialect (it leaves a
    PostgreSQL transaction usable, which catching the unique violation would not)."""
    if db.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table).on_conflict_do_nothing(index_elements=unique)


def _followed(row: sa.Row) -> Followed:
    return Followed(**{k: row._mapping[k] for k in Followed.__dataclass_fields__})


class NewsRecords:
    """Both tables, on the service's database (the outbox's engine)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- events: each id once --
    def first_delivery(self, event_id: str, kind: str, reference: str) -> bool:
        """Record an event; True only for the first delivery of its id, whoever races."""
        with self.engine.begin() as db:
            done = db.execute(_insert_once(db, portal_events, ["id"]).values(
                id=event_id, type=kind, reference=reference, received_at=_now())
                .returning(portal_events.c.id)).first()
        return done is not None  # (rowcount is not reliable for ON CONFLICT on every driver)

    def forget(self, event_id: str) -> None:
        """The event could not be queued: let the portal's next delivery be the first."""
        with self.engine.begin() as db:
            db.execute(portal_events.delete().where(portal_events.c.id == event_id,
                                                    portal_events.c.done_at.is_(None)))

    def done(self, event_id: str) -> None:
        with self.engine.begin() as db:
            db.execute(portal_events.update().where(portal_events.c.id == event_id)
                       .values(done_at=_now()))

    # -- followed requests --
    def follow(self, *, reference: str, channel: str, address: str, phone: str | None,
               lang: str) -> bool:
        """Remember where a filed request's citizen is reached; the first filing wins."""
        with self.engine.begin() as db:
            done = db.execute(_insert_once(db, followed_requests, ["reference"]).values(
                reference=reference.upper(), channel=channel, address=address[:64],
                phone=phone, lang=lang, closed=False, created_at=_now())
                .returning(followed_requests.c.id)).first()
        return done is not None

    def get(self, reference: str) -> Followed | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(followed_requests).where(
                followed_requests.c.reference == reference.upper())).first()
        return _followed(row) if row else None

    def claim_status(self, reference: str, status: str) -> str | None | bool:
        """Compare-and-set the status last told: returns the previous one (None if none) when
        this caller is the one to tell ``status``, False when it was already told."""
        table = followed_requests
        with self.engine.begin() as db:
            row = db.execute(sa.select(table.c.last_status)
                             .where(table.c.reference == reference.upper())).first()
            if row is None or row.last_status == status:
                return False
            done = db.execute(table.update().where(
                table.c.reference == reference.upper(),
                table.c.last_status.is_(None) if row.last_status is None
                else table.c.last_status == row.last_status,
            ).values(last_status=status, closed=status in FINAL_STATES, checked_at=_now()))
        return row.last_status if done.rowcount else False

    def release_status(self, reference: str, status: str, previous: str | None) -> None:
        """Undo :meth:`claim_status` when the news could not be queued (a retry tells it)."""
        table = followed_requests
        with self.engine.begin() as db:
            db.execute(table.update().where(table.c.reference == reference.upper(),
                                            table.c.last_status == status)
                       .values(last_status=previous, closed=previous in FINAL_STATES))

    def claim_payment(self, reference: str, marker: str) -> bool:
        """Compare-and-set the payment outcome last told (``<payment_id>:failed`` or
        :data:`PAID`): False when it was told already, or the request was told paid."""
        table = followed_requests
        with self.engine.begin() as db:
            done = db.execute(table.update().where(
                table.c.reference == reference.upper(),
                sa.or_(table.c.payment_notified.is_(None),
                       table.c.payment_notified.not_in((marker, PAID))),
            ).values(payment_notified=marker))
        return bool(done.rowcount)

    def release_payment(self, reference: str, marker: str) -> None:
        table = followed_requests
        with self.engine.begin() as db:
            db.execute(table.update().where(table.c.reference == reference.upper(),
                                            table.c.payment_notified == marker)
                       .values(payment_notified=None))

    def open_page(self, after_id: int, limit: int) -> list[Followed]:
        """The next ``limit`` requests still open, by id after the cursor ``after_id``: a poll
        reads one page per round, never the whole table."""
        table = followed_requests
        with self.engine.connect() as db:
            rows = db.execute(sa.select(table).where(table.c.id > after_id,
                                                     table.c.closed.is_(False))
                              .order_by(table.c.id).limit(limit)).all()
        return [_followed(r) for r in rows]

    def checked(self, reference: str) -> None:
        with self.engine.begin() as db:
            db.execute(followed_requests.update().where(
                followed_requests.c.reference == reference.upper()).values(checked_at=_now()))
