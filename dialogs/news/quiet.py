"""Quiet hours: no SMS at night (``QUIET_HOURS``, e.g. ``21:00-07:00``, in the office's time
zone, Africa/Porto-Novo by default).  News that falls in them is held until they end, not
dropped.  A window may cross midnight; ``HH:MM:SS`` is accepted too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def _clock(text: str) -> dt.time:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"expected HH:MM, got {text!r}")
    return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str = "Africa/Porto-Novo") -> QuietHours | None:
        """``21:00-07:00``; empty or ``off``: no quiet hours (None).  ValueError if malformed."""
        text = text.strip()
        if not text or text.lower() in ("off", "none", "0"):
            return None
        start, sep, end = text.partition("-")
        if not sep:
            raise ValueError(f"expected START-END such as 21:00-07:00, got {text!r}")
        first, last = _clock(start), _clock(end)
        if first == last:
            raise ValueError("start and end are the same time")
        return cls(first, last, ZoneInfo(zone))

    def hold_for(self, now: dt.datetime | None = None) -> float:
        """Seconds to wait before an SMS may go: 0 outside quiet hours."""
        now = (now or dt.datetime.now(dt.UTC)).astimezone(self.zone)
        clock = now.time().replace(microsecond=0, tzinfo=None)
        crosses_midnight = self.start > self.end
        quiet = (clock >= self.start or clock < self.end) if crosses_midnight \
            else self.start <= clock < self.end
        if not quiet:
            return 0.0
        until = dt.datetime.combine(now.date(), self.end, tzinfo=self.zone)
        if until <= now:
            until += dt.timedelta(days=1)
        return max(0.0, (until - now).total_seconds())
