"""In-memory catalogue cache: serve-from-memory, refresh in the background, serve stale on error.

The catalogue (categories, procedure sheets, e-service forms) changes rarely and is read on
every USSD hop, so it is kept in memory.  A snapshot is replaced whole and atomically when a
refresh succeeds; when a refresh fails the previous snapshot keeps being served, because an
hour-old fee is far more useful to a citizen than an error screen.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import metrics
from .models import Category, FormSchema, Procedure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogueSnapshot:
    """Everything the portal publishes about its procedures, as of ``loaded_at``."""

    categories: tuple[Category, ...]
    procedures: dict[str, Procedure]
    """By slug, in the portal's order."""
    eservices: tuple[str, ...]
    forms: dict[str, FormSchema] = field(default_factory=dict)
    loaded_at: float = 0.0


class CatalogueCache:
    """Holds the latest snapshot; refreshes it from ``loader`` on a timer or when stale.

    ``get()`` never blocks on the network: a stale snapshot is returned at once and a refresh
    is started on the side (at most one at a time, at most one attempt per ``retry_every``).
    """

    def __init__(
        self,
        loader: Callable[[], CatalogueSnapshot],
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        retry_every: float | None = None,
    ) -> None:
        self._loader = loader
        self.ttl = ttl
        self._clock = clock
        self._retry_every = min(30.0, ttl) if retry_every is None else retry_every
        self._snapshot: CatalogueSnapshot | None = None
        self._lock = threading.Lock()
        self._refreshing = False
        self._last_attempt: float | None = None
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None
        self.version = 0
        """Bumped each time a refresh brings different procedures: readers rebuild on it."""
        self._listeners: list[Callable[[CatalogueSnapshot], None]] = []

    def get(self) -> CatalogueSnapshot | None:
        """The current snapshot (possibly stale), or ``None`` while the cache is cold."""
        snapshot = self._snapshot
        if snapshot is not None and self.is_stale(snapshot) and not self.running:
            self._refresh_async()
        return snapshot

    def now(self) -> float:
        """The cache's clock (snapshots are stamped with it)."""
        return self._clock()

    def is_stale(self, snapshot: CatalogueSnapshot | None = None) -> bool:
        snapshot = snapshot or self._snapshot
        return snapshot is None or self._clock() - snapshot.loaded_at >= self.ttl

    @property
    def running(self) -> bool:
        """True while the background refresh timer started by :meth:`start` is alive."""
        return self._timer is not None and self._timer.is_alive()

    def refresh(self) -> bool:
        """Load a new snapshot now; on failure keep the old one. Returns whether it succeeded."""
        with self._lock:
            self._last_attempt = self._clock()
        try:
            snapshot = self._loader()
        except Exception as exc:  # any failure: keep serving what we have
            metrics.CATALOGUE_REFRESH.labels("error").inc()
            log.warning("portal catalogue refresh failed, serving stale data: %s", exc)
            return False
        previous, self._snapshot = self._snapshot, snapshot
        metrics.CATALOGUE_REFRESH.labels("ok").inc()
        if previous is None or previous.procedures != snapshot.procedures:
            self.version += 1
            self._notify(snapshot)
        return True

    def subscribe(self, listener: Callable[[CatalogueSnapshot], None]) -> None:
        """Call ``listener(snapshot)`` after each refresh that changed the procedures (on the
        refreshing thread, never a citizen's hop), and now if a snapshot is already held:
        the NLU rebuilds its word list this way."""
        self._listeners.append(listener)
        snapshot = self._snapshot
        if snapshot is not None:
            self._call(listener, snapshot)

    def _notify(self, snapshot: CatalogueSnapshot) -> None:
        for listener in list(self._listeners):
            self._call(listener, snapshot)

    @staticmethod
    def _call(listener: Callable[[CatalogueSnapshot], None], snapshot: CatalogueSnapshot) -> None:
        try:
            listener(snapshot)
        except Exception:  # a listener's bug must not stop the catalogue from refreshing
            log.exception("catalogue refresh listener failed")

    def start(self, interval: float | None = None) -> None:
        """Refresh now, then every ``interval`` s (default ``ttl / 2``), on a daemon thread."""
        if self.running:
            return
        period = self.ttl / 2 if interval is None else interval
        self._stop.clear()
        self._timer = threading.Thread(
            target=self._loop, args=(period,), name="portal-catalogue-refresh", daemon=True
        )
        self._timer.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the background timer (idempotent)."""
        self._stop.set()
        timer = self._timer
        if timer is not None and timer is not threading.current_thread():
            timer.join(timeout)
        self._timer = None

    def _loop(self, period: float) -> None:
        while not self._stop.is_set():
            self.refresh()
            if self._stop.wait(period):
                return

    def _refresh_async(self) -> None:
        with self._lock:
            now = self._clock()
            recently = (
                self._last_attempt is not None and now - self._last_attempt < self._retry_every
            )
            if self._refreshing or recently:
                return
            self._refreshing = True
            self._last_attempt = now

        def run() -> None:
            try:
                self.refresh()
            finally:
                with self._lock:
                    self._refreshing = False

        threading.Thread(target=run, name="portal-catalogue-stale", daemon=True).start()
