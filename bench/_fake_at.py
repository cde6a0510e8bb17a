"""The loopback Africa's Talking fake of ``tests/fakes``, served in its own process for sms.py.

It is the tests' :class:`FakeAfricasTalking` (every request checked as the real API does: apiKey
header, JSON Accept, form with username, E.164 ``to``, ``message``, ``bulkSMSMode=1``), served by
werkzeug's threaded server on a loopback port, plus two bench-only routes:

* ``GET /bench/stats``: messages delivered, distinct ``(to, message)`` pairs among them,
  requests, rejections, and the ``time.monotonic()`` of the first and last accepted message
  (CLOCK_MONOTONIC, shared by every process of a Linux machine);
* ``POST /bench/reset``: forget everything (between two measures).

A process of its own so that its CPU is not taken from the loop that calls the SDK directly::

    python bench/_fake_at.py --port 8090 [--username sandbox] [--api-key bench-key]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from flask import jsonify, request
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.africastalking import FakeAfricasTalking  # noqa: E402

HOST = "127.0.0.1"


def create_app(username: str, api_key: str):
    fake = FakeAfricasTalking(username=username, api_key=api_key)
    app = fake.app()
    arrivals: list[float] = []

    @app.after_request
    def timestamp(response):
        if request.path == "/version1/messaging" and response.status_code == 201:
            with fake.lock:
                arrivals.append(time.monotonic())
        return response

    @app.get("/bench/stats")
    def stats():
        with fake.lock:
            pairs = {(d["to"], d["message"]) for d in fake.delivered}
            return jsonify(delivered=len(fake.delivered), distinct=len(pairs), calls=fake.calls,
                           rejected=len(fake.rejected), rejections=sorted(set(fake.rejected))[:5],
                           first=min(arrivals, default=None), last=max(arrivals, default=None))

    @app.post("/bench/reset")
    def reset():
        with fake.lock:
            fake.delivered.clear()
            fake.rejected.clear()
            fake.calls = 0
            arrivals.clear()
        return "reset"

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--username", default="sandbox")
    parser.add_argument("--api-key", default="bench-key")
    args = parser.parse_args()
    server = make_server(HOST, args.port, create_app(args.username, args.api_key), threaded=True)
    print(f"fake africastalking on http://{HOST}:{args.port}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
