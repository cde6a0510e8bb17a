"""Each web chat session's conversation log: what the page shows and what the event stream sends.

One bounded, ordered log per session holds every entry (the visitor's messages, the bot's
replies, and messages that arrive later: an agent's answer, a background result).  Entry ids
grow by one per session, so they are also the server-sent events' ids: a stream that resumes
with ``Last-Event-ID: n`` gets the later entries and nothing twice.

In embedded mode (no ``REDIS_URL``) the log lives in this process and a condition variable wakes
the streams; with Redis it is a list per session (trimmed, expiring) appended by a Lua script
(the id and the append are atomic, so ids are never out of order) and a pub/sub channel wakes
the streams of every worker.  Redis errors become :class:`dialogs.store.StoreUnavailable`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import OrderedDict, deque
from typing import Protocol

import redis

from dialogs.store import StoreUnavailable

MAX_ENTRIES = 200
"""Entries kept per session: a long chat loses its oldest lines, never the service's memory."""
MAX_SESSIONS = 20_000
"""Sessions kept in process memory (embedded mode); the oldest go first."""
LIVE = "live"
"""An entry's ``live`` flag: it arrived after the hop (push), so the event stream sends it."""


class Subscription(Protocol):
    def wait(self, after: int, timeout: float) -> None:
        """Return when an entry newer than ``after`` may exist, or after ``timeout`` seconds."""

    def close(self) -> None: ...


class ChatLog(Protocol):
    def create(self, sid: str, meta: dict, ttl: int) -> None: ...

    def meta(self, sid: str) -> dict | None:
        """The session's metadata (who, since when), or None when it is unknown or expired."""

    def update_meta(self, sid: str, changes: dict) -> None:
        """Change some of the session's metadata (the visitor proved a number), same expiry."""

    def claim_stream(self, sid: str) -> int:
        """Become the session's one live stream: returns its number, and ends the older one
        (its :meth:`Subscription.wait` returns and :meth:`stream_number` has moved on)."""

    def stream_number(self, sid: str) -> int:
        """The number of the session's latest stream (0: none)."""

    def append(self, sid: str, entry: dict, ttl: int) -> int | None:
        """Add ``entry`` (its ``id`` is set here) and return the id; None for an unknown session."""

    def since(self, sid: str, after: int = 0) -> list[dict]:
        """The entries with an id greater than ``after``, oldest first."""

    def subscribe(self, sid: str) -> Subscription: ...

    def ping(self) -> bool: ...


class _Session:
    __slots__ = ("meta", "seq", "entries", "expires")

    def __init__(self, meta: dict, expires: float) -> None:
        self.meta = meta
        self.seq = 0
        self.entries: deque[dict] = deque(maxlen=MAX_ENTRIES)
        self.expires = expires


class MemoryChatLog:
    """Embedded mode: logs in this process; a condition wakes the waiting streams."""

    def __init__(self, clock=time.monotonic) -> None:
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._streams: dict[str, int] = {}
        self._cond = threading.Condition()
        self._clock = clock

    def _get(self, sid: str) -> _Session | None:
        session = self._sessions.get(sid)
        if session is not None and session.expires <= self._clock():
            del self._sessions[sid]
            return None
        return session

    def create(self, sid: str, meta: dict, ttl: int) -> None:
        with self._cond:
            now = self._clock()
            while self._sessions:  # drop expired sessions from the oldest end
                oldest = next(iter(self._sessions.values()))
                if oldest.expires > now and len(self._sessions) < MAX_SESSIONS:
                    break
                self._sessions.popitem(last=False)
            self._sessions[sid] = _Session(dict(meta), now + ttl)

    def meta(self, sid: str) -> dict | None:
        with self._cond:
            session = self._get(sid)
            return dict(session.meta) if session else None

    def update_meta(self, sid: str, changes: dict) -> None:
        with self._cond:
            session = self._get(sid)
            if session is not None:
                session.meta.update(changes)

    def claim_stream(self, sid: str) -> int:
        with self._cond:
            if len(self._streams) > MAX_SESSIONS:  # forget sessions long gone
                self._streams = {k: v for k, v in self._streams.items() if k in self._sessions}
            number = self._streams[sid] = self._streams.get(sid, 0) + 1
            self._cond.notify_all()
            return number

    def stream_number(self, sid: str) -> int:
        with self._cond:
            return self._streams.get(sid, 0)

    def append(self, sid: str, entry: dict, ttl: int) -> int | None:
        with self._cond:
            session = self._get(sid)
            if session is None:
                return None
            session.seq += 1
            session.entries.append({**entry, "id": session.seq})
            session.expires = self._clock() + ttl
            self._sessions.move_to_end(sid)
            self._cond.notify_all()
            return session.seq

    def since(self, sid: str, after: int = 0) -> list[dict]:
        with self._cond:
            session = self._get(sid)
            if session is None:
                return []
            return [dict(e) for e in session.entries if e["id"] > after]

    def _seq(self, sid: str) -> int:
        session = self._sessions.get(sid)
        return session.seq if session else 0

    def subscribe(self, sid: str) -> Subscription:
        log = self

        class _Waiter:
            def wait(self, after: int, timeout: float) -> None:
                with log._cond:
                    stream = log._streams.get(sid, 0)
                    log._cond.wait_for(lambda: log._seq(sid) > after
                                       or log._streams.get(sid, 0) != stream, timeout)

            def close(self) -> None:
                pass

        return _Waiter()

    def ping(self) -> bool:
        return True


