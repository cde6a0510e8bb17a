"""The session store, in memory and in a real Redis: same behaviour, expiry included."""

from __future__ import annotations

import pytest

from dialogs.store import MemoryStore, RedisStore


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        clock = {"now": 1000.0}
        return MemoryStore(clock=lambda: clock["now"])
    return RedisStore(request.getfixturevalue("redis_url"))


def test_values_round_trip_and_none_deletes(store):
    store.put_many({"a": ({"x": "é"}, 60), "b": ({"y": [1, 2]}, None)})
    assert store.get_many(["a", "b", "c"]) == [{"x": "é"}, {"y": [1, 2]}, None]
    store.put_many({"a": (None, None)})
    assert store.get_many(["a"]) == [None]


def test_first_time_is_true_once(store):
    assert store.first_time("msg:1", 60) is True
    assert store.first_time("msg:1", 60) is False
    assert store.first_time("msg:2", 60) is True


def test_incr_counts_within_a_window(store):
    assert [store.incr("rate:x", 60) for _ in range(3)] == [1, 2, 3]
    assert store.incr("rate:y", 60) == 1


def test_memory_entries_expire():
    clock = {"now": 0.0}
    store = MemoryStore(clock=lambda: clock["now"])
    store.put_many({"s": ({"v": 1}, 10)})
    assert store.first_time("k", 10)
    clock["now"] = 11
    assert store.get_many(["s"]) == [None] and store.first_time("k", 10)


def test_redis_ttl_is_set(redis_url):
    store = RedisStore(redis_url)
    store.put_many({"s": ({"v": 1}, 30)})
    assert 0 < store.client.ttl("s") <= 30
