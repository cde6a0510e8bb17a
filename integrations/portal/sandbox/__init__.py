"""A runnable sandbox of the portal API (service-public.bj), for development, demos and tests.

``create_sandbox_app(...)`` builds the Flask app; ``serve_in_thread(app)`` serves it on a free
loopback port in-process; ``python -m integrations.portal.sandbox`` serves it in the foreground.
"""

from .app import create_sandbox_app
from .server import serve_in_thread, stop_server

__all__ = ["create_sandbox_app", "serve_in_thread", "stop_server"]
