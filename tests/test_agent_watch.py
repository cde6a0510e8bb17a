"""One watcher per process wakes every open console stream (channels/agent/watch.py).

Forty streams cost one look at the records per half second, not forty, a change made in this
process wakes them at once, and the watcher's thread ends with the last stream.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from channels.agent.watch import Watch


def test_forty_streams_share_one_look_at_the_records(make_app):
    desk = make_app(OFFICE_HOURS="always").extensions["guichet"].desk
    looks: list[float] = []

    def count(conn, cursor, statement, *args):
        if "max(agent_conversations.updated_at)" in statement:
            looks.append(time.monotonic())

    sa.event.listen(desk.engine, "before_cursor_execute", count)
    watch = Watch(desk, every=0.5)
    woken: list[float] = []
    lock = threading.Lock()

    settled: dict[str, int] = {}
    go = threading.Event()

    def stream() -> None:
        go.wait(5)
        seen = settled["version"]  # the screen as first shown
        if watch.wait(seen, 5.0) != seen:
            with lock:
                woken.append(time.monotonic())
        watch.leave()

    for _ in range(40):
        watch.join()
    streams = [threading.Thread(target=stream) for _ in range(40)]
    for t in streams:
        t.start()
    time.sleep(1.0)
    assert 1 <= len(looks) <= 4  # about two a second for the whole process, not eighty
    settled["version"] = watch.version
    go.set()
    time.sleep(0.2)
    queued = time.monotonic()
    desk.enqueue(channel="sms", session="sms:watch", user="+2290197001234", lang="fr",
                 reason="asked", topic=None)
    for t in streams:
        t.join(5)
    assert len(woken) == 40
    assert max(woken) - queued < 0.5  # this process's change: at once, not at the next look
    thread = watch._thread  # this watch's own (other tests' apps may have theirs running)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and thread is not None and thread.is_alive():
        time.sleep(0.05)
    assert thread is None or not thread.is_alive()  # no stream, no look
    assert watch._thread is None
    sa.event.remove(desk.engine, "before_cursor_execute", count)
