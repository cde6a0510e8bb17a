"""The durable record of every outbound message, every channel: what was asked, what the
provider said.

Kept in SQL (SQLite by default, PostgreSQL when ``DATABASE_URL`` says so) because a message must
survive a worker restart: the idempotency ``key`` makes a retried job send once, and the row is
the local outbox the simulator and tests read when no provider is configured.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock
from sqlalchemy.engine import make_url

metadata = sa.MetaData()
outbound = sa.Table(
    "outbound_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("provider_id", sa.String(100)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_outbound_messages_provider_id", "provider_id"),  # WhatsApp statuses look it up
)

FINAL_SENT = ("sent", "outbox", "submitted", "delivered", "buffered")
"""Statuses of a message the provider accepted: never send it again."""
DONE = ("failed", "rejected", "opted_out", "dead", "uncertain")
"""Statuses no automatic retry changes; ``dead`` and ``uncertain`` wait for an operator."""
DEAD_LETTER = ("dead", "uncertain")


@dataclass(frozen=True)
class Message:
    id: int
    key: str
    channel: str
    recipient: str
    body: str
    lang: str
    status: str
    provider_id: str | None
    attempts: int
    error: str | None


def insert_once(db: sa.Connection, table: sa.Table, unique: list[str]):
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` in the connection's dialect.

    Both dialects Guichet runs on (SQLite, PostgreSQL) have it; it leaves the transaction
    usable when a concurrent writer inserted the same row first.
    """
    name = db.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table).on_conflict_do_nothing(index_elements=unique)
    raise NotImplementedError(f"no insert-once for {name}")


def _message(row: sa.Row) -> Message:
    return Message(**{k: row._mapping[k] for k in Message.__dataclass_fields__})


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets web workers read while a sender writes, and makes each commit cheap.

    ``synchronous=NORMAL`` in WAL mode stays durable across a process crash (what a killed
    worker is); only a power cut may lose the last commits.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_file(url: sa.URL) -> str | None:
    """The database file of a SQLite URL, None for other databases and in-memory ones."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def startup_lock(url: sa.URL) -> AbstractContextManager[object]:
    """Make processes opening one SQLite file take turns for WAL and schema migrations.

    Gunicorn starts its workers together; a journal-mode switch or a ``CREATE TABLE`` racing
    another process's can fail at once with ``database is locked``, and a worker that fails to
    start halts the master.  An exclusive lock on ``<database>.lock`` (``filelock``, the same
    the sandbox portal takes) serialises them; other databases lock their own way.
    """
    path = _sqlite_file(url)
    return FileLock(f"{path}.lock") if path else nullcontext()


def engine_for(url: str) -> sa.Engine:
    """An engine for ``url``; a SQLite file's folder is created, and writers wait for locks."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = _sqlite_file(parsed)
        if database:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        with startup_lock(parsed), engine.connect():
            pass  # the first connection switches a fresh file to WAL, one process at a time
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                            hide_parameters=True)  # a failed statement never logs its values


class MessageLog:
    """Insert, update and read outbound messages."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine  # the schema is the migrations' (channels.migrate)

    @staticmethod
    def _now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def claim(self, *, key: str, channel: str, recipient: str, body: str, lang: str) -> Message:
        """Return the message for ``key``, creating it as ``pending`` the first time.

        Two workers may claim the same key at once (a retried job beside a resumed one): the
        insert does nothing when the key exists, so the loser reads the winner's row.  Catching
        the unique violation instead would abort the whole transaction on PostgreSQL.
        """
        with self.engine.begin() as db:
            row = db.execute(sa.select(outbound).where(outbound.c.key == key)).first()
            if row is None:
                now = self._now()
                db.execute(insert_once(db, outbound, ["key"]).values(
                    key=key, channel=channel, recipient=recipient, body=body, lang=lang,
                    status="pending", attempts=0, created_at=now, updated_at=now))
                row = db.execute(sa.select(outbound).where(outbound.c.key == key)).one()
        return _message(row)

    def update(self, message_id: int, *, status: str, provider_id: str | None = None,
               error: str | None = None, attempted: bool = True) -> None:
        values: dict[str, object] = {"status": status, "error": error,
                                     "updated_at": self._now()}
        if provider_id is not None:
            values["provider_id"] = provider_id
        if attempted:
            values["attempts"] = outbound.c.attempts + 1
        with self.engine.begin() as db:
            db.execute(outbound.update().where(outbound.c.id == message_id).values(**values))

    def update_by_provider_id(self, provider_id: str, *, status: str,
                              error: str | None = None) -> bool:
        """Apply a provider's status report (delivery report, WhatsApp status); False if unknown."""
        with self.engine.begin() as db:
            done = db.execute(outbound.update().where(outbound.c.provider_id == provider_id)
                              .values(status=status, error=error, updated_at=self._now()))
        return done.rowcount > 0

    def recent(self, recipient: str | None = None, limit: int = 50) -> list[Message]:
        """Newest first; the simulator's outbox and the tests read this."""
        query = sa.select(outbound).order_by(outbound.c.id.desc()).limit(limit)
        if recipient:
            query = query.where(outbound.c.recipient == recipient)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [_message(r) for r in rows]

    def dead_letters(self, limit: int = 100) -> list[Message]:
        """Messages no retry will send: for an operator to inspect and replay."""
        query = (sa.select(outbound).where(outbound.c.status.in_(DEAD_LETTER))
                 .order_by(outbound.c.id).limit(limit))
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [_message(r) for r in rows]

    def reopen(self, key: str) -> Message | None:
        """Put a dead-lettered message back to ``pending`` so a replay sends it."""
        with self.engine.begin() as db:
            db.execute(outbound.update().where(outbound.c.key == key)
                       .where(outbound.c.status.in_(DEAD_LETTER))
                       .values(status="pending", error=None, updated_at=self._now()))
            row = db.execute(sa.select(outbound).where(outbound.c.key == key)).first()
        return _message(row) if row else None

    def ping(self) -> bool:
        try:
            with self.engine.connect() as db:
                db.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False
