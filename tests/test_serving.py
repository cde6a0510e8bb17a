"""gunicorn as deployed with Redis (channels/gunicorn_conf.py): sync workers for the hops, and
the live streams on threads of their own, on the same port.

The real gunicorn, the real app and a real redis-server: a web chat visitor's event stream must
not hold the only worker, or every USSD caller behind it waits (a plain sync worker would).
"""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import free_port
from tests.gunicorn_served import gunicorn


@pytest.fixture
def served(redis_url, tmp_path):
    """Guichet under gunicorn with the production config, one worker, Redis mode."""
    port = free_port()
    with gunicorn(tmp_path, port, REDIS_URL=redis_url, WEB_CONCURRENCY="1",
                  GUNICORN_THREADS="12",
                  DATABASE_URL=f"sqlite:///{tmp_path / 'guichet.db'}") as log:
        yield port, log


def hop(port: int, session: str, text: str) -> tuple[str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    started = time.monotonic()
    conn.request("POST", "/ussd", urlencode({
        "sessionId": session, "serviceCode": "*202#", "phoneNumber": "+2290197000001",
        "networkCode": "61601", "text": text}),
        {"Content-Type": "application/x-www-form-urlencoded"})
    body = conn.getresponse().read().decode()
    conn.close()
    return body, time.monotonic() - started


def open_stream(port: int) -> http.client.HTTPResponse:
    """A web chat session and its event stream, left open."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("POST", "/webchat/sessions", json.dumps({"lang": "fr"}),
                 {"Content-Type": "application/json"})
    created = json.loads(conn.getresponse().read())
    stream = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    stream.request("GET", f"/webchat/sessions/{created['id']}/events",
                   headers={"Authorization": f"Bearer {created['token']}"})
    return stream.getresponse()


def test_open_chat_streams_do_not_hold_the_hops(served):
    port, log = served
    streams = [open_stream(port) for _ in range(3)]  # as many as one address may hold
    try:
        for response in streams:
            assert response.status == 200
            assert response.getheader("Content-Type").startswith("text/event-stream")
            assert response.read(13) == b"retry: 2000\n\n"  # live, held by its thread
        for session in ("ATUid_serving_1", "ATUid_serving_2"):
            for text in ("", "1", "1*1"):
                body, seconds = hop(port, session, text)
                assert body.startswith("CON "), body
                assert seconds < 2.0
    finally:
        for response in streams:
            response.close()
    assert "Using worker: channels.serving.HopWorker" in log.read_text()

