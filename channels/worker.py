"""Guichet's background worker: ``python -m channels.worker`` (``make worker``).

A plain ``rq worker`` forks a fresh process for every job, which then imports Guichet and
builds its runtime (portal client, database engine) again: about a second a job, measured in
bench/sms.py.  This worker builds the application once (:func:`channels.app.create_app`, the
same composition root as the web) and runs jobs in its own process (RQ's SimpleWorker) inside
the app's context, where every task finds the runtime (``current_app.extensions["guichet"]``);
run several of them for parallelism.  Jobs keep RQ's timeouts and retries.  ``rq worker -w
channels.worker.AppWorker`` does the same from RQ's own command; a plain ``rq worker`` (no
``-w``) would run jobs outside any app and fail them.

With ``--with-scheduler`` it also sweeps the SMS inbox: an SMS recorded while Redis was down
(its answer never queued) is answered once Redis is back (:mod:`channels.sms.sweep`); and it
runs the retention purge (:mod:`channels.retention`) at start and every few hours, one worker
at a time.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue
from rq.worker import SimpleWorker, Worker

from channels import logs, retention
from channels.app import create_app
from channels.portal_events.polling import Poller
from channels.sms.sweep import Sweeper
from integrations.privacy import RedactingFilter

RQ_LOGGERS = ("rq.worker", "rq.job", "rq.queue", "rq.scheduler")


class AppWorker(SimpleWorker):
    """RQ's SimpleWorker (no fork per job) working inside Guichet's app context.

    The app is built once, when the worker starts working, unless one is given (``app``).
    With ``with_scheduler`` it also runs the SMS sweep and the retention purge, whichever
    command started it (``make worker`` or ``rq worker -w channels.worker.AppWorker``).

    A job's description holds its arguments (phone numbers, message texts, form answers,
    one-time codes): it is never logged, and RQ's own log lines go through the masking filter
    even when RQ's command line installed handlers of its own.
    """

    app: Flask | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["log_job_description"] = False
        super().__init__(*args, **kwargs)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        if self.app is None:
            self.app = create_app()
        for name in RQ_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())
        if kwargs.get("with_scheduler"):
            _start_scheduled_work(self.app)
        with self.app.app_context():
            worked: bool = super().work(*args, **kwargs)
        return worked


def _start_scheduled_work(app: Flask) -> None:
    """The SMS sweep, and the retention purge (one worker at a time across Redis)."""
    rt = app.extensions["guichet"]
    Sweeper(rt.inbox, rt.queue, rt.store, after=rt.settings.sms_resume_after).start()
    if rt.settings.portal_poll_seconds:  # one worker a round (portal:poll:round in Redis)
        Poller(app, rt.settings.portal_poll_seconds).start()
    if rt.settings.redis_url:
        purger = retention.Purger(lambda: retention.purge(rt.settings, rt.messages.engine),
                                  first_after=retention.EVERY,
                                  claim=retention.redis_claim(rt.settings.redis_url))
        purger.run_once()
        purger.start()


class ForkingAppWorker(Worker):
    """RQ's default worker (a fork per job) with each job inside an app built in its fork:
    what a plain ``rq worker`` used to cost, kept for comparison (bench/sms.py)."""

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        app = create_app()
        try:
            with app.app_context():
                done: bool = super().perform_job(*args, **kwargs)
        finally:
            app.extensions["guichet"].close()
        return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("REDIS_URL"),
                        help="Redis URL (default: REDIS_URL)")
    parser.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    parser.add_argument("--with-scheduler", action="store_true",
                        help="also move scheduled retries back to the queue when due, and "
                             "answer incoming SMS left unanswered")
    parser.add_argument("queues", nargs="*", default=["guichet"])
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("set REDIS_URL or --url")
    if os.environ.get("REDIS_URL", args.url) != args.url:
        parser.error("--url differs from REDIS_URL: the runtime would use another Redis")
    os.environ["REDIS_URL"] = args.url  # the app's runtime reads it: the same Redis as the jobs
    logs.configure()
    app = create_app()  # build the runtime once, before the first job
    connection = Redis.from_url(args.url)
    queues = [Queue(name, connection=connection) for name in args.queues]
    worker = AppWorker(queues, connection=connection)
    worker.app = app
    worker.work(burst=args.burst, with_scheduler=args.with_scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
