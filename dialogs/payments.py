"""Guichet's record of the mobile-money payments it started: one row per request and attempt.

The portal is the source of truth for whether a request is paid; this record is what makes
starting a payment safe.  Each attempt has its own ``Idempotency-Key``: every POST for that
attempt - a job retried after a timeout, a second hop racing the first - reuses the key, so
the portal answers with the payment it already started and the citizen is never charged
twice.  ``(reference, attempt)`` is unique: two hops cannot open two attempts at once.  A new
attempt (a new key) is opened only once the last one failed, expired or was refused.

No phone number is kept whole: the number that pays is stored masked (``+229*******01``),
enough for the call-centre to recognise it, nothing to reuse.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from dialogs.desk.records import UTCDateTime
from dialogs.phones import mask

metadata = sa.MetaData()

payments = sa.Table(
    "payments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(32), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("idempotency_key", sa.String(80), nullable=False, unique=True),
    sa.Column("payment_id", sa.String(64), nullable=True),
    sa.Column("operator", sa.String(16), nullable=False),
    sa.Column("msisdn_masked", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(40), nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("intent", sa.String(40), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("reference", "attempt", name="uq_payments_reference_attempt"),
)

OPEN = ("starting", "unknown", "pending", "succeeded")
"""An attempt in one of these states blocks a new one: it may still charge (or has)."""
STATUSES = (*OPEN, "failed", "expired", "refused")


@dataclass(frozen=True)
class Attempt:
    reference: str
    attempt: int
    key: str
    operator: str
    status: str
    payment_id: str | None
    reason: str | None
    channel: str
    intent: str
    """The confirmation that opened it (a retried job carries the same)."""


def _attempt(row: sa.Row) -> Attempt:
    return Attempt(reference=row.reference, attempt=row.attempt, key=row.idempotency_key,
                   operator=row.operator, status=row.status, payment_id=row.payment_id,
                   reason=row.reason, channel=row.channel, intent=row.intent)


class PaymentLedger:
    """The ``payments`` table, on SQLite or PostgreSQL."""

    def __init__(self, engine: sa.Engine,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.engine = engine
        self.clock = clock

    def latest(self, reference: str) -> Attempt | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(payments).where(payments.c.reference == reference)
                .order_by(payments.c.attempt.desc()).limit(1)).first()
        return _attempt(row) if row is not None else None

    def by_key(self, key: str) -> Attempt | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(payments).where(payments.c.idempotency_key == key)).first()
        return _attempt(row) if row is not None else None

    def by_payment(self, payment_id: str) -> Attempt | None:
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(payments).where(payments.c.payment_id == payment_id)).first()
        return _attempt(row) if row is not None else None

    def open(self, reference: str, *, operator: str, msisdn: str, channel: str,
             intent: str) -> tuple[Attempt, bool]:
        """The attempt to pay ``reference`` with: the last one while it is open (``created``
        False), else a new one with a new key.  Safe under races: the loser of two inserts
        of the same attempt number gets the winner's attempt."""
        for _ in range(3):
            last = self.latest(reference)
            if last is not None and last.status in OPEN:
                return last, False
            number = (last.attempt if last else 0) + 1
            key = f"{reference}:{number}:{uuid.uuid4().hex[:12]}"
            now = self.clock()
            try:
                with self.engine.begin() as db:
                    db.execute(payments.insert().values(
                        reference=reference, attempt=number, idempotency_key=key,
                        operator=operator, msisdn_masked=mask(msisdn), status="starting",
                        channel=channel, intent=intent[:40], created_at=now,
                        updated_at=now))
            except sa.exc.IntegrityError:
                continue  # another hop opened this attempt first: use theirs
            created = self.by_key(key)
            assert created is not None
            return created, True
        raise RuntimeError(f"could not open a payment attempt for {reference}")

    def update(self, key: str, *, status: str, payment_id: str | None = None,
               reason: str | None = None) -> None:
        """Record what the portal said of an attempt (a settled one is never reopened)."""
        assert status in STATUSES
        values: dict = {"status": status, "updated_at": self.clock()}
        if payment_id is not None:
            values["payment_id"] = payment_id
        if reason is not None:
            values["reason"] = reason[:40]
        with self.engine.begin() as db:
            db.execute(payments.update().where(
                payments.c.idempotency_key == key,
                payments.c.status.not_in(("succeeded",))).values(**values))

    def purge(self, before: dt.datetime) -> int:
        """Forget attempts last touched before ``before`` (retention); returns how many."""
        with self.engine.begin() as db:
            return db.execute(payments.delete().where(payments.c.updated_at < before)).rowcount
