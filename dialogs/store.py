"""Where conversations live between hops: Redis in production, process memory by default.

A hop reads everything it needs in one round trip (:meth:`Store.get_many`) and writes it back in
one (:meth:`Store.put_many`), because USSD hops must answer in well under a second and the store is
on every hop's path.  Redis errors become :class:`StoreUnavailable` so channels can apologise
instead of failing with a 5xx.
"""

from __future__ import annotations

import heapq
import json
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Protocol

import redis


class StoreUnavailable(RuntimeError):
    """The session store cannot be reached right now."""


class Store(Protocol):
    def get_many(self, keys: Iterable[str]) -> list[dict | None]: ...

    def put_many(self, items: Mapping[str, tuple[dict | None, int | None]]) -> None:
        """Write ``{key: (value, ttl_seconds)}``; a ``None`` value deletes the key."""

    def first_time(self, key: str, ttl: int) -> bool:
        """Mark ``key`` as seen for ``ttl`` seconds; True only for the first caller.

        Providers redeliver webhooks (the same SMS or WhatsApp message id twice): this is how a
        channel handles each once, across workers.
        """

    def incr(self, key: str, ttl: int) -> int:
        """Count an event in a window of ``ttl`` seconds that starts at the first event."""

    def ping(self) -> bool: ...


SWEEP_PER_WRITE = 64
"""Expired keys dropped at most per write: the sweep keeps pace with traffic, no pause."""


class MemoryStore:
    """An in-process store with expiry, for the embedded mode (one worker process).

    A key nobody reads again (an abandoned USSD session, a webhook id seen once) would stay
    forever: every write also drops a few expired keys, taken in expiry order from a heap.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._expiries: list[tuple[float, str]] = []
        """``(expiry, key)`` for every expiry set; stale once the key is renewed or deleted."""
        self._lock = threading.Lock()
        self._clock = clock

    def __len__(self) -> int:
        """Keys held, expired ones not yet swept included."""
        with self._lock:
            return len(self._data)

    def _set(self, key: str, raw: str, expiry: float | None) -> None:
        previous = self._data.get(key)
        self._data[key] = (raw, expiry)
        if expiry is not None and (previous is None or previous[1] != expiry):
            heapq.heappush(self._expiries, (expiry, key))

    def _sweep(self, now: float) -> None:
        """Drop up to :data:`SWEEP_PER_WRITE` expired keys (called with the lock held)."""
        heap = self._expiries
        for _ in range(SWEEP_PER_WRITE):
            if not heap or heap[0][0] > now:
                return
            _expiry, key = heapq.heappop(heap)
            item = self._data.get(key)
            if item is not None and item[1] is not None and item[1] <= now:
                del self._data[key]

    def get_many(self, keys: Iterable[str]) -> list[dict | None]:
        now = self._clock()
        out: list[dict | None] = []
        with self._lock:
            for key in keys:
                item = self._data.get(key)
                if item is None or (item[1] is not None and item[1] <= now):
                    self._data.pop(key, None)
                    out.append(None)
                else:
                    out.append(json.loads(item[0]))
        return out

    def put_many(self, items: Mapping[str, tuple[dict | None, int | None]]) -> None:
        now = self._clock()
        with self._lock:
            for key, (value, ttl) in items.items():
                if value is None:
                    self._data.pop(key, None)
                else:
                    expiry = now + ttl if ttl else None
                    self._set(key, json.dumps(value, ensure_ascii=False), expiry)
            self._sweep(now)

    def first_time(self, key: str, ttl: int) -> bool:
        now = self._clock()
        with self._lock:
            self._sweep(now)
            item = self._data.get(key)
            if item is not None and (item[1] is None or item[1] > now):
                return False
            self._set(key, "1", now + ttl)
            return True

    def incr(self, key: str, ttl: int) -> int:
        now = self._clock()
        with self._lock:
            self._sweep(now)
            item = self._data.get(key)
            if item is None or (item[1] is not None and item[1] <= now):
                item = ("0", now + ttl)
            count = int(item[0]) + 1
            self._set(key, str(count), item[1])
            return count

    def ping(self) -> bool:
        return True


class RedisStore:
    """Sessions, profiles and drafts as JSON strings in Redis, with TTLs."""

    def __init__(self, url: str, *, timeout: float = 0.3) -> None:
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
            decode_responses=True,
        )

    def get_many(self, keys: Iterable[str]) -> list[dict | None]:
        keys = list(keys)
        try:
            raw = self.client.mget(keys)
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [json.loads(v) if v is not None else None for v in raw]

    def put_many(self, items: Mapping[str, tuple[dict | None, int | None]]) -> None:
        try:
            if len(items) == 1:  # the common hop: only the session changed, one plain command
                ((key, (value, ttl)),) = items.items()
                if value is None:
                    self.client.delete(key)
                else:
                    self.client.set(key, json.dumps(value, ensure_ascii=False), ex=ttl or None)
                return
            pipe = self.client.pipeline(transaction=False)
            for key, (value, ttl) in items.items():
                if value is None:
                    pipe.delete(key)
                else:
                    pipe.set(key, json.dumps(value, ensure_ascii=False), ex=ttl or None)
            pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def first_time(self, key: str, ttl: int) -> bool:
        try:
            return bool(self.client.set(key, "1", nx=True, ex=ttl))
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def incr(self, key: str, ttl: int) -> int:
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return int(count)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False
