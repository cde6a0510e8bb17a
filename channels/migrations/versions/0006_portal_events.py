"""The portal's news: ``portal_events`` (each event id acted on once) and ``followed_requests``
(a filed request -> where its citizen is reached, and what they were last told).

Revision ID: 0006_portal_events
Revises: 0004_sms_claimed_at
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_portal_events"
down_revision = "0005_payments"
branch_labels = None
depends_on = None

DateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "portal_events" not in tables:
        op.create_table(
            "portal_events",
            sa.Column("id", sa.String(100), primary_key=True),
            sa.Column("type", sa.String(40), nullable=False),
            sa.Column("reference", sa.String(40), nullable=False),
            sa.Column("received_at", DateTime, nullable=False),
            sa.Column("done_at", DateTime),
        )
    if "followed_requests" not in tables:
        op.create_table(
            "followed_requests",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("reference", sa.String(40), nullable=False, unique=True),
            sa.Column("channel", sa.String(20), nullable=False),
            sa.Column("address", sa.String(64), nullable=False),
            sa.Column("phone", sa.String(32)),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("last_status", sa.String(20)),
            sa.Column("payment_notified", sa.String(120)),
            sa.Column("closed", sa.Boolean, nullable=False),
            sa.Column("created_at", DateTime, nullable=False),
            sa.Column("checked_at", DateTime),
        )
        op.create_index("ix_followed_requests_open", "followed_requests", ["closed", "id"])


def downgrade() -> None:
    op.drop_table("followed_requests")
    op.drop_table("portal_events")
