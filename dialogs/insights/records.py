"""The insights' tables.  SQLAlchemy Core on SQLite or PostgreSQL; Alembic owns the schema
(revision ``0007_insights``), these objects only describe it for queries.

- ``insight_events``: one row per exchange (:class:`dialogs.insights.events.Event`), with no
  personal data: the session is a keyed hash, the text only that of an unanswered question,
  masked, and emptied after ``RETENTION_UNANSWERED_DAYS``.  Indexed for the supervisor's
  queries over a date range (one month of a busy service is about a million rows).
- ``insight_daily``: the same events counted per day and label set (the page's counts).
- ``insight_labels``: what a supervisor said an unanswered question meant (intent, procedure,
  aspect, or out of scope), who said it and when, and when it went into the training data.
"""

from __future__ import annotations

import sqlalchemy as sa

from dialogs.desk.records import UTCDateTime

metadata = sa.MetaData()

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

events = sa.Table(
    "insight_events", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
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
    sa.Index("ix_insight_events_at", "at"),
    sa.Index("ix_insight_events_form", "channel", "session", "at",
             postgresql_include=["eservice", "step", "step_no"],
             sqlite_where=sa.text("eservice IS NOT NULL"),
             postgresql_where=sa.text("eservice IS NOT NULL")),
    sa.Index("ix_insight_events_unanswered", "at",
             sqlite_where=sa.text("text IS NOT NULL"),
             postgresql_where=sa.text("text IS NOT NULL")),
)

daily = sa.Table(
    "insight_daily", metadata,
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
    sa.PrimaryKeyConstraint("day", "channel", "lang", "kind", "intent", "procedure", "aspect",
                            "answered", "handoff", name="pk_insight_daily"),
)
"""Events counted per UTC day and label set ('' for none), once the day is closed
(:func:`dialogs.insights.store.roll_up`): the page's counts read a few thousand rows instead of
a month of events, and writing an event costs one row."""
DAILY_KEYS = ("day", "channel", "lang", "kind", "intent", "procedure", "aspect", "answered",
              "handoff")

labels = sa.Table(
    "insight_labels", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("text", sa.String(300), nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("intent", sa.String(40)),
    sa.Column("procedure", sa.String(100)),
    sa.Column("aspect", sa.String(20)),
    sa.Column("out_of_scope", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("labelled_by", sa.String(64), nullable=False),
    sa.Column("labelled_at", UTCDateTime, nullable=False),
    sa.Column("exported_at", UTCDateTime),
    sa.UniqueConstraint("text", "lang", name="uq_insight_labels_text_lang"),
)

TABLES = tuple(metadata.tables)
