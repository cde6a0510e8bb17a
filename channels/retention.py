"""One purge for every table that holds personal data, each kind kept as long as its setting.

    python -m channels.retention purge [--days N]     # make purge (make agent-purge too)
    python -m channels.retention export [--days 30] > transcripts.jsonl   # masked transcripts

- hand-off transcripts (``agent_messages``), the citizen's identity on closed conversations and
  callbacks (``agent_conversations``, ``agent_callbacks``): ``RETENTION_TRANSCRIPT_DAYS`` (90)
- exchanges with the bot no hand-off took: only in the session store, under a TTL of
  ``RETENTION_BOT_EXCHANGES_HOURS`` (24); rows from older versions are deleted after as long
- incoming SMS, texts with NPIs and names (``inbound_sms``): ``RETENTION_SMS_INBOUND_DAYS`` (30)
- outbound messages, SMS, WhatsApp and agent replies, dead letters included
  (``outbound_messages``): ``RETENTION_OUTBOUND_DAYS`` (30)
- the console's audit log (``agent_audit``): ``RETENTION_AUDIT_DAYS`` (365)
- console sessions (``agent_sessions``): two days
- mobile-money payment attempts (``payments``: reference, operator, masked number, outcome),
  a record of money asked for: ``RETENTION_AUDIT_DAYS`` (365)
- the portal's news: event ids (``portal_events``) after ``RETENTION_OUTBOUND_DAYS``; a followed
  request (``followed_requests``: the citizen's number or chat) that much after it was ready or
  refused, and a year after it was filed if it never was

Opt-outs (``sms_optouts``) are kept while they stand: they are a promise to the citizen.  The
anonymous hand-off figures (``agent_handoffs``) hold no personal data and stay.

Who runs it: ``make purge`` by hand or from cron; the worker started with ``--with-scheduler``
(``make worker``) at start and every :data:`EVERY` seconds, one worker at a time (a Redis lock);
in the embedded mode (no ``REDIS_URL``) the web process itself, on a background thread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import threading
from collections.abc import Callable

import sqlalchemy as sa

from channels.config import Settings
from channels.outbox import outbound
from channels.sms.inbox import inbound
from dialogs.desk.retention import purge_agent_records
from dialogs.news.records import followed_requests, portal_events
from dialogs.payments import PaymentLedger

log = logging.getLogger(__name__)

EVERY = 6 * 3600.0
"""Seconds between two scheduled purges."""
LOCK_KEY = "guichet:retention-purge"
FOLLOW_AT_MOST_DAYS = 365
"""A request never ready nor refused after a year is no longer followed."""


def purge(settings: Settings, engine: sa.Engine, *, now: dt.datetime | None = None,
          transcript_days: int | None = None) -> dict[str, int]:
    """Delete what every table keeps beyond its retention; returns the counts per kind."""
    now = now or dt.datetime.now(dt.UTC)
    counts = purge_agent_records(
        engine, now=now,
        transcript_days=transcript_days or settings.transcript_retention_days,
        exchange_hours=settings.retention_bot_exchanges_hours,
        audit_days=settings.retention_audit_days)
    with engine.begin() as db:
        counts["inbound_sms"] = db.execute(inbound.delete().where(
            inbound.c.received_at < now - dt.timedelta(days=settings.retention_sms_inbound_days)
        )).rowcount
        counts["outbound_messages"] = db.execute(outbound.delete().where(
            outbound.c.updated_at < now - dt.timedelta(days=settings.retention_outbound_days)
        )).rowcount
        news_cutoff = now - dt.timedelta(days=settings.retention_outbound_days)
        counts["portal_events"] = db.execute(portal_events.delete().where(
            portal_events.c.received_at < news_cutoff)).rowcount
        counts["followed_requests"] = db.execute(followed_requests.delete().where(sa.or_(
            sa.and_(followed_requests.c.closed.is_(True),
                    followed_requests.c.checked_at < news_cutoff),
            followed_requests.c.created_at < now - dt.timedelta(days=FOLLOW_AT_MOST_DAYS),
        ))).rowcount
    counts["payments"] = PaymentLedger(engine).purge(
        now - dt.timedelta(days=settings.retention_audit_days))
    log.info("retention purge done", extra=counts)
    return counts


class Purger:
    """Runs ``run`` every ``every`` seconds on a daemon thread until :meth:`stop`.

    ``claim`` (optional) is asked before each run and may say no: another process purged.
    """

    def __init__(self, run: Callable[[], object], *, every: float = EVERY,
                 first_after: float = 0.0, claim: Callable[[], bool] | None = None) -> None:
        self.run = run
        self.every = every
        self.first_after = first_after
        self.claim = claim
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """One purge (if claimed); a failure is logged and the next run tries again."""
        try:
            if self.claim is None or self.claim():
                self.run()
        except Exception:  # a failed purge must not stop the worker or the web process
            log.exception("retention purge failed")

    def start(self) -> Purger:
        def loop() -> None:
            wait = self.first_after
            while not self._stop.wait(wait):
                self.run_once()
                wait = self.every

        self._thread = threading.Thread(target=loop, name="retention-purge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()


def redis_claim(url: str, every: float = EVERY) -> Callable[[], bool]:
    """True for one process per period among all workers sharing Redis."""
    from redis import Redis

    client = Redis.from_url(url)

    def claim() -> bool:
        return bool(client.set(LOCK_KEY, "1", nx=True, ex=max(1, int(every * 0.9))))

    return claim


def _export(settings: Settings, engine: sa.Engine, days: int) -> None:
    """JSON lines of the hand-off transcripts of the last ``days``, personal data masked."""
    from channels.runtime import build_desk
    from dialogs.sender import Senders
    from dialogs.store import MemoryStore

    desk = build_desk(settings, engine, Senders(), MemoryStore())  # an export sends nothing
    rows = desk.export(days)
    desk.audit(None, "export", f"transcripts:{days}d", f"rows={len(rows)} (cli)")
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    from channels import migrate
    from channels.outbox import engine_for

    parser = argparse.ArgumentParser(prog="python -m channels.retention",
                                     description="Purge personal data past its retention")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("purge", help="delete what is older than its retention, every table")
    cmd.add_argument("--days", type=int,
                     help="transcripts: default RETENTION_TRANSCRIPT_DAYS")
    export = sub.add_parser("export", help="JSON lines of recent transcripts, masked")
    export.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    if args.days is not None and args.days < 1:
        parser.error("--days: at least 1")
    settings = Settings.from_env()
    engine = engine_for(settings.database_url)
    try:
        migrate.upgrade(engine)
        if args.command == "export":
            _export(settings, engine, args.days)
            return 0
        counts = purge(settings, engine, transcript_days=args.days)
        print(" ".join(f"{k}={v}" for k, v in counts.items()))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
