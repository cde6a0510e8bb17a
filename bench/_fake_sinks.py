"""The tests' fake Africa's Talking and WhatsApp Graph APIs in one process, for events.py.

Both check every request as the real APIs do (``tests/fakes``: the SDK's form and apiKey,
Meta's message shapes and approved templates).  ``GET /bench/arrivals`` returns every accepted
message as ``[to, time.monotonic()]`` (CLOCK_MONOTONIC, shared by the machine's processes), the
rejections, and the number of calls; ``POST /bench/reset`` forgets them.

    python bench/_fake_sinks.py --port 8091
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from flask import jsonify, request
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.africastalking import FakeAfricasTalking  # noqa: E402
from tests.fakes.graph_api import FakeGraphApi  # noqa: E402

HOST = "127.0.0.1"
AT_USERNAME, AT_API_KEY = "sandbox", "bench-key"
WA_TOKEN, WA_PHONE_ID = "bench-wa-token", "106540352242922"


def create_app():
    at = FakeAfricasTalking(username=AT_USERNAME, api_key=AT_API_KEY)
    graph = FakeGraphApi(token=WA_TOKEN, phone_number_id=WA_PHONE_ID)
    app = at.app()
    graph_app = graph.app()
    lock = threading.Lock()
    arrivals: list[tuple[str, float]] = []
    app.view_functions["graph_messages"] = graph_app.view_functions["messages"]
    app.add_url_rule("/<version>/<phone_number_id>/messages", "graph_messages",
                     methods=["POST"])

    @app.after_request
    def arrived(response):
        sent = request.path == "/version1/messaging" or request.path.endswith("/messages")
        if sent and request.method == "POST" and response.status_code in (200, 201):
            to = request.form.get("to")
            if to is None:
                to = "+" + str((request.get_json(silent=True) or {}).get("to", ""))
            with lock:
                arrivals.append((to, time.monotonic()))
        return response

    @app.get("/bench/arrivals")
    def stats():
        with lock:
            return jsonify(arrivals=arrivals, rejected=at.rejected + graph.rejected,
                           calls=at.calls + graph.calls)

    @app.post("/bench/reset")
    def reset():
        with lock:
            arrivals.clear()
        return "reset"

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = make_server(HOST, args.port, create_app(), threaded=True)
    print(f"fake providers on http://{HOST}:{args.port}", flush=True)
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
