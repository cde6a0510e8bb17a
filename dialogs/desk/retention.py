"""The desk's part of the retention purge (``make purge`` runs it with every other table's, see
:mod:`channels.retention`; ``python -m channels.retention export`` writes the masked transcripts).

What the call-centre keeps, and for how long (each setting in README.md):

- hand-off transcripts (``agent_messages`` of a conversation), and the citizen's identity on
  closed conversations and finished callbacks: ``RETENTION_TRANSCRIPT_DAYS`` (90; the old name
  ``TRANSCRIPT_RETENTION_DAYS`` still works).  The anonymous hand-off figures stay.
- exchanges with the bot that no hand-off took: never written here any more (see
  :mod:`dialogs.desk.recent`); rows left from before are deleted after
  ``RETENTION_BOT_EXCHANGES_HOURS``.
- the audit log: ``RETENTION_AUDIT_DAYS`` (365).
- console sessions: two days after they were opened (a session lasts 12 hours at most).

Exports mask phone numbers, NPI and other ids.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from dialogs.desk import records
from dialogs.desk.records import audit, callbacks, conversations, messages, sessions

log = logging.getLogger(__name__)

SESSION_ROWS_DAYS = 2


def purge_agent_records(engine: sa.Engine, *, now: dt.datetime, transcript_days: int,
                        exchange_hours: int | None = None,
                        audit_days: int | None = None) -> dict[str, int]:
    """Delete or anonymise what is older than its retention; returns the counts per kind."""
    cutoff = now - dt.timedelta(days=transcript_days)
    counts: dict[str, int] = {}
    with engine.begin() as db:
        counts["messages"] = db.execute(messages.delete().where(
            messages.c.at < cutoff)).rowcount
        counts["conversations"] = db.execute(conversations.update().where(
            conversations.c.status == "closed", conversations.c.closed_at < cutoff,
            conversations.c.user != "").values(
                user="", session=sa.literal("purged:", sa.String)
                + sa.cast(conversations.c.id, sa.String))).rowcount
        counts["callbacks"] = db.execute(callbacks.update().where(
            callbacks.c.updated_at < cutoff, callbacks.c.phone != "").values(
                phone="", user="", note=None, session="purged",
                status=sa.case((callbacks.c.status.in_(("open", "taken")), "cancelled"),
                               else_=callbacks.c.status))).rowcount
        if exchange_hours is not None:  # bot exchanges no hand-off took (older versions)
            counts["messages"] += db.execute(messages.delete().where(
                messages.c.conversation_id.is_(None),
                messages.c.at < now - dt.timedelta(hours=exchange_hours))).rowcount
        if audit_days is not None:
            counts["audit"] = db.execute(audit.delete().where(
                audit.c.at < now - dt.timedelta(days=audit_days))).rowcount
        counts["sessions"] = db.execute(sessions.delete().where(
            sessions.c.created_at < now - dt.timedelta(days=SESSION_ROWS_DAYS))).rowcount
        records.write_audit(db, action="purge", target=f"older_than:{transcript_days}d",
                            detail=" ".join(f"{k}={v}" for k, v in counts.items()), at=now)
    log.info("call-centre records purged", extra=counts)
    return counts
