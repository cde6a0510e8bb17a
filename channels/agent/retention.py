"""The call-centre's part of the retention purge, and the ``agent-purge`` command line.

    python -m channels.agent.retention purge [--days N]   # every table: see channels.retention
    python -m channels.agent.retention export [--days 30] > transcripts.jsonl

What the call-centre keeps, and for how long (each setting in README.md):

- hand-off transcripts (``agent_messages`` of a conversation), and the citizen's identity on
  closed conversations and finished callbacks: ``RETENTION_TRANSCRIPT_DAYS`` (90; the old name
  ``TRANSCRIPT_RETENTION_DAYS`` still works).  The anonymous hand-off figures stay.
- exchanges with the bot that no hand-off took: never written here any more (see
  :mod:`channels.agent.recent`); rows left from before are deleted after
  ``RETENTION_BOT_EXCHANGES_HOURS``.
- the audit log: ``RETENTION_AUDIT_DAYS`` (365).
- console sessions: two days after they were opened (a session lasts 12 hours at most).

Exports mask phone numbers, NPI and other ids.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys

import sqlalchemy as sa

from channels.agent import records
from channels.agent.records import audit, callbacks, conversations, messages, sessions

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


def main(argv: list[str] | None = None) -> int:
    from channels import retention
    from channels.agent.desk import build_desk
    from channels.config import Settings
    from channels.outbox import engine_for

    parser = argparse.ArgumentParser(prog="python -m channels.agent.retention",
                                     description="Purge personal data, export transcripts")
    sub = parser.add_subparsers(dest="command", required=True)
    purge = sub.add_parser("purge", help="delete what is older than its retention (every table)")
    purge.add_argument("--days", type=int, help="transcripts: default RETENTION_TRANSCRIPT_DAYS")
    export = sub.add_parser("export", help="JSON lines of recent transcripts, masked")
    export.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "purge":
        return retention.main(["purge"] + (["--days", str(args.days)] if args.days else []))

    settings = Settings.from_env()
    engine = engine_for(settings.database_url)
    try:
        desk = build_desk(settings, engine)
        rows = desk.export(args.days)
        desk.audit(None, "export", f"transcripts:{args.days}d", f"rows={len(rows)} (cli)")
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
