"""``python -m integrations.portal.sandbox --host 127.0.0.1 --port 8081 [--db FILE]``.

Payments wait for the admin endpoint unless ``SANDBOX_PAYMENT_SETTLE_SECONDS`` (or
``--settle-seconds``) is set; they expire after ``SANDBOX_PAYMENT_EXPIRE_SECONDS`` (default
300).  With ``SANDBOX_EVENTS_URL`` set, each event is posted there, signed with
``PORTAL_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from werkzeug.serving import make_server

from .app import create_sandbox_app
from .events import EventPoster
from .payments import start_ticker
from .server import RedactingRequestHandler


def _seconds(name: str) -> float | None:
    """A positive number of seconds from the environment, or None when unset/empty/0."""
    raw = os.environ.get(name, "").strip()
    value = float(raw) if raw else 0.0
    return value if value > 0 else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the sandbox portal API (/api/v1).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("PORTAL_API_KEY") or None,
        help="require this bearer token (default: $PORTAL_API_KEY, else none)",
    )
    parser.add_argument("--admin-key", default="sandbox-admin")
    parser.add_argument(
        "--step-seconds",
        type=float,
        default=120.0,
        help="seconds per status step (in_progress after 1, ready after 3)",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=_seconds("SANDBOX_PAYMENT_SETTLE_SECONDS"),
        help="a pending payment succeeds by itself after this long "
        "(default: $SANDBOX_PAYMENT_SETTLE_SECONDS, else never: settle with the admin endpoint)",
    )
    parser.add_argument(
        "--expire-seconds",
        type=float,
        default=_seconds("SANDBOX_PAYMENT_EXPIRE_SECONDS") or 300.0,
        help="an unsettled payment expires after this long (default 300)",
    )
    parser.add_argument(
        "--events-url",
        default=os.environ.get("SANDBOX_EVENTS_URL") or None,
        help="post each event here, signed (default: $SANDBOX_EVENTS_URL, else not posted)",
    )
    args = parser.parse_args(argv)
    poster = None
    if args.events_url:
        secret = os.environ.get("PORTAL_WEBHOOK_SECRET", "")
        if not secret:
            parser.error("SANDBOX_EVENTS_URL needs PORTAL_WEBHOOK_SECRET to sign the events")
        poster = EventPoster(args.events_url, secret)
    if args.db:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    app = create_sandbox_app(
        db_path=args.db,
        api_key=args.api_key,
        admin_key=args.admin_key,
        step_seconds=args.step_seconds,
        settle_seconds=args.settle_seconds,
        expire_seconds=args.expire_seconds,
        on_event=poster,
    )
    halt = start_ticker(app)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=RedactingRequestHandler
    )
    print(f"sandbox portal on http://{args.host}:{server.server_port}/api/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        halt()
        if poster is not None:
            poster.close()
        server.server_close()


if __name__ == "__main__":
    main()