_APPEND = """
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
local id = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], id .. '|' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('PUBLISH', KEYS[4], id)
return id
"""


class RedisChatLog:
    """Logs in Redis, shared by every worker; pub/sub wakes the streams."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=timeout,
                                           socket_connect_timeout=min(timeout, 1.0),
                                           health_check_interval=30, decode_responses=True)
        self._append = self.client.register_script(_APPEND)

    @staticmethod
    def _stream_key(sid: str) -> str:
        return f"gc:wc:stream:{sid}"

    @staticmethod
    def _keys(sid: str) -> tuple[str, str, str, str]:
        return (f"gc:wc:seq:{sid}", f"gc:wc:log:{sid}", f"gc:wc:meta:{sid}", f"gc:wc:ev:{sid}")

    def create(self, sid: str, meta: dict, ttl: int) -> None:
        seq, _log, meta_key, _channel = self._keys(sid)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(meta_key, json.dumps(meta, ensure_ascii=False), ex=ttl)
            pipe.set(seq, 0, ex=ttl)
            pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def meta(self, sid: str) -> dict | None:
        try:
            raw = self.client.get(self._keys(sid)[2])
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return json.loads(raw) if raw else None

    def update_meta(self, sid: str, changes: dict) -> None:
        meta = self.meta(sid)
        if meta is None:
            return
        meta.update(changes)
        try:
            self.client.set(self._keys(sid)[2], json.dumps(meta, ensure_ascii=False),
                            keepttl=True, xx=True)
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def claim_stream(self, sid: str) -> int:
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.incr(self._stream_key(sid))
            pipe.expire(self._stream_key(sid), 86400)
            pipe.publish(self._keys(sid)[3], 0)  # wakes the older stream, in any worker
            number, _expiry, _woken = pipe.execute()
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return int(number)

    def stream_number(self, sid: str) -> int:
        try:
            return int(self.client.get(self._stream_key(sid)) or 0)
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

    def append(self, sid: str, entry: dict, ttl: int) -> int | None:
        body = json.dumps({k: v for k, v in entry.items() if k != "id"}, ensure_ascii=False)
        try:
            found = self._append(keys=self._keys(sid), args=[body, MAX_ENTRIES, ttl])
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return int(found) or None

    def since(self, sid: str, after: int = 0) -> list[dict]:
        try:
            raw = self.client.lrange(self._keys(sid)[1], 0, -1)
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        out = []
        for item in raw:  # str: the client decodes responses
            head, _, body = str(item).partition("|")
            if int(head) > after:
                out.append({**json.loads(body), "id": int(head)})
        return out

    def subscribe(self, sid: str) -> Subscription:
        try:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(self._keys(sid)[3])
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc

        class _Listener:
            def wait(self, after: int, timeout: float) -> None:
                deadline = time.monotonic() + timeout
                while True:  # short polls: the socket timeout never fires mid-wait
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return
                    try:
                        message = pubsub.get_message(timeout=min(left, 1.0))
                    except redis.RedisError as exc:
                        raise StoreUnavailable(str(exc)) from exc
                    if message and message.get("type") == "message":
                        return

            def close(self) -> None:
                with contextlib.suppress(redis.RedisError):
                    pubsub.close()

        return _Listener()

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


_logs: dict[str, ChatLog] = {}
_logs_lock = threading.Lock()


def chat_log(redis_url: str | None) -> ChatLog:
    """The log for this process: one per Redis URL, or the process's own in embedded mode."""
    key = redis_url or "memory"
    with _logs_lock:
        found = _logs.get(key)
        if found is None:
            found = RedisChatLog(redis_url) if redis_url else MemoryChatLog()
            _logs[key] = found
        return found
