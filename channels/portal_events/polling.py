"""The polling fallback: when the portal's events stop, ask it about open requests.

Each event received marks the store (``portal:events:heard``, for ``PORTAL_POLL_SILENCE``
seconds).  Every ``PORTAL_POLL_SECONDS`` one process (``portal:poll:round``, whoever marks it
first) looks: while events are heard it does nothing; otherwise it asks the portal about the
next ``PORTAL_POLL_BATCH`` open followed requests after a cursor kept in the store (ordered by
id, so a round reads one page and never the whole table) and turns each change into the same
news as an event would (told once: the last status told is compare-and-set).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from flask import Flask

from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
HEARD = "portal:events:heard"
CURSOR = "portal:poll:cursor"
ROUND = "portal:poll:round"


def heard(rt: Any) -> None:
    """An event came: no polling for ``PORTAL_POLL_SILENCE`` seconds."""
    silence = rt.settings.portal_poll_silence
    if silence > 0:
        with contextlib.suppress(StoreUnavailable):
            rt.store.put_many({HEARD: ({"at": 1}, silence)})


def round_(rt: Any, *, force: bool = False) -> int:
    """One round: how many news it sent (0 when events are flowing or another process polls)."""
    settings = rt.settings
    try:
        if not force:
            if not rt.store.first_time(ROUND, max(1, int(settings.portal_poll_seconds * 0.9))):
                return 0
            (recent,) = rt.store.get_many([HEARD])
            if recent is not None:
                return 0
        (kept,) = rt.store.get_many([CURSOR])
    except StoreUnavailable:
        return 0
    after = int((kept or {}).get("after", 0))
    cursor, told = rt.news.poll(after, settings.portal_poll_batch)
    with contextlib.suppress(StoreUnavailable):
        rt.store.put_many({CURSOR: ({"after": cursor}, 7 * 24 * 3600)})
    if told:
        log.info("polling found news the events did not bring", extra={"told": told})
    return told


class Poller:
    """A daemon thread running :func:`round_` in ``app``'s context every ``every`` seconds."""

    def __init__(self, app: Flask, every: float) -> None:
        self.app = app
        self.every = every
        self._stop = threading.Event()

    def start(self) -> Poller:
        def loop() -> None:
            while not self._stop.wait(self.every):
                try:
                    with self.app.app_context():
                        round_(self.app.extensions["guichet"])
                except Exception:  # a bad round must not end the fallback
                    log.exception("portal polling round failed")

        threading.Thread(target=loop, name="portal-poll", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
