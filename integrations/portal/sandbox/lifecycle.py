"""How a sandbox request's status moves over time.

Without intervention a request is ``received`` on submission, ``in_progress`` after one step
and ``ready`` after three, so demos and tests see progress without anyone acting.  An admin
event (e.g. ``rejected`` with a note) stops the automatic progression from that moment on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUTOMATIC: tuple[tuple[str, int], ...] = (("received", 0), ("in_progress", 1), ("ready", 3))
"""Status and the number of steps after submission at which it is reached."""

STATES = ("received", "in_progress", "ready", "rejected")


@dataclass(frozen=True)
class Event:
    status: str
    at: float
    note: dict[str, str] = field(default_factory=dict)


def timeline(
    submitted_at: float, manual: list[dict[str, Any]], now: float, step_seconds: float
) -> list[Event]:
    """All events up to ``now``: automatic ones until the first manual one, then manual ones.

    ``received`` is always there, even if a test clock is set before the submission time.
    """
    cutoff = min((m["at"] for m in manual), default=None)
    events: list[Event] = []
    for status, steps in AUTOMATIC:
        at = submitted_at + steps * step_seconds
        if steps and (at > now or (cutoff is not None and at > cutoff)):
            break
        events.append(Event(status, at))
    events.extend(Event(m["status"], m["at"], dict(m.get("note") or {})) for m in manual)
    return events
