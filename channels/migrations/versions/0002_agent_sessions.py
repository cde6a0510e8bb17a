"""Console sessions kept on the server, so that logging out ends them for every copy of the
cookie.

Revision ID: 0002_agent_sessions
Revises: 0001_agent_records
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_agent_sessions"
down_revision = "0001_agent_records"
branch_labels = None
depends_on = None

UTCDateTime = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agent_accounts.id"), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
    )
    op.create_index("ix_agent_sessions_agent", "agent_sessions", ["agent_id"])
    op.create_index("ix_agent_sessions_created_at", "agent_sessions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_agent_sessions_created_at", table_name="agent_sessions")
    op.drop_index("ix_agent_sessions_agent", table_name="agent_sessions")
    op.drop_table("agent_sessions")
