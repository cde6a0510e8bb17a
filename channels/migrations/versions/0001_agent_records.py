"""The call-centre records: accounts, conversations, hand-offs, messages, callbacks, audit.

Revision ID: 0001_agent_records
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_agent_records"
down_revision = None
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)
OPEN = sa.text("status IN ('waiting', 'active')")


def upgrade() -> None:
    op.create_table(
        "agent_accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("languages", sa.String(100), nullable=False, server_default=""),
        sa.Column("topics", sa.String(300), nullable=False, server_default=""),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("session_nonce", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_login_at", UTCDateTime),
        sa.Column("last_seen_at", UTCDateTime),
    )
    op.create_table(
        "agent_conversations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("session", sa.String(200), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(100)),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agent_accounts.id")),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("assigned_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_conversations_status", "agent_conversations", ["status", "id"])
    op.create_index("ix_agent_conversations_channel_session", "agent_conversations",
                    ["channel", "session"])
    op.create_index("ux_agent_conversations_open", "agent_conversations", ["channel", "session"],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_table(
        "agent_handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("agent_conversations.id"),
                  nullable=False, unique=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(100)),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("taken_at", UTCDateTime),
        sa.Column("closed_at", UTCDateTime),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agent_accounts.id")),
        sa.Column("outcome", sa.String(20)),
        sa.Column("satisfaction_asked_at", UTCDateTime),
        sa.Column("satisfaction", sa.Integer),
    )
    op.create_index("ix_agent_handoffs_closed_at", "agent_handoffs", ["closed_at"])
    op.create_table(
        "agent_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("agent_conversations.id")),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("session", sa.String(200), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(40)),
        sa.Column("procedure", sa.String(100)),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agent_accounts.id")),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_messages_channel_session", "agent_messages",
                    ["channel", "session", "id"])
    op.create_index("ix_agent_messages_user", "agent_messages", ["user", "id"])
    op.create_index("ix_agent_messages_conversation", "agent_messages",
                    ["conversation_id", "id"])
    op.create_index("ix_agent_messages_at", "agent_messages", ["at"])
    op.create_table(
        "agent_callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("session", sa.String(200), nullable=False),
        sa.Column("user", sa.String(128), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("slot", sa.String(60), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(100)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agent_accounts.id")),
        sa.Column("note", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("done_at", UTCDateTime),
    )
    op.create_index("ix_agent_callbacks_status", "agent_callbacks", ["status", "id"])
    op.create_table(
        "agent_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("agent_id", sa.Integer),
        sa.Column("login", sa.String(64)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(100)),
        sa.Column("detail", sa.Text),
        sa.Column("ip", sa.String(64)),
    )
    op.create_index("ix_agent_audit_at", "agent_audit", ["at"])


def downgrade() -> None:
    for table in ("agent_audit", "agent_callbacks", "agent_messages", "agent_handoffs",
                  "agent_conversations", "agent_accounts"):
        op.drop_table(table)
