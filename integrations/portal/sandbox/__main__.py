"""``python -m integrations.portal.sandbox --host 127.0.0.1 --port 8081 [--db FILE]``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from werkzeug.serving import make_server

from .app import create_sandbox_app
from .catalogue import CatalogueError
from .server import RedactingRequestHandler


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
    args = parser.parse_args(argv)
    if args.db:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    try:  # reads SANDBOX_CATALOGUE; a broken file stops here with a message naming it
        app = create_sandbox_app(
            db_path=args.db,
            api_key=args.api_key,
            admin_key=args.admin_key,
            step_seconds=args.step_seconds,
        )
    except CatalogueError as exc:
        raise SystemExit(f"sandbox portal: {exc}") from None
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=RedactingRequestHandler
    )
    print(f"sandbox portal on http://{args.host}:{server.server_port}/api/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
