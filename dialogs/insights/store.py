"""Writing a batch of event rows (one driver-level insert: it runs for every exchange of the
service), and the daily roll-up of closed days (counted once, by the first reader after the
day closed: nothing on the write path).

A day is a day in Benin (Africa/Porto-Novo, UTC+1 all year, no summer time): the day a
supervisor picks in the date range is the day citizens lived, not a UTC day one hour off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dialogs.insights.records import DAILY_KEYS, daily, events

SETTLE = dt.timedelta(minutes=10)
"""How long after midnight a day is closed: the last buffered events of the day are written
well within it, so rolling it up then misses none."""
ZONE = ZoneInfo("Africa/Porto-Novo")
"""The service's days: Benin's (UTC+1, no summer time)."""
SQLITE_OFFSET = "+1 hours"
"""Benin's fixed offset, for SQLite (which knows no time zones) when it groups by day."""


def local_date(moment: dt.datetime) -> dt.date:
    """The Benin day ``moment`` (aware) falls in."""
    return moment.astimezone(ZONE).date()


def midnight(day: dt.date) -> dt.datetime:
    """The instant Benin's ``day`` begins (aware)."""
    return dt.datetime.combine(day, dt.time(), ZONE)


def closed_until(now: dt.datetime | None = None) -> dt.datetime:
    """Midnight (Benin) of the first day not closed yet: days before it are rolled up."""
    return midnight(local_date((now or dt.datetime.now(dt.UTC)) - SETTLE))


def roll_up(engine: sa.Engine, since: dt.datetime, until: dt.datetime,
            now: dt.datetime | None = None) -> int:
    """Count the closed days of ``[since, until)`` not counted yet; returns how many.  Each
    rolled day gets a marker row (every label '', ``n`` 0), so a day is read once even when it
    had no event.  Idempotent and safe from several processes at once (a day another process
    counted meanwhile is skipped on conflict)."""
    end = min(until, closed_until(now))
    if since >= end:
        return 0
    with engine.begin() as db:
        done = {d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d, in
                db.execute(sa.select(daily.c.day).distinct()
                           .where(daily.c.day >= local_date(since),
                                  daily.c.day < local_date(end)))}
        day, todo = local_date(since), []
        while day < local_date(end):
            if day not in done:
                todo.append(day)
            day += dt.timedelta(days=1)
        for day in todo:
            _roll_day(db, day)
    return len(todo)


def day_of(db: sa.Connection) -> sa.ColumnElement:
    if db.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(ZONE.key, events.c.at), sa.Date)
    return sa.func.date(events.c.at, SQLITE_OFFSET)


def _roll_day(db: sa.Connection, day: dt.date) -> None:
    start = midnight(day)
    answered = sa.case((events.c.answered.is_(None), ""), (events.c.answered.is_(True), "y"),
                       else_="n")
    dims = (events.c.channel, events.c.lang, events.c.kind, sa.func.coalesce(events.c.intent, ""),
            sa.func.coalesce(events.c.procedure, ""), sa.func.coalesce(events.c.aspect, ""),
            answered, sa.func.coalesce(events.c.handoff, ""))
    select = sa.select(sa.literal(day, sa.Date), *dims, sa.func.count()) \
        .where(events.c.at >= start, events.c.at < start + dt.timedelta(days=1)).group_by(*dims)
    dialect = postgresql if db.dialect.name == "postgresql" else sqlite
    db.execute(dialect.insert(daily).from_select([*DAILY_KEYS, "n"], select)
               .on_conflict_do_nothing())
    marker = dict.fromkeys(DAILY_KEYS, "") | {"day": day, "n": 0}
    db.execute(dialect.insert(daily).values(marker).on_conflict_do_nothing())


COLUMNS = tuple(c.name for c in events.columns if c.name != "id")


def driver_time(at: dt.datetime, sqlite_db: bool) -> dt.datetime | str:
    """``at`` as the driver takes it: aware for PostgreSQL; on SQLite the naive UTC text
    :class:`UTCDateTime` writes (``isoformat`` with fixed microseconds: half the cost of
    ``strftime``, which matters at one event per exchange)."""
    if not sqlite_db:
        return at
    return at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def insert_sql(db: sa.Connection) -> str:
    quote = db.dialect.identifier_preparer.quote
    mark = "?" if db.dialect.paramstyle == "qmark" else "%s"
    return (f"INSERT INTO {quote(events.name)} ({', '.join(quote(c) for c in COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(COLUMNS))})")


def write_values(db: sa.Connection, values: Sequence[tuple]) -> None:
    """One driver-level ``executemany`` of ready rows (:data:`COLUMNS` order, ``at`` from
    :func:`driver_time`): SQLAlchemy's per-row parameter processing would cost more than the
    insert itself, and this runs for every exchange of the service."""
    if values:
        db.exec_driver_sql(insert_sql(db), list(values))


def write(db: sa.Connection, rows: Sequence[dict]) -> None:
    """Insert ``rows`` (complete ``insight_events`` rows as dicts); the roll-up counts them
    once their day is closed (:func:`roll_up`)."""
    sqlite_db = db.dialect.name == "sqlite"
    write_values(db, [(driver_time(row["at"], sqlite_db), *(row.get(c) for c in COLUMNS[1:]))
                      for row in rows])
