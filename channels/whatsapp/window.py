"""Each user's 24-hour customer-service window.

A user's message opens a window of 24 hours in which free-form messages may be sent to them;
outside it Meta refuses everything but approved templates (error 131047).  The time of the last
inbound message is kept in the session store with a TTL of what is left of the window, so every
worker sees it and it cleans itself up.
"""

from __future__ import annotations

import time

from dialogs.store import Store

WINDOW_SECONDS = 24 * 3600


def _key(wa_id: str) -> str:
    return f"wa:window:{wa_id}"


def opened(store: Store, wa_id: str, at: float, *, now: float | None = None) -> None:
    """The user wrote at ``at`` (epoch seconds): the window runs 24 hours from then."""
    now = time.time() if now is None else now
    at = min(at, now)  # a clock ahead of ours must not stretch the window
    left = int(at + WINDOW_SECONDS - now)
    if left <= 0:
        return
    (current,) = store.get_many([_key(wa_id)])
    if current is not None and current.get("at", 0) >= at:
        return
    store.put_many({_key(wa_id): ({"at": at}, left)})


def is_open(store: Store, wa_id: str, *, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    (current,) = store.get_many([_key(wa_id)])
    return current is not None and now - float(current.get("at", 0)) < WINDOW_SECONDS


def closed(store: Store, wa_id: str) -> None:
    """Meta says the window is closed (131047): believe it until the user writes again."""
    store.put_many({_key(wa_id): (None, None)})
