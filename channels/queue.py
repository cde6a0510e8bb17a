"""Background work: RQ on Redis when ``REDIS_URL`` is set, a thread pool otherwise.

Both run the same task functions (``channels.tasks``) with the same retry schedule, and tell a
task whether this is its last try (:func:`final_attempt`) so it can warn the citizen instead of
failing silently.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from flask import Flask
from redis import Redis
from rq import Queue, Retry, get_current_job

from channels.outbox import TransientSendError
from dialogs.workflows import RetryLater

log = logging.getLogger(__name__)
RETRYABLE = (RetryLater, TransientSendError)
DEFAULT_DELAYS = (5.0, 20.0, 60.0, 180.0, 300.0)
"""Seconds between tries: about ten minutes in all, within an SMS-reader's patience."""
_last_try: contextvars.ContextVar[bool | None] = contextvars.ContextVar("last_try", default=None)


def final_attempt() -> bool:
    """True when the running task will not be retried if it fails."""
    flag = _last_try.get()
    if flag is not None:
        return flag
    job = get_current_job()
    return job is None or not job.retries_left


class TaskQueue(Protocol):
    def enqueue(self, func: Callable[..., object], **kwargs: object) -> None: ...


class ThreadQueue:
    """Embedded mode: tasks run on a small thread pool in this process, retried with delays."""

    def __init__(self, workers: int = 4, delays: Sequence[float] = DEFAULT_DELAYS) -> None:
        self.delays = tuple(delays)
        self._app: Flask | None = None
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="guichet-task")
        self._pending = 0
        self._idle = threading.Condition()

    def bind(self, app: Flask) -> None:
        """Run every task inside ``app``'s context, where tasks find the runtime
        (``current_app.extensions["guichet"]``); the app factory calls this."""
        self._app = app

    def enqueue(self, func: Callable[..., object], **kwargs: object) -> None:
        with self._idle:
            self._pending += 1
        self._pool.submit(self._in_context, func, kwargs, 0)

    def enqueue_in(self, seconds: float, func: Callable[..., object], **kwargs: object) -> None:
        """Run a task later (news held through quiet hours).  In this process only: a restart
        before then loses it, as it loses every pending task here; RQ keeps it in Redis."""
        timer = threading.Timer(max(0.0, seconds), self.enqueue, (func,), kwargs)
        timer.daemon = True
        timer.start()

    def _in_context(self, func: Callable[..., object], kwargs: dict, attempt: int) -> None:
        if self._app is None:
            self._attempt(func, kwargs, attempt)
            return
        with self._app.app_context():
            self._attempt(func, kwargs, attempt)

    def _attempt(self, func: Callable[..., object], kwargs: dict, attempt: int) -> None:
        """One try; a retry is scheduled on a timer, not slept on: a task waiting minutes for
        the portal must not hold one of the few pool threads other citizens' tasks need."""
        final = attempt >= len(self.delays)
        token = _last_try.set(final)
        retry = False
        try:
            func(**kwargs)
        except RETRYABLE as exc:
            if final:
                log.error("task gave up", extra={"task": func.__name__, "error": str(exc)})
            else:
                retry = True
        except Exception:
            log.exception("task failed", extra={"task": func.__name__})
        finally:
            _last_try.reset(token)
        if retry:
            timer = threading.Timer(self.delays[attempt], self._resubmit,
                                    (func, kwargs, attempt + 1))
            timer.daemon = True
            timer.start()
            return
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def _resubmit(self, func: Callable[..., object], kwargs: dict, attempt: int) -> None:
        try:
            self._pool.submit(self._in_context, func, kwargs, attempt)
        except RuntimeError:  # the pool was shut down meanwhile: the task is dropped
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until no task is pending (tests and graceful shutdown)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True


class RQQueue:
    """Tasks go to Redis and run in ``rq worker`` processes (``make worker``)."""

    def __init__(self, redis_url: str, *, name: str = "guichet",
                 delays: Sequence[float] = DEFAULT_DELAYS) -> None:
        self.queue = Queue(name, connection=Redis.from_url(redis_url, socket_timeout=1.0))
        self.retry = Retry(max=len(delays), interval=[int(max(1, d)) for d in delays])

    def enqueue(self, func: Callable[..., object], **kwargs: object) -> None:
        self.queue.enqueue(func, kwargs=kwargs, retry=self.retry, failure_ttl=7 * 24 * 3600,
                           result_ttl=3600)

    def enqueue_in(self, seconds: float, func: Callable[..., object], **kwargs: object) -> None:
        """Run a task later, kept in Redis: a worker started ``--with-scheduler`` (``make
        worker``) moves it to the queue when due."""
        self.queue.enqueue_in(dt.timedelta(seconds=max(1.0, seconds)), func, kwargs=kwargs,
                              retry=self.retry, failure_ttl=7 * 24 * 3600, result_ttl=3600)


def enqueue_in(queue: TaskQueue, seconds: float, func: Callable[..., object],
               **kwargs: object) -> None:
    """Queue ``func`` to run in ``seconds`` where the queue can wait, else now."""
    later = getattr(queue, "enqueue_in", None)
    if later is None or seconds <= 0:
        queue.enqueue(func, **kwargs)
    else:
        later(seconds, func, **kwargs)
