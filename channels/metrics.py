"""Prometheus metrics for hops and USSD sessions (portal call metrics live with the client).

When gunicorn runs several workers, ``PROMETHEUS_MULTIPROC_DIR`` makes every worker's figures
visible from any of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HOPS = Counter("guichet_hops_total", "Inbound hops handled, per channel", ["channel"])
HOP_SECONDS = Histogram(
    "guichet_hop_seconds",
    "Time to answer one inbound hop, per channel",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
USSD_SESSIONS = Counter(
    "guichet_ussd_sessions_ended_total",
    "USSD sessions ended (from the gateway's notification), by status and last screen",
    ["status", "screen"],
)
GATEWAY_REFUSED = Counter(
    "guichet_gateway_callbacks_refused_total",
    "Callbacks refused because they lacked the gateway's token or came from elsewhere",
    ["endpoint", "reason"],
)

PORTAL_EVENTS = Counter(
    "guichet_portal_events_total",
    "The portal's events: accepted, duplicate (acted on once), refused (signature), invalid",
    ["outcome"],
)
NEWS_SENT = Counter("guichet_news_total", "News told to citizens, by channel and outcome",
                    ["channel", "outcome"])
TEMPLATE_REFUSALS = Counter(
    "guichet_whatsapp_template_refusals_total",
    "WhatsApp templates Meta refused (132xxx: unknown, paused, parameters), by error code",
    ["code"],
)


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric, across workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
