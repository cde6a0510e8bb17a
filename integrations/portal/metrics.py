"""Prometheus metrics of the portal integration (exposed by the app's ``/metrics``).

Registered once on the default registry at import time; label values are a small fixed set
(operation names, error kinds), never user data.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CALL_SECONDS = Histogram(
    "guichet_portal_call_seconds",
    "Duration of portal API calls, retries included, by operation.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0),
)

ERRORS = Counter(
    "guichet_portal_errors_total",
    "Failed portal API calls by operation and kind "
    "(timeout, connection, http_5xx, circuit_open, not_found, rejected, bad_response, http_4xx).",
    ["operation", "kind"],
)

CIRCUIT_STATE = Gauge(
    "guichet_portal_circuit_state",
    "State of the portal circuit breaker: 0 closed, 1 half-open, 2 open.",
)

CATALOGUE_REFRESH = Counter(
    "guichet_portal_catalogue_refresh_total",
    "Catalogue refresh attempts by result (ok, error).",
    ["result"],
)

_STATE_VALUE = {"closed": 0, "half_open": 1, "open": 2}


def set_circuit_state(state: str) -> None:
    """Publish the breaker state as a number so it can be graphed and alerted on."""
    CIRCUIT_STATE.set(_STATE_VALUE.get(state, 0))
