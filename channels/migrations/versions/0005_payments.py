"""Guichet's record of mobile-money payment attempts (``payments``).

One row per request and attempt, with the attempt's Idempotency-Key: a retried job or a second
hop reuses the key instead of charging again, and ``(reference, attempt)`` is unique so two
hops cannot open two attempts at once.  The paying number is kept masked only.

Revision ID: 0005
Revises: 0004_sms_claimed_at
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_payments"
down_revision = "0004_sms_claimed_at"
branch_labels = None
depends_on = None

DateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    if "payments" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "payments",
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
        sa.Column("created_at", DateTime, nullable=False),
        sa.Column("updated_at", DateTime, nullable=False),
        sa.UniqueConstraint("reference", "attempt", name="uq_payments_reference_attempt"),
    )


def downgrade() -> None:
    op.drop_table("payments")
