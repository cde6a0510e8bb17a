"""The SMS channel's tables join the one history: outbound_messages, inbound_sms, sms_optouts,
and the index WhatsApp status notifications look messages up by.

Older releases created these at run time (``create_all``, and the index when the WhatsApp sender
started), beside this history's call-centre tables: a database they made already has them,
with data, while its ``alembic_version`` says 0002 (or, made before the call centre, has no
``alembic_version`` at all and 0001/0002 create the desk's tables first).  So each table and the
index are created only when missing: an existing one is kept as it is, rows included.

Revision ID: 0003_channel_tables
Revises: 0002_agent_sessions
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_channel_tables"
down_revision = "0002_agent_sessions"
branch_labels = None
depends_on = None

DateTime = sa.DateTime(timezone=True)
PROVIDER_INDEX = "ix_outbound_messages_provider_id"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "outbound_messages" not in tables:
        op.create_table(
            "outbound_messages",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("key", sa.String(200), nullable=False, unique=True),
            sa.Column("channel", sa.String(20), nullable=False),
            sa.Column("recipient", sa.String(32), nullable=False),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("provider_id", sa.String(100)),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("error", sa.Text),
            sa.Column("created_at", DateTime, nullable=False),
            sa.Column("updated_at", DateTime, nullable=False),
        )
    if PROVIDER_INDEX not in {i["name"] for i in inspector.get_indexes("outbound_messages")}:
        op.create_index(PROVIDER_INDEX, "outbound_messages", ["provider_id"])
    if "inbound_sms" not in tables:
        op.create_table(
            "inbound_sms",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("provider_id", sa.String(100), nullable=False, unique=True),
            sa.Column("sender", sa.String(32), nullable=False),
            sa.Column("recipient", sa.String(32)),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("link_id", sa.String(100)),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("received_at", DateTime, nullable=False),
        )
    if "sms_optouts" not in tables:
        op.create_table(
            "sms_optouts",
            sa.Column("phone", sa.String(32), primary_key=True),
            sa.Column("since", DateTime, nullable=False),
        )


def downgrade() -> None:
    op.drop_table("sms_optouts")
    op.drop_table("inbound_sms")
    op.drop_index(PROVIDER_INDEX, table_name="outbound_messages")
    op.drop_table("outbound_messages")
