"""A whole shift of agents keeps its live screens, on gunicorn as deployed with Redis.

Forty agents over two workers each hold the console's event stream open (the real gunicorn
config, the real app, a real redis-server).  A hand-off queued elsewhere (another process's
desk, on the same records) must reach every one of the forty screens within a few seconds, none
of them refused (a 503 sends the browser back to polling), while USSD hops still answer.
This was four streams per process before: the thirty-six others polled.

The accounts and their sessions are written straight into the records (forty password hashes
would take longer than the test), and the cookies signed with the service's key, as a login
would have.
"""

from __future__ import annotations

import http.client
import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask import Flask

from channels.sessions import BrowserSessionInterface
from dialogs.desk import HandoffDesk
from dialogs.desk.accounts import Accounts
from dialogs.desk.hours import OfficeHours
from dialogs.desk.records import accounts
from dialogs.sender import Senders
from tests.conftest import artifacts_dir, free_port
from tests.gunicorn_served import gunicorn
from tests.test_serving import hop

AGENTS = 40
SECRET = "a-test-secret-key-that-is-long-enough-for-the-console-0123456789"


@pytest.fixture
def shift(redis_url, tmp_path):
    """gunicorn, two workers, Redis mode; yields the port and the records' engine."""
    port = free_port()
    db = f"sqlite:///{tmp_path / 'guichet.db'}"
    engine = sa.create_engine(db, connect_args={"timeout": 15})
    try:  # AGENT_MAX_STREAMS unset: the default must hold a shift
        with gunicorn(tmp_path, port, REDIS_URL=redis_url, WEB_CONCURRENCY="2",
                      GUNICORN_THREADS="8", DATABASE_URL=db, SECRET_KEY=SECRET,
                      OFFICE_HOURS="always"):
            yield port, engine
    finally:
        engine.dispose()


def cookies(engine: sa.Engine, count: int) -> list[str]:
    """``count`` agents, each logged in: the cookie a login would have set."""
    book = Accounts(engine)
    first = book.add(login="agent00", password="a long password", languages="fr")
    with engine.begin() as db:
        row = dict(db.execute(sa.select(accounts).where(accounts.c.id == first.id)).one()
                   ._mapping)
        for i in range(1, count):
            db.execute(accounts.insert().values(
                {**row, "id": None, "login": f"agent{i:02}", "display_name": f"Agent {i}",
                 "session_nonce": secrets.token_hex(8)}))
    signer = BrowserSessionInterface().get_signing_serializer(_signing_app())
    now = int(time.time())
    assert signer is not None
    jar = []
    for agent in book.all()[:count]:
        value = signer.dumps({"ag_id": agent.id, "ag_nonce": agent.session_nonce,
                              "ag_login_at": now, "ag_seen_at": now,
                              "ag_sid": book.open_session(agent.id)})
        jar.append(f"session={value}")
    return jar


def _signing_app() -> Flask:
    app = Flask("cookies")
    app.secret_key = SECRET
    return app


class Screen(threading.Thread):
    """One agent's open console: reads the stream's ``update`` events as they come."""

    def __init__(self, port: int, cookie: str) -> None:
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        self.conn.request("GET", "/agent/events?view=waiting", headers={"Cookie": cookie})
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.live = threading.Event()
        self.ids: set[int] = set()
        self.seen_at: dict[int, float] = {}

    def run(self) -> None:
        if self.status != 200:
            return
        kind, data = None, ""
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and kind:
                    if kind == "update":
                        for conv_id in json.loads(data).get("ids", []):
                            self.seen_at.setdefault(conv_id, time.monotonic())
                        self.live.set()
                    kind, data = None, ""
        except OSError:
            pass

    def close(self) -> None:
        self.conn.close()


def test_forty_agents_over_two_workers_all_stay_live(shift):
    port, engine = shift
    with ThreadPoolExecutor(max_workers=AGENTS) as pool:  # the shift opens its consoles
        screens = list(pool.map(lambda cookie: Screen(port, cookie), cookies(engine, AGENTS)))
    try:
        refused = [s.status for s in screens if s.status != 200]
        assert not refused, f"{len(refused)} of {AGENTS} screens refused: {refused[:3]}"
        for screen in screens:
            screen.start()
        for screen in screens:
            assert screen.live.wait(10), "a screen never got its first update"

        elsewhere = HandoffDesk(engine, hours=OfficeHours.parse("always"), senders=Senders())
        queued_at = time.monotonic()
        elsewhere.enqueue(channel="sms", session="sms:shift", user="+2290197001234",
                          lang="fr", reason="asked", topic=None)
        first = Accounts(engine).by_login("agent00")
        conv_id = max(c.id for c in elsewhere.queue(first, "waiting"))
        for session in ("ATUid_shift_1", "ATUid_shift_2"):  # the hops answer meanwhile
            for text in ("", "1"):
                body, seconds = hop(port, session, text)
                assert body.startswith("CON ") and seconds < 2.0, (body, seconds)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(conv_id in s.seen_at for s in screens):
            time.sleep(0.05)
        late = [i for i, s in enumerate(screens) if conv_id not in s.seen_at]
        assert not late, f"{len(late)} of {AGENTS} screens never showed the hand-off"
        slowest = max(s.seen_at[conv_id] for s in screens) - queued_at
        fastest = min(s.seen_at[conv_id] for s in screens) - queued_at
        figures = {"screens": AGENTS, "workers": 2, "refused": 0,
                   "first_screen_ms": round(fastest * 1000),
                   "last_screen_ms": round(slowest * 1000)}
        (artifacts_dir() / "agent-shift.json").write_text(json.dumps(figures, indent=1))
        print(f"{AGENTS} live screens over 2 workers: {figures}")
        assert slowest < 5.0  # ~0.5 s on a quiet machine; shared CI cores are slower
    finally:
        for screen in screens:
            screen.close()
