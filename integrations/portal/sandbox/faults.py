"""Fault injection: make the sandbox slow or failing on demand, to test how Guichet copes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FaultSettings:
    delay_ms: int = 0
    """Sleep this long before answering each API call."""
    fail_status: int | None = None
    """Answer every API call with this HTTP status (e.g. 503) instead of serving it."""

    def as_json(self) -> dict[str, Any]:
        return {"delay_ms": self.delay_ms, "fail_status": self.fail_status}


def parse_faults(body: Any) -> FaultSettings:
    """Validate the admin body; ``{}`` resets.  Raises ``ValueError`` naming the bad key."""
    if not isinstance(body, dict):
        raise ValueError("body")
    delay = body.get("delay_ms") or 0
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= 60_000:
        raise ValueError("delay_ms")
    status = body.get("fail_status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
    ):
        raise ValueError("fail_status")
    return FaultSettings(delay_ms=delay, fail_status=status)


class Faults:
    """The current fault settings of one sandbox app (thread-safe swap)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return self._settings

    def set(self, settings: FaultSettings) -> None:
        with self._lock:
            self._settings = settings

    def apply_delay(self) -> FaultSettings:
        """Sleep the configured delay (real time); return the settings that applied."""
        settings = self.settings
        if settings.delay_ms:
            time.sleep(settings.delay_ms / 1000)
        return settings
