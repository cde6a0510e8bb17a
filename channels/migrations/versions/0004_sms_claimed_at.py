"""When a worker took an incoming SMS to answer it (``inbound_sms.claimed_at``).

A message stays ``handling`` if the worker answering it dies (killed, out of memory, a deploy):
without the time of the claim nothing could tell such a message from one being answered now,
and it stayed unanswered until an operator ran ``resume``.  The SMS sweep now gives back
messages claimed longer ago than any answer takes.

Revision ID: 0004_sms_claimed_at
Revises: 0003_channel_tables
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sms_claimed_at"
down_revision = "0003_channel_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("inbound_sms")}
    if "claimed_at" in columns:  # made by create_all from today's definition: nothing to do
        return
    with op.batch_alter_table("inbound_sms") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_sms") as batch:
        batch.drop_column("claimed_at")
