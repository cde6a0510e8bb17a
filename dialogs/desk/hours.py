"""The call-centre's office hours (``OFFICE_HOURS``), in Benin's time.

Syntax: clauses separated by ``;``, each days then time ranges, e.g.
``mon-fri 08:00-17:30; sat 09:00-12:00`` or ``mon,wed 08:00-12:00 14:00-17:00``.
``always`` means open round the clock.  Days are ``mon tue wed thu fri sat sun``; a range ends at
most at ``24:00``.

Public holidays close the line (unless it is ``always`` open): Benin's calendar from the
``holidays`` package (fixed and movable feasts; the Muslim ones are the package's estimates),
corrected locally with dates the government announces: ``closed`` adds days, ``opened`` removes
holidays (``OFFICE_CLOSED_DATES``, ``OFFICE_OPEN_DATES``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIMEZONE = "Africa/Porto-Novo"
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    """``OFFICE_HOURS`` cannot be read."""


def _days(spec: str) -> set[int]:
    found: set[int] = set()
    for part in spec.split(","):
        part = part.strip().lower()
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in DAYS or last not in DAYS:
                raise HoursError(f"unknown day in {part!r}")
            a, b = DAYS.index(first), DAYS.index(last)
            found.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif part in DAYS:
            found.add(DAYS.index(part))
        else:
            raise HoursError(f"unknown day {part!r}")
    return found


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        raise HoursError(f"bad time {hours}:{minutes}")
    return h * 60 + m


@dataclass(frozen=True)
class OfficeHours:
    """Opening periods per weekday (0 = Monday), as minutes since midnight."""

    periods: tuple[tuple[tuple[int, int], ...], ...]
    tz: ZoneInfo
    text: str = ""
    calendar: holidays.HolidayBase | None = field(default=None, compare=False, repr=False)
    """The public holidays that close the line (the package computes each year when asked)."""
    closed: frozenset[dt.date] = field(default_factory=frozenset)
    opened: frozenset[dt.date] = field(default_factory=frozenset)

    def holiday(self, day: dt.date) -> bool:
        """The line is closed all ``day`` for a public holiday (or a local closing)."""
        if day in self.opened:
            return False
        if day in self.closed:
            return True
        return self.calendar is not None and day in self.calendar

    @classmethod
    def parse(cls, text: str, timezone: str = TIMEZONE, *, calendar: str | None = "BJ",
              closed: Iterable[dt.date] = (), opened: Iterable[dt.date] = ()) -> OfficeHours:
        spec = (text or "").strip().lower()
        if not spec:
            raise HoursError("empty")
        try:
            tz = ZoneInfo(timezone)
        except Exception as exc:
            raise HoursError(f"unknown time zone {timezone!r}") from exc
        days = None
        if calendar is not None:
            try:
                days = holidays.country_holidays(calendar)
            except NotImplementedError:
                raise HoursError(f"no public holidays known for {calendar!r}") from None
        week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        if spec in ("always", "24/7"):
            week = [[(0, 24 * 60)] for _ in DAYS]
            days = None  # round the clock means holidays too
        else:
            for clause in spec.split(";"):
                words = clause.split()
                if len(words) < 2:
                    raise HoursError(f"expected days then hours in {clause.strip()!r}")
                for day in _days(words[0]):
                    for item in words[1:]:
                        match = _RANGE.match(item)
                        if not match:
                            raise HoursError(f"expected HH:MM-HH:MM, got {item!r}")
                        start = _minutes(match[1], match[2])
                        end = _minutes(match[3], match[4])
                        if end <= start:
                            raise HoursError(f"{item!r} ends before it starts")
                        week[day].append((start, end))
        return cls(tuple(tuple(sorted(day)) for day in week), tz, text.strip(), days,
                   frozenset(closed), frozenset(opened))

    def local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.tz)

    def is_open(self, when: dt.datetime) -> bool:
        local = self.local(when)
        if self.holiday(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.periods[local.weekday()])

    def next_open(self, when: dt.datetime) -> dt.datetime | None:
        """The next opening time after ``when`` (local time), or None if the line never opens."""
        local = self.local(when).replace(second=0, microsecond=0)
        minute = local.hour * 60 + local.minute
        for offset in range(32):  # a week, and the holidays that may follow one another
            day = (local + dt.timedelta(days=offset))
            if self.holiday(day.date()):
                continue
            for start, _end in self.periods[day.weekday()]:
                if offset or start > minute:
                    midnight = day.replace(hour=0, minute=0)
                    return (midnight + dt.timedelta(minutes=start)).replace(tzinfo=self.tz)
        return None

    def start_of_day(self, when: dt.datetime) -> dt.datetime:
        """Local midnight of ``when``'s day, for "handled today"."""
        return self.local(when).replace(hour=0, minute=0, second=0, microsecond=0)
