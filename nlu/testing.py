"""Helpers for tests of the NLU and of code that uses it (dialogs, HTTP): a model trained once
per process, and a fake Rasa server on loopback whose behaviour a test chooses.

They live in the package rather than in a conftest so that any test module can share them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from nlu.embedded import EmbeddedNLU


@lru_cache(maxsize=1)
def shared_model() -> EmbeddedNLU:
    """The embedded model trained in memory from nlu/data, once per test process."""
    return EmbeddedNLU.train()


@contextmanager
def fake_rasa(body: object = None, delay: float = 0.0, status: int = 200,
              raw: bytes | None = None) -> Iterator[str]:
    """Serve ``POST /model/parse`` on 127.0.0.1 (a free port) answering ``body`` as JSON (or
    ``raw`` bytes) after ``delay`` seconds; yields the base URL. ``body`` may be a callable
    taking the request's text."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
            time.sleep(delay)
            payload = raw if raw is not None else json.dumps(
                body(text) if callable(body) else body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
