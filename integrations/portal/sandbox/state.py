"""What one sandbox app holds: its catalogue, store, faults, keys, clocks and event delivery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import current_app

from .catalogue import SandboxCatalogue
from .faults import Faults
from .store import RequestStore

log = logging.getLogger(__name__)
BENIN_TZ = timezone(timedelta(hours=1), "WAT")
"""Benin keeps UTC+1 all year: timestamps and the reference year are local."""
EXTENSION = "guichet_portal_sandbox"
OnEvent = Callable[[dict[str, Any]], None]


@dataclass
class SandboxState:
    catalogue: SandboxCatalogue
    store: RequestStore
    faults: Faults
    api_key: str | None
    admin_key: str
    step_seconds: float
    clock: Callable[[], float]
    settle_seconds: float | None = None
    """A pending payment succeeds by itself after this long (``None``: only the admin settles)."""
    expire_seconds: float = 300.0
    """A payment still pending after this long expires (the citizen never approved it)."""
    on_event: OnEvent | None = None
    sweep_every: float = 0.5
    last_sweep: float = field(default=float("-inf"))
    sweep_lock: threading.Lock = field(default_factory=threading.Lock)

    def iso(self, epoch: float) -> str:
        return datetime.fromtimestamp(epoch, BENIN_TZ).isoformat(timespec="seconds")

    def local_now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), BENIN_TZ)

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Hand new events (already stored) to ``on_event``; a failing callback loses nothing:
        the events stay listed by ``GET /api/v1/events``."""
        if self.on_event is None:
            return
        for event in events:
            try:
                self.on_event(event)
            except Exception:
                log.exception("sandbox event delivery failed", extra={"event": event["id"]})


def current_state() -> SandboxState:
    return current_app.extensions[EXTENSION]
