"""A small circuit breaker, so a dead portal costs a USSD hop microseconds instead of a timeout.

Closed: calls go through; ``failure_threshold`` consecutive failures open it.  Open: calls are
refused until ``reset_timeout`` has passed.  Half-open: one probe call is let through; its
success closes the circuit, its failure opens it again for another cool-down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Thread-safe consecutive-failure breaker with an injectable clock (for tests)."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        """Current state; an open circuit past its cool-down reports ``half_open``."""
        with self._lock:
            if self._state == "open" and self._cooled_down():
                return "half_open"
            return self._state

    def allow(self) -> bool:
        """Say whether a call may go out now; in half-open only one probe at a time may."""
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open":
                if not self._cooled_down():
                    return False
                self._state = "half_open"
                self._probe_in_flight = False
            if self._probe_in_flight:
                return False
            self._probe_in_flight = True
            return True

    def record_success(self) -> None:
        """The portal answered (even 4xx): close the circuit and forget past failures."""
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._probe_in_flight = False

    def record_failure(self) -> None:
        """The portal did not answer usefully: open at the threshold, or when a probe failed."""
        with self._lock:
            self._probe_in_flight = False
            if self._state == "half_open":
                self._open()
                return
            self._failures += 1
            if self._state == "closed" and self._failures >= self.failure_threshold:
                self._open()

    def reset(self) -> None:
        """Force the circuit closed (operators, tests)."""
        self.record_success()

    def _open(self) -> None:
        self._state = "open"
        self._opened_at = self._clock()

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self.reset_timeout
