"""Serve a WSGI app (the sandbox) on a background thread, for tests and the in-process default."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ...privacy import redact_text


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request log, with phone numbers and NPIs in query strings masked."""

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 (werkzeug's name)
        super().log(type, "%s", redact_text(message % args if args else message))


class QuietRequestHandler(RedactingRequestHandler):
    """No per-request log lines (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def serve_in_thread(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_requests: bool = True,
    poll_interval: float = 0.05,
) -> tuple[str, BaseWSGIServer]:
    """Start ``app`` on a daemon thread; ``port=0`` picks a free port.

    ``poll_interval`` bounds how long a shutdown waits (werkzeug's default is 0.5 s, which
    adds up across a test suite).

    Returns ``(base_url, server)``; stop it with :func:`stop_server` (or ``server.shutdown()``
    then ``server.server_close()``).
    """
    handler = RedactingRequestHandler if log_requests else QuietRequestHandler
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name=f"sandbox-portal-{server.server_port}",
        daemon=True,
    )
    server.guichet_thread = thread  # type: ignore[attr-defined]
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.server_port}", server


def stop_server(server: BaseWSGIServer, timeout: float = 5.0) -> None:
    """Stop a server started by :func:`serve_in_thread` and free its port."""
    server.shutdown()
    server.server_close()
    thread = getattr(server, "guichet_thread", None)
    if thread is not None:
        thread.join(timeout)
