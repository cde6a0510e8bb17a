"""gunicorn settings: one threaded worker in embedded mode; with Redis, ``WEB_CONCURRENCY``
sync workers that serve the live streams on threads.

Without ``REDIS_URL`` sessions live in the worker's memory, so there must be exactly one worker
process, with threads: ``GUNICORN_THREADS`` (default 32) serve the hops and the live web-chat and
console streams (server-sent events, a thread each).  Web chat streams take at most half of them
(``WEBCHAT_MAX_STREAMS`` overrides; see :mod:`channels.webchat.streams`), console streams a
quarter (``AGENT_MAX_STREAMS``; see :func:`channels.config.agent_stream_limit`).

With Redis the workers are stateless and can be multiplied.  They are
:class:`channels.serving.HopWorker`: a USSD hop is served by gunicorn's plain sync loop (accept,
answer, close), which is both the cheapest per hop and the same speed whichever way the gateway
spreads its connections, and each live stream gets a thread of its own (at most
``GUNICORN_THREADS`` plus ``AGENT_MAX_STREAMS`` per worker, so that a shift of agents stays
live beside the web chat), on the same port.  A sync worker serves one hop at a time, so
``WEB_CONCURRENCY`` is also how many hops can wait on the portal at once: size it like gunicorn
advises for sync workers (2 x cores + 1).  ``GUNICORN_CMD_ARGS="-k gthread"`` goes back to
threaded workers (see ``bench/README.md`` for what it costs).
"""

import os

from channels.config import thread_count

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
threads = thread_count()
if os.environ.get("REDIS_URL"):
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    worker_class = "channels.serving.HopWorker"
else:
    workers = 1
    worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone, in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
