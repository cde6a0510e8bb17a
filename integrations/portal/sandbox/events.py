"""The sandbox's events: what changed, kept in order, listed by cursor and posted to Guichet.

Every status change (admin or time-based) and every payment outcome appends one event
``{"id", "type", "reference", "status"?, "payment_id"?, "at"}`` to the ``events`` table in the
same transaction as the change; delivery happens after the commit (``on_event``).  A
standalone sandbox posts them with :class:`EventPoster`, signed like the portal does.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import sqlite3
import threading
import time
import uuid
from typing import Any

import requests

from ..signing import HEADER, signature
from .store import RequestStore

log = logging.getLogger(__name__)
TYPES = ("request.status_changed", "payment.succeeded", "payment.failed")


def _instance(db: sqlite3.Connection) -> str:
    """This database's own tag, drawn once: event ids must never repeat, and a counter alone
    starts again at 1 when the sandbox's file is reset while Guichet's is kept, and Guichet
    would take every new event for one it already had."""
    row = db.execute("SELECT id FROM instance").fetchone()
    if row is not None:
        return str(row[0])
    tag = uuid.uuid4().hex[:8]
    db.execute("INSERT INTO instance (id) VALUES (?)", (tag,))
    return tag


def event_id(tag: str, number: int) -> str:
    """``evt-<tag>-<n>``: unique across sandboxes, and ordered by its number (the cursor)."""
    return f"evt-{tag}-{number}"


def cursor_of(value: str | None) -> int:
    """The number at the end of an event id (or a bare number): where a listing starts."""
    found = re.search(r"(\d+)$", (value or "").strip())
    if found is None and (value or "").strip():
        raise ValueError(value)
    return int(found.group(1)) if found else 0


def append(db: sqlite3.Connection, type_: str, reference: str, at: str,
           **extra: Any) -> dict[str, Any]:
    """Store one event (inside the caller's write transaction) and return it with its id."""
    assert type_ in TYPES
    tag = _instance(db)
    cursor = db.execute("INSERT INTO events (body) VALUES ('{}')")
    event: dict[str, Any] = {"id": event_id(tag, int(cursor.lastrowid or 0)), "type": type_,
                             "reference": reference}
    event.update({k: v for k, v in extra.items() if v is not None})
    event["at"] = at
    db.execute("UPDATE events SET body = ? WHERE id = ?", (json.dumps(event), cursor.lastrowid))
    return event


def since(store: RequestStore, after: int, limit: int = 100) -> list[dict[str, Any]]:
    """Events with an id above ``after``, oldest first (a poller's cursor is the last id)."""
    rows = store.read("SELECT body FROM events WHERE id > ? ORDER BY id LIMIT ?",
                      (after, limit))
    return [json.loads(r["body"]) for r in rows]


class EventPoster:
    """Posts each event to ``url`` with ``X-Portal-Signature``, from a background thread.

    A hop of the sandbox never waits for Guichet: events are queued, posted in order with a
    timeout, and retried with backoff on a network error, a 5xx or a 429; a 4xx refusal is
    logged and dropped (retrying a bad signature would not help).  The receiver acts on each
    ``id`` once, so a retry after a lost answer is harmless.
    """

    def __init__(self, url: str, secret: str, *, timeout: float = 5.0, retries: int = 5,
                 backoff: float = 1.0, session: requests.Session | None = None) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._session = session or requests.Session()
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-events", daemon=True)
        self._thread.start()

    def __call__(self, event: dict[str, Any]) -> None:
        self._queue.put(event)

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def join(self) -> None:
        """Wait until every queued event was posted or given up (tests)."""
        self._queue.join()

    def post(self, event: dict[str, Any]) -> bool:
        """Post one event, retrying; True when Guichet took it."""
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", HEADER: signature(self.secret, body)}
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._session.post(self.url, data=body, headers=headers,
                                              timeout=self.timeout)
            except requests.RequestException as exc:
                log.warning("event %s not delivered (%s)", event["id"], type(exc).__name__)
                continue
            if response.status_code < 300:
                return True
            if response.status_code < 500 and response.status_code != 429:
                log.warning("event %s refused (%s)", event["id"], response.status_code)
                return False
        log.error("event %s given up after %d tries", event["id"], self.retries + 1)
        return False

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is None:
                    return
                self.post(event)
            finally:
                self._queue.task_done()
