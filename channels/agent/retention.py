"""Transcript retention and masked exports, from the command line.

    python -m channels.agent.retention purge [--days N]      # default TRANSCRIPT_RETENTION_DAYS
    python -m channels.agent.retention export [--days 30] > transcripts.jsonl

The console also purges by itself (at most every few hours, see
:meth:`channels.agent.desk.HandoffDesk.maybe_purge`); an operator can schedule ``make
agent-purge`` instead.  Exports mask phone numbers, NPI and other ids.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    from channels.agent.desk import build_desk
    from channels.config import Settings
    from channels.sms.messages import engine_for

    parser = argparse.ArgumentParser(prog="python -m channels.agent.retention",
                                     description="Purge or export call-centre transcripts")
    sub = parser.add_subparsers(dest="command", required=True)
    purge = sub.add_parser("purge", help="delete transcripts older than the retention period")
    purge.add_argument("--days", type=int, help="default: TRANSCRIPT_RETENTION_DAYS")
    export = sub.add_parser("export", help="JSON lines of recent transcripts, masked")
    export.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    engine = engine_for(settings.database_url)
    try:
        desk = build_desk(settings, engine, queue=None)
        if args.command == "purge":
            counts = desk.purge(args.days)
            print(" ".join(f"{k}={v}" for k, v in counts.items()))
        else:
            rows = desk.export(args.days)
            desk.audit(None, "export", f"transcripts:{args.days}d", f"rows={len(rows)} (cli)")
            for row in rows:
                print(json.dumps(row, ensure_ascii=False))
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
