"""The insights' tables: the anonymous record of every exchange (``insight_events``) and the
supervisors' labels of unanswered questions (``insight_labels``); see
:mod:`dialogs.insights.records`.

The events are indexed for the supervisor's date-range queries: by time, and partial indexes
of e-service form events by session (the USSD funnel, covering on PostgreSQL) and of unanswered
texts; ``insight_daily`` counts closed days per label set, so the page's counts over a month
read a few thousand rows, not a million.

Revision ID: 0007_insights
Revises: 0004_sms_claimed_at
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_insights"
down_revision = "0006_portal_events"
branch_labels = None
depends_on = None

DateTime = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FORM = "eservice IS NOT NULL"
UNANSWERED = "text IS NOT NULL"


def upgrade() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "insight_events" not in tables:
        op.create_table(
            "insight_events",
            sa.Column("id", BigId, primary_key=True, autoincrement=True),
            sa.Column("at", DateTime, nullable=False),
            sa.Column("channel", sa.String(20), nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("kind", sa.String(10), nullable=False),
            sa.Column("session", sa.String(16), nullable=False),
            sa.Column("intent", sa.String(40)),
            sa.Column("procedure", sa.String(100)),
            sa.Column("aspect", sa.String(20)),
            sa.Column("state", sa.String(40)),
            sa.Column("eservice", sa.String(100)),
            sa.Column("step", sa.String(60)),
            sa.Column("step_no", sa.SmallInteger),
            sa.Column("answered", sa.Boolean),
            sa.Column("handoff", sa.String(40)),
            sa.Column("outcome", sa.String(20)),
            sa.Column("text", sa.String(300)),
        )
        op.create_index("ix_insight_events_at", "insight_events", ["at"])
        op.create_index("ix_insight_events_form", "insight_events", ["channel", "session", "at"],
                        postgresql_include=["eservice", "step", "step_no"],  # index-only scans
                        sqlite_where=sa.text(FORM), postgresql_where=sa.text(FORM))
        op.create_index("ix_insight_events_unanswered", "insight_events", ["at"],
                        sqlite_where=sa.text(UNANSWERED), postgresql_where=sa.text(UNANSWERED))
    if "insight_daily" not in tables:
        op.create_table(
            "insight_daily",
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("channel", sa.String(20), nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("kind", sa.String(10), nullable=False),
            sa.Column("intent", sa.String(40), nullable=False, server_default=""),
            sa.Column("procedure", sa.String(100), nullable=False, server_default=""),
            sa.Column("aspect", sa.String(20), nullable=False, server_default=""),
            sa.Column("answered", sa.String(1), nullable=False, server_default=""),
            sa.Column("handoff", sa.String(40), nullable=False, server_default=""),
            sa.Column("n", sa.Integer, nullable=False),
            sa.PrimaryKeyConstraint("day", "channel", "lang", "kind", "intent", "procedure",
                                    "aspect", "answered", "handoff", name="pk_insight_daily"),
        )
    if "insight_labels" not in tables:
        op.create_table(
            "insight_labels",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("text", sa.String(300), nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("intent", sa.String(40)),
            sa.Column("procedure", sa.String(100)),
            sa.Column("aspect", sa.String(20)),
            sa.Column("out_of_scope", sa.Boolean, nullable=False, server_default=sa.false()),
            sa.Column("labelled_by", sa.String(64), nullable=False),
            sa.Column("labelled_at", DateTime, nullable=False),
            sa.Column("exported_at", DateTime),
            sa.UniqueConstraint("text", "lang", name="uq_insight_labels_text_lang"),
        )


def downgrade() -> None:
    op.drop_table("insight_labels")
    op.drop_table("insight_daily")
    op.drop_table("insight_events")
