"""The embedded task queue: a task waiting to be retried never holds up the others."""

from __future__ import annotations

import time

from channels.queue import ThreadQueue, final_attempt
from dialogs.workflows import RetryLater


def test_a_task_waiting_for_its_retry_does_not_block_the_pool():
    queue = ThreadQueue(workers=1, delays=(1.0,))
    done: dict[str, float] = {}
    tries: list[bool] = []
    started = time.monotonic()

    def portal_down() -> None:
        tries.append(final_attempt())
        if len(tries) == 1:
            raise RetryLater("portal down")
        done["retried"] = time.monotonic() - started

    def citizen_sms() -> None:
        done["sms"] = time.monotonic() - started

    queue.enqueue(portal_down)
    time.sleep(0.05)
    queue.enqueue(citizen_sms)
    assert queue.drain(5)
    assert done["sms"] < 0.5  # not behind the other task's one-second wait
    assert 1.0 <= done["retried"] < 3.0 and tries == [False, True]
