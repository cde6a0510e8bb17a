"""The portal client's resilience over real HTTP: time budget, retries, breaker, stale cache."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from integrations.portal import (
    CircuitBreaker,
    PortalClient,
    PortalNotFound,
    PortalUnavailable,
)
from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from tests.portal_fixtures import CASIER_ANSWERS, PHONE, FakeClock, Sandbox, running_sandbox


@pytest.fixture()
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as sb:
        yield sb


def errors(operation: str, kind: str) -> float:
    value = REGISTRY.get_sample_value(
        "guichet_portal_errors_total", {"operation": operation, "kind": kind}
    )
    return value or 0.0


def test_slow_portal_fails_within_the_hop_budget(sandbox: Sandbox) -> None:
    client = PortalClient(sandbox.url)  # defaults: (0.5, 0.8), retries=2
    sandbox.faults(delay_ms=2000)
    before = errors("status", "timeout")
    start = time.monotonic()
    with pytest.raises(PortalUnavailable) as caught:
        client.status("SP-2025-000001")
    elapsed = time.monotonic() - start
    assert caught.value.kind == "timeout"
    assert elapsed < 1.2
    assert errors("status", "timeout") == before + 1
    assert sandbox.counter.count("GET", "/api/v1/requests/") == 1  # no budget left to retry


def test_background_caller_may_wait_longer(sandbox: Sandbox) -> None:
    client = PortalClient(sandbox.url)
    sandbox.faults(delay_ms=300)
    with pytest.raises(PortalUnavailable):
        client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "slow", timeout=(0.5, 0.1))
    done = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "slow", timeout=3.0)
    assert done.reference.startswith("SP-")


def test_get_is_retried_but_post_is_not(sandbox: Sandbox) -> None:
    client = PortalClient(sandbox.url, retries=2, backoff=0.01)
    sandbox.faults(fail_status=503)
    with pytest.raises(PortalUnavailable) as caught:
        client.status("SP-2025-000001")
    assert caught.value.kind == "http_5xx" and caught.value.status == 503
    assert sandbox.counter.count("GET", "/api/v1/requests/") == 3
    with pytest.raises(PortalUnavailable):
        client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "once")
    assert sandbox.counter.count("POST", "/api/v1/eservices/") == 1


def test_not_found_is_not_retried(sandbox: Sandbox) -> None:
    client = PortalClient(sandbox.url, retries=2, backoff=0.01)
    with pytest.raises(PortalNotFound):
        client.status("SP-2025-000404")
    assert sandbox.counter.count("GET", "/api/v1/requests/") == 1


def test_connection_refused_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PortalClient(f"http://127.0.0.1:{port}", backoff=0.01)
    with pytest.raises(PortalUnavailable) as caught:
        client.categories()
    assert caught.value.kind == "connection"
    assert client.ping() is False


def test_circuit_opens_fails_fast_then_recovers(sandbox: Sandbox) -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=30.0, clock=clock)
    client = PortalClient(sandbox.url, retries=0, breaker=breaker)
    sandbox.faults(fail_status=500)
    for _ in range(3):
        with pytest.raises(PortalUnavailable):
            client.status("SP-2025-000001")
    assert breaker.state == "open"
    sent = sandbox.counter.count("GET", "/api/v1/requests/")
    start = time.monotonic()
    with pytest.raises(PortalUnavailable) as caught:
        client.status("SP-2025-000001")
    assert time.monotonic() - start < 0.05
    assert caught.value.kind == "circuit_open"
    assert sandbox.counter.count("GET", "/api/v1/requests/") == sent

    clock.advance(30)
    assert breaker.state == "half_open"
    with pytest.raises(PortalUnavailable):  # the probe fails: open again
        client.status("SP-2025-000001")
    assert breaker.state == "open"
    sandbox.faults()  # portal back
    clock.advance(30)
    with pytest.raises(PortalNotFound):  # the probe reaches the portal: a 404 is an answer
        client.status("SP-2025-000001")
    assert breaker.state == "closed"
    assert client.procedure("visa").slug == "visa"


def test_catalogue_served_stale_when_portal_is_down(sandbox: Sandbox) -> None:
    clock = FakeClock()
    client = PortalClient(sandbox.url, catalogue_ttl=60.0, clock=clock, backoff=0.01)
    assert client.refresh()
    sandbox.faults(fail_status=503)
    clock.advance(600)
    assert client.cache.is_stale()
    assert client.refresh() is False
    assert client.procedure("passeport").cost_xof == 30000
    assert len(client.procedures()) == 16
    form = client.form("casier-judiciaire")
    assert form is not None and form.fee_xof == 1900
    assert "certificat-residence" in client.eservices()
    sandbox.faults()
    assert client.refresh() and not client.cache.is_stale()


def test_catalogue_served_stale_when_portal_is_gone() -> None:
    clock = FakeClock()
    app = create_sandbox_app()
    url, server = serve_in_thread(app, log_requests=False)
    client = PortalClient(url, catalogue_ttl=60.0, clock=clock, backoff=0.01)
    client.refresh()
    stop_server(server)
    clock.advance(120)
    assert client.procedure("casier-judiciaire").validity["fr"] == "3 mois"
    with pytest.raises(PortalUnavailable):
        client.status("SP-2025-000001")


def test_background_refresh_warms_the_cache(sandbox: Sandbox) -> None:
    client = PortalClient(sandbox.url)
    assert client.cache.get() is None
    client.start_refresh(interval=0.05)
    try:
        deadline = time.monotonic() + 3
        while client.cache.get() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        first = client.cache.get()
        while client.cache.get() is first:  # it keeps refreshing
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        client.close()
    assert not client.cache.running
    assert client.procedure("ifu").category == "fiscalite"


def test_ping(sandbox: Sandbox) -> None:
    client = PortalClient(sandbox.url)
    assert client.ping()
    sandbox.faults(fail_status=503)
    assert client.ping() is False


def test_personal_data_not_logged(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    url, server = serve_in_thread(sandbox.app)  # with request logging on
    try:
        client = PortalClient(url)
        with caplog.at_level(logging.DEBUG):
            client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "log")
            client.requests_for(PHONE)
            sandbox.faults(fail_status=503)
            with pytest.raises(PortalUnavailable):
                client.requests_for(PHONE)
        assert "requests?phone" in caplog.text  # the lines are there...
        assert PHONE[1:] not in caplog.text  # ...without the number
        assert CASIER_ANSWERS["npi"] not in caplog.text
    finally:
        stop_server(server)


def test_call_duration_is_measured(sandbox: Sandbox) -> None:
    def count() -> float:
        return (
            REGISTRY.get_sample_value(
                "guichet_portal_call_seconds_count", {"operation": "categories"}
            )
            or 0.0
        )

    before = count()
    PortalClient(sandbox.url).categories()
    assert count() == before + 1
