"""What the background worker writes to its logs: never a job's arguments in clear.

An RQ job's description holds its arguments - phone numbers, message texts, form answers,
one-time codes - and RQ logs it for every job it starts.  Played with a real Redis and Guichet's
own worker class, as `make worker` and `rq worker -w channels.worker.AppWorker` run it.
"""

from __future__ import annotations

import logging

from redis import Redis
from rq import Queue

from channels.worker import AppWorker

PHONE, CODE = "+22901970000123", "482913"


def test_the_worker_never_logs_a_jobs_arguments(make_app, redis_url, caplog):
    app = make_app(REDIS_URL=redis_url)
    connection = Redis.from_url(redis_url)
    queue = Queue("guichet-logs", connection=connection)
    queue.enqueue("builtins.len", f"Votre code {CODE} pour {PHONE}")
    worker = AppWorker([queue], connection=connection)
    worker.app = app
    with caplog.at_level(logging.DEBUG, logger="rq"):
        assert worker.work(burst=True)
    assert queue.count == 0 and caplog.records  # the job ran and RQ said so
    assert PHONE not in caplog.text and CODE not in caplog.text
