"""One watcher per process for every open console stream.

Forty agents of a shift each keep a live screen open.  If every stream looked at the records
itself twice a second, the database would answer eighty identical questions a second and each
stream would hold a thread busy doing it.  Instead one thread per process (started with the
first stream, ended with the last) asks the records' fingerprint (:meth:`HandoffDesk.fingerprint`)
every ``every`` seconds, or at once when this process's desk announces a change (its
notifier), and wakes the streams only when something changed.  A stream is then a thread that
sleeps on a condition, which costs the hop loop nothing.
"""

from __future__ import annotations

import logging
import threading

from dialogs.desk import HandoffDesk

log = logging.getLogger(__name__)


class Watch:
    """Wakes every stream of this process when an agent's screen may have changed."""

    def __init__(self, desk: HandoffDesk, every: float) -> None:
        self.desk = desk
        self.every = every
        self.version = 0
        self._cond = threading.Condition()
        self._streams = 0
        self._thread: threading.Thread | None = None
        self._fingerprint: tuple | None = None

    def join(self) -> None:
        """A stream opens: start the watcher if it was asleep."""
        with self._cond:
            self._streams += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="agent-watch",
                                                daemon=True)
                self._thread.start()

    def leave(self) -> None:
        with self._cond:
            self._streams -= 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Sleep until the version moves past ``seen`` (or ``timeout``); the version now."""
        with self._cond:
            self._cond.wait_for(lambda: self.version != seen, max(0.0, timeout))
            return self.version

    def _bump(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()

    def _run(self) -> None:
        local = self.desk.notifier.version
        forced = False
        while True:
            with self._cond:
                if self._streams <= 0:
                    self._thread = None  # the next stream starts a new watcher
                    return
            fingerprint: tuple | None
            try:
                fingerprint = self.desk.fingerprint()
            except Exception:  # noqa: BLE001 - the database is away: the streams wait, then retry
                log.warning("console watch: records unavailable", exc_info=True)
                fingerprint = self._fingerprint
            if forced or fingerprint != self._fingerprint:
                # a change made here is shown at once, whatever the fingerprint says; read
                # after it, the fingerprint already includes it (one wake-up, not two)
                self._fingerprint = fingerprint
                self._bump()
            now = self.desk.notifier.wait(local, self.every)
            forced, local = now != local, now
