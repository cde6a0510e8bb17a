"""Circuit breaker and catalogue cache on their own, with a hand-moved clock."""

from __future__ import annotations

import threading

from integrations.portal.breaker import CircuitBreaker
from integrations.portal.cache import CatalogueCache, CatalogueSnapshot
from integrations.privacy import mask_digits, redact_text
from tests.portal_fixtures import FakeClock


def test_breaker_opens_after_consecutive_failures() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=10, clock=clock)
    breaker.record_failure()
    breaker.record_success()  # not consecutive
    breaker.record_failure()
    assert breaker.allow() and breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.advance(9.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_is_thread_safe_under_contention() -> None:
    breaker = CircuitBreaker(failure_threshold=1000, clock=FakeClock())

    def fail() -> None:
        for _ in range(100):
            breaker.record_failure()

    threads = [threading.Thread(target=fail) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker.state == "open"


def _snapshot(clock: FakeClock, tag: str) -> CatalogueSnapshot:
    return CatalogueSnapshot(categories=(), procedures={}, eservices=(tag,), loaded_at=clock())


def test_cache_serves_stale_and_refreshes_once_in_the_background() -> None:
    clock = FakeClock()
    calls: list[str] = []
    release = threading.Event()
    fail = False

    def loader() -> CatalogueSnapshot:
        calls.append("load")
        if len(calls) > 1:
            release.wait(2)
        if fail:
            raise RuntimeError("portal down")
        return _snapshot(clock, f"v{len(calls)}")

    cache = CatalogueCache(loader, ttl=60, clock=clock, retry_every=5)
    assert cache.get() is None
    assert cache.refresh()
    assert cache.get().eservices == ("v1",)
    clock.advance(61)
    fail = True
    stale = cache.get()  # kicks one background refresh, returns at once
    assert stale is not None and stale.eservices == ("v1",)
    assert cache.get() is stale  # no second refresh while one is running
    release.set()
    for _ in range(200):
        if not cache._refreshing:
            break
        threading.Event().wait(0.01)
    assert calls == ["load", "load"]
    assert cache.get().eservices == ("v1",)  # still stale after the failed refresh
    assert calls == ["load", "load"]  # and not retried before retry_every
    clock.advance(5)
    fail = False
    cache.get()
    for _ in range(200):
        if cache.get().eservices != ("v1",):
            break
        threading.Event().wait(0.01)
    assert cache.get().eservices == ("v3",)


def test_masking() -> None:
    assert mask_digits("+2290197000001") == "+***********01"
    assert redact_text("GET /requests?phone=%2B2290197000001 npi 1234567890") == (
        "GET /requests?phone=%2B***********01 npi ********90"
    )
    assert redact_text("SP-2025-000123") == "SP-2025-000123"
