"""The call-centre's records: conversations handed to people, their transcripts, callbacks,
agents and the audit log.  SQLAlchemy Core on SQLite or PostgreSQL; Alembic owns the schema (the
one history in ``channels/migrations``, ``make db-upgrade``), these table objects only describe
it for queries.

- ``agent_conversations``: one hand-off episode of a (channel, session): waiting, active, closed.
  At most one open (waiting or active) per channel and session, enforced by a partial index.
- ``agent_handoffs``: the episode's measures (reason, requested, taken, closed, satisfaction);
  kept after the retention purge, with no personal data, for the supervisor's figures.
- ``agent_messages``: the messages of hand-off conversations (the exchanges with the bot just
  before it, carried over from the session store when it starts, those while it waits or talks
  with a person, and every agent reply), with what the bot understood (intent, procedure,
  language).  Exchanges no hand-off took are never written here.
- ``agent_callbacks``: callback requests (USSD, or outside office hours).
- ``agent_accounts``: agents and supervisors (hashed passwords, lock-out counters).
- ``agent_audit``: who read or did what, when.
- ``agent_sessions``: the console sessions opened at login and ended at logout (the cookie
  carries a random id whose SHA-256 is stored here, so a copied cookie dies with the session).
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from integrations.privacy import mask_digits, redact_text

STATUSES = ("waiting", "active", "closed")
OPEN = ("waiting", "active")
DIRECTIONS = ("in", "out", "agent")
ROLES = ("agent", "supervisor")
CALLBACK_STATUSES = ("open", "taken", "done", "cancelled")
MAX_ID = 2**31 - 1
"""The largest id an ``Integer`` column holds on PostgreSQL (SQLite's are wider): a larger one
in a URL names no record (404), instead of an out-of-range error from the driver (500)."""


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (which keeps naive ones) as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


metadata = sa.MetaData()

accounts = sa.Table(
    "agent_accounts", metadata,
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

conversations = sa.Table(
    "agent_conversations", metadata,
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
    sa.Index("ix_agent_conversations_status", "status", "id"),
    sa.Index("ix_agent_conversations_channel_session", "channel", "session"),
    sa.Index("ux_agent_conversations_open", "channel", "session", unique=True,
             sqlite_where=sa.text("status IN ('waiting', 'active')"),
             postgresql_where=sa.text("status IN ('waiting', 'active')")),
)

handoffs = sa.Table(
    "agent_handoffs", metadata,
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
    sa.Index("ix_agent_handoffs_closed_at", "closed_at"),
)

messages = sa.Table(
    "agent_messages", metadata,
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
    sa.Index("ix_agent_messages_channel_session", "channel", "session", "id"),
    sa.Index("ix_agent_messages_user", "user", "id"),
    sa.Index("ix_agent_messages_conversation", "conversation_id", "id"),
    sa.Index("ix_agent_messages_at", "at"),
)

callbacks = sa.Table(
    "agent_callbacks", metadata,
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
    sa.Index("ix_agent_callbacks_status", "status", "id"),
)

audit = sa.Table(
    "agent_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("agent_id", sa.Integer),
    sa.Column("login", sa.String(64)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(100)),
    sa.Column("detail", sa.Text),
    sa.Column("ip", sa.String(64)),
    sa.Index("ix_agent_audit_at", "at"),
)

sessions = sa.Table(
    "agent_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("agent_id", sa.Integer, sa.ForeignKey("agent_accounts.id"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Index("ix_agent_sessions_agent", "agent_id"),
    sa.Index("ix_agent_sessions_created_at", "created_at"),
)

TABLES = tuple(metadata.tables)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def write_audit(db: sa.Connection, *, action: str, at: dt.datetime | None = None,
                agent_id: int | None = None, login: str | None = None,
                target: str | None = None, detail: str | None = None,
                ip: str | None = None) -> None:
    """One audit line, in the caller's transaction (personal data is masked in ``detail``)."""
    db.execute(audit.insert().values(
        at=at or now(), agent_id=agent_id, login=login, action=action, target=target,
        detail=redact_text(detail)[:2000] if detail else None, ip=ip))


_PHONE = re.compile(r"^\+?[\d ]{6,}$")


def mask_user(user: str | None) -> str:
    """A citizen id fit for an export: a phone keeps its last two digits, other ids four chars."""
    if not user:
        return ""
    if _PHONE.match(user):
        return mask_digits(user)
    return "*" * max(0, len(user) - 4) + user[-4:] if len(user) > 4 else "****"
