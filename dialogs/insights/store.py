"""Writing a batch of event rows: the rows themselves and the daily roll-up, in one
transaction (an upsert adds each batch's counts to its day's rows, on SQLite as on
PostgreSQL; keys in a fixed order so concurrent writers never deadlock)."""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dialogs.insights.records import DAILY_KEYS, daily, events


def daily_key(row: dict) -> tuple:
    at: dt.datetime = row["at"]
    answered = row.get("answered")
    return (at.astimezone(dt.UTC).date(), row["channel"], row["lang"], row["kind"],
            row.get("intent") or "", row.get("procedure") or "", row.get("aspect") or "",
            "" if answered is None else ("y" if answered else "n"), row.get("handoff") or "")


def write(db: sa.Connection, rows: Sequence[dict]) -> None:
    """Insert ``rows`` (complete ``insight_events`` rows) and add them to the roll-up."""
    if not rows:
        return
    db.execute(events.insert(), list(rows))
    counts = collections.Counter(daily_key(r) for r in rows)
    values = [dict(zip(DAILY_KEYS, key, strict=True), n=n) for key, n in sorted(counts.items())]
    dialect = postgresql if db.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(daily)
    db.execute(statement.on_conflict_do_update(
        index_elements=list(DAILY_KEYS), set_={"n": daily.c.n + statement.excluded.n}), values)
