"""Answer incoming SMS the queue never got: a periodic sweep of the inbox.

An SMS is recorded before its answer is queued, and the webhook answers 200 even when the queue
(Redis) is down, so the provider does not redeliver.  Nothing is lost, but nothing would answer
it either: this sweep queues again every message still ``received`` after ``SMS_RESUME_AFTER``
seconds, and first gives back messages a worker claimed and never finished (killed mid-answer:
still ``handling`` after :data:`STALE_CLAIM` seconds).  It runs in the worker started with
``--with-scheduler`` (RQ mode) and in the web process's thread queue (embedded mode).
Answering claims the message, so a message queued twice is still answered once.
"""

from __future__ import annotations

import logging
import threading

from channels.queue import TaskQueue
from channels.sms.inbox import Inbox
from channels.tasks import handle_sms
from dialogs.store import Store, StoreUnavailable

log = logging.getLogger(__name__)
STALE_CLAIM = 600
"""Seconds after which a message still ``handling`` is taken for one whose worker died: an
answer takes seconds, and RQ gives a job 180 s before killing it."""
MAX_AGE = 24 * 3600
"""Older unanswered messages are left to an operator (``make dead-letter ARGS=resume``):
an answer a day late to a question nobody remembers asking would confuse more than help."""


def sweep_unanswered(inbox: Inbox, queue: TaskQueue, store: Store, *, after: float,
                     limit: int = 100) -> int:
    """Queue the answer of messages unanswered for ``after`` seconds; returns how many.

    A marker in the store (for a few sweeps) keeps a slow queue from being filled with the same
    message at every sweep; it goes with Redis if Redis restarts empty, and so do the jobs, so
    the message is then queued again.
    """
    stale = inbox.release_stale(older_than=max(STALE_CLAIM, after))
    if stale:
        log.warning("sms left handling by a dead worker given back", extra={"count": stale})
    queued = 0
    for message in inbox.unanswered(older_than=after, newer_than=MAX_AGE, limit=limit):
        marker = f"sms:swept:{message.id}"
        if not store.first_time(marker, int(max(after, 1) * 5)):
            continue
        try:
            queue.enqueue(handle_sms, message_id=message.id)
        except Exception:  # the queue is still down: let the next sweep try this one again
            store.put_many({marker: (None, None)})
            raise
        queued += 1
    if queued:
        log.warning("unanswered sms queued again", extra={"count": queued})
    return queued


class Sweeper:
    """Run :func:`sweep_unanswered` every ``after / 2`` seconds (at most 30) on a thread."""

    def __init__(self, inbox: Inbox, queue: TaskQueue, store: Store, *, after: float) -> None:
        self.inbox, self.queue, self.store, self.after = inbox, queue, store, after
        self.interval = min(30.0, max(0.5, after / 2))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="guichet-sms-sweep", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                sweep_unanswered(self.inbox, self.queue, self.store, after=self.after)
            except StoreUnavailable:
                log.info("sms sweep skipped: the store is unavailable")
            except Exception:  # Redis or the database still down: the next sweep tries again
                log.warning("sms sweep failed", exc_info=True)
