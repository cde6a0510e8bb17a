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


def test_memory_drops_expired_sessions_nobody_reads_again():
    """Sessions abandoned mid-dialog are never read again: writes must sweep them."""
    clock = {"now": 0.0}
    store = MemoryStore(clock=lambda: clock["now"])
    for n in range(5000):
        store.put_many({f"gc:s:ussd:{n}": ({"dialog": {"at": "home"}}, 180)})
        store.first_time(f"sms:seen:{n}", 60)
        store.incr(f"sms:rate:{n}", 60)
    store.put_many({"gc:p:kept": ({"lang": "fr"}, None)})
    assert len(store) == 15001
    clock["now"] = 181.0
    for n in range(300):  # later traffic only, never reading the old keys
        store.put_many({f"gc:s:ussd:new{n}": ({"dialog": {"at": "home"}}, 180)})
    assert len(store) == 301  # the new sessions and the profile without expiry
    assert store.get_many(["gc:p:kept"]) == [{"lang": "fr"}]


def test_memory_keeps_a_key_whose_expiry_was_pushed_back():
    clock = {"now": 0.0}
    store = MemoryStore(clock=lambda: clock["now"])
    store.put_many({"s": ({"v": 1}, 10)})
    clock["now"] = 5.0
    store.put_many({"s": ({"v": 2}, 10)})  # the next hop renews the session
    clock["now"] = 12.0
    store.put_many({"other": ({"v": 3}, 10)})
    assert len(store) == 2 and store.get_many(["s"]) == [{"v": 2}]
