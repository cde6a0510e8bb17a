"""Serve a WSGI app (a provider fake, Guichet itself, a host page) on a free loopback port."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, make_server


def serve(wsgi_app) -> tuple[str, BaseWSGIServer]:
    """Start ``wsgi_app`` on a daemon thread; returns ``(base URL, server)``."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server
