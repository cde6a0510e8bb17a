"""gunicorn settings: one threaded worker in embedded mode, ``WEB_CONCURRENCY`` with Redis.

Without ``REDIS_URL`` sessions live in the worker's memory, so there must be exactly one worker
process (with threads); with Redis the workers are stateless and can be multiplied.  Each live
web-chat or console stream (server-sent events) holds a thread: ``GUNICORN_THREADS`` sizes how
many a process serves beside the hops.  Web chat streams take at most half of them
(``WEBCHAT_MAX_STREAMS`` overrides; see :mod:`channels.webchat.streams`), the agent console a few,
and the rest answer hops.  Idle streams cost little (a thread waiting on a socket), so the
default is generous: 32 threads, i.e. 16 web chat streams per process.
"""

import os

DEFAULT_THREADS = 32


def thread_count(env=None) -> int:
    """Threads per worker: ``GUNICORN_THREADS``, else :data:`DEFAULT_THREADS`.

    The web chat reads the same number to size its stream pool, so the two never disagree.
    """
    env = os.environ if env is None else env
    try:
        threads = int(env.get("GUNICORN_THREADS") or DEFAULT_THREADS)
    except ValueError:
        threads = DEFAULT_THREADS
    return max(1, threads)


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2")) if os.environ.get("REDIS_URL") else 1
threads = thread_count()
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
