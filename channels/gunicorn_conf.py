"""gunicorn settings: one threaded worker in embedded mode, ``WEB_CONCURRENCY`` with Redis.

Without ``REDIS_URL`` sessions live in the worker's memory, so there must be exactly one worker
process (with threads); with Redis the workers are stateless and can be multiplied.  Each live
web-chat or console stream (server-sent events) holds a thread: ``GUNICORN_THREADS`` sizes how
many a process serves beside the hops (the streams take at most half).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
if os.environ.get("REDIS_URL"):
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    threads = int(os.environ.get("GUNICORN_THREADS", "8"))
else:
    workers = 1
    threads = int(os.environ.get("GUNICORN_THREADS", "16"))
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
