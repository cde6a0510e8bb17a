"""Helpers shared by the portal tests: a sandbox on a free loopback port, a settable clock, and
a WSGI middleware that counts the requests the sandbox really received (to prove retries)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer

from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server

ADMIN_KEY = "test-admin"
PHONE = "+2290197000001"
BENIN = timezone(timedelta(hours=1))
T0 = datetime(2025, 6, 2, 9, 0, 0, tzinfo=BENIN).timestamp()

CASIER_ANSWERS = {
    "npi": "1234567890",
    "nom": "Dossou",
    "prenoms": "Jean Marc",
    "date_naissance": "05/03/1990",
    "lieu_naissance": "Cotonou",
    "motif": "emploi",
}


class FakeClock:
    """A clock tests move by hand, so statuses and TTLs change without sleeping."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingMiddleware:
    """Counts ``(method, path)`` of every request reaching the app (thread-safe)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.counts[(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""))] += 1
        return self.app(environ, start_response)

    def count(self, method: str, path_prefix: str = "") -> int:
        with self._lock:
            return sum(
                n for (m, p), n in self.counts.items() if m == method and p.startswith(path_prefix)
            )


@dataclass
class Sandbox:
    url: str
    app: Flask
    server: BaseWSGIServer
    counter: CountingMiddleware

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def admin(self, path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(
            f"{self.api}/admin/{path}", json=body, headers={"X-Admin-Key": ADMIN_KEY}, timeout=5
        )

    def faults(self, **body: Any) -> None:
        response = self.admin("faults", body)
        assert response.status_code == 200, response.text


@contextmanager
def running_sandbox(**kwargs: Any) -> Iterator[Sandbox]:
    """Serve a fresh sandbox (in-memory db unless ``db_path``) for the ``with`` block."""
    kwargs.setdefault("admin_key", ADMIN_KEY)
    app = create_sandbox_app(**kwargs)
    counter = CountingMiddleware(app.wsgi_app)
    app.wsgi_app = counter  # type: ignore[method-assign]
    url, server = serve_in_thread(app, log_requests=False)
    try:
        yield Sandbox(url=url, app=app, server=server, counter=counter)
    finally:
        stop_server(server)
