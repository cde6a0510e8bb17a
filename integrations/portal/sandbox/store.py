"""SQLite storage of sandbox requests, reference counters and idempotency keys.

stdlib ``sqlite3`` so the sandbox needs nothing else.  With a file path several processes can
share one sandbox (writes take ``BEGIN IMMEDIATE``); with ``None`` the database is private
to this process, in memory.  One connection per store, serialised by a lock, keeps it
thread-safe under the threaded dev server.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from filelock import FileLock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    reference TEXT PRIMARY KEY,
    procedure TEXT NOT NULL,
    phone TEXT NOT NULL,
    lang TEXT NOT NULL,
    answers TEXT NOT NULL,
    submitted_at REAL NOT NULL,
    events TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS requests_by_phone ON requests (phone, submitted_at);
CREATE TABLE IF NOT EXISTS counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    payment_id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    operator TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    amount_xof INTEGER NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    created_at REAL NOT NULL,
    settled_at REAL
);
CREATE INDEX IF NOT EXISTS payments_by_reference ON payments (reference, created_at);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS instance (
    id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS announced (
    reference TEXT PRIMARY KEY,
    steps INTEGER NOT NULL
);
"""


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request."""


@dataclass(frozen=True)
class StoredRequest:
    reference: str
    procedure: str
    phone: str
    lang: str
    submitted_at: float
    events: list[dict[str, Any]]
    """Admin events: ``{"status", "at", "note"}``."""


@dataclass(frozen=True)
class Created:
    status: int
    body: dict[str, Any]
    replayed: bool


class RequestStore:
    """Persistence of the sandbox's e-service requests."""

    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path or ":memory:", timeout=10.0, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        # processes opening one fresh file take turns for WAL and the schema (gunicorn starts
        # its workers together; the journal-mode switch fails at once when they race)
        with self._lock, (FileLock(f"{path}.lock") if path else nullcontext()):
            if path:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, exclusive across threads (lock) and processes (IMMEDIATE)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create(
        self,
        *,
        procedure: str,
        phone: str,
        lang: str,
        answers: dict[str, Any],
        now: float,
        year: int,
        idempotency_key: str | None,
        fingerprint: str,
        respond: Callable[[str], dict[str, Any]],
    ) -> Created:
        """Store a new request, or replay the stored answer for a known Idempotency-Key.

        ``respond(reference)`` builds the 201 body, stored with the key so a replay is
        byte-for-byte the same answer.
        """
        with self._write() as db:
            if idempotency_key:
                row = db.execute(
                    "SELECT fingerprint, status, body FROM idempotency WHERE key = ?",
                    (idempotency_key,),
                ).fetchone()
                if row is not None:
                    if row["fingerprint"] != fingerprint:
                        raise IdempotencyConflict(idempotency_key)
                    return Created(row["status"], json.loads(row["body"]), replayed=True)
            db.execute(
                "INSERT INTO counters (year, last) VALUES (?, 1) "
                "ON CONFLICT(year) DO UPDATE SET last = last + 1",
                (year,),
            )
            number = db.execute("SELECT last FROM counters WHERE year = ?", (year,)).fetchone()[0]
            reference = f"SP-{year}-{number:06d}"
            db.execute(
                "INSERT INTO requests (reference, procedure, phone, lang, answers, submitted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (reference, procedure, phone, lang, json.dumps(answers), now),
            )
            body = respond(reference)
            if idempotency_key:
                db.execute(
                    "INSERT INTO idempotency (key, fingerprint, status, body) VALUES (?, ?, ?, ?)",
                    (idempotency_key, fingerprint, 201, json.dumps(body)),
                )
            return Created(201, body, replayed=False)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction for the sandbox's other records (payments, events)."""
        with self._write() as db:
            yield db

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def get(self, reference: str) -> StoredRequest | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM requests WHERE reference = ?", (reference,)
            ).fetchone()
        return _from_row(row) if row is not None else None

    def for_phone(self, phone: str) -> list[StoredRequest]:
        """A phone's requests, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM requests WHERE phone = ? ORDER BY submitted_at DESC, reference DESC",
                (phone,),
            ).fetchall()
        return [_from_row(r) for r in rows]

    def add_event(self, reference: str, event: dict[str, Any]) -> bool:
        """Append an admin event; ``False`` when the reference is unknown."""
        with self._write() as db:
            row = db.execute(
                "SELECT events FROM requests WHERE reference = ?", (reference,)
            ).fetchone()
            if row is None:
                return False
            events = json.loads(row["events"]) + [event]
            db.execute(
                "UPDATE requests SET events = ? WHERE reference = ?",
                (json.dumps(events), reference),
            )
            return True


def _from_row(row: sqlite3.Row) -> StoredRequest:
    return StoredRequest(
        reference=row["reference"],
        procedure=row["procedure"],
        phone=row["phone"],
        lang=row["lang"],
        submitted_at=row["submitted_at"],
        events=json.loads(row["events"]),
    )
