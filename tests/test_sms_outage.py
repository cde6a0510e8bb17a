"""An SMS that arrives while Redis or the worker is away is answered, once, when they are back.

Played with a real redis-server stopped and started again on the same port, Guichet's own
worker process, and the fake Africa's Talking; and in embedded mode with the thread queue.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis

from channels.sms.inbox import inbound
from tests.conftest import free_port, wait_for

NUMBER = "+2290197000700"


class RedisProcess:
    """A redis-server of this test's own, which the test may stop and start again."""

    def __init__(self, workdir) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (make test installs it)")
        self.binary, self.workdir, self.port = binary, workdir, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


def _inbound(client, provider_id: str, text: str = "prix du passeport"):
    return client.post("/sms/inbound", data={
        "from": NUMBER, "to": "1350", "text": text, "date": "2026-11-22 10:00:00",
        "id": provider_id, "linkId": "link-1"})


def test_an_sms_received_while_redis_is_down_is_answered_once_redis_is_back(
        make_app, own_redis, at_fake, sandbox, tmp_path):
    fake, at_url = at_fake
    database = f"sqlite:///{tmp_path / 'guichet.db'}"
    env = {"REDIS_URL": own_redis.url, "DATABASE_URL": database, "SMS_RESUME_AFTER": "1",
           "AT_USERNAME": fake.username, "AT_API_KEY": fake.api_key, "AT_API_URL": at_url}
    app = make_app(**env)
    client = app.test_client()
    inbox = app.extensions["guichet"].inbox

    own_redis.stop()
    response = _inbound(client, "ATXid_outage_1")
    assert response.status_code == 200  # the provider must not see an error: it is recorded
    (waiting,) = inbox.unanswered(older_than=0, newer_than=3600)
    assert waiting.provider_id == "ATXid_outage_1"

    own_redis.start()  # Redis is back, empty: the queue never had the job
    worker = subprocess.Popen(
        [sys.executable, "-m", "channels.worker", "--with-scheduler", "--url", own_redis.url],
        env=dict(os.environ, PORTAL_URL=sandbox["url"], **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        sms = wait_for(lambda: fake.messages_to(NUMBER), timeout=40)
        assert "30 000 F CFA" in sms[0]
        time.sleep(3)  # several more sweeps: nothing is answered twice
        assert len(fake.messages_to(NUMBER)) == 1
        assert inbox.get(waiting.id).status == "answered"
    finally:
        worker.terminate()
        worker.wait(20)


def test_embedded_mode_answers_an_sms_its_process_never_got_to(make_app, at_fake):
    """A message recorded but never answered (the process died) is picked up by itself."""
    fake, at_url = at_fake
    app = make_app(SMS_RESUME_AFTER="1", AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=at_url)
    inbox = app.extensions["guichet"].inbox
    message, created = inbox.record(provider_id="ATXid_orphan", sender=NUMBER, recipient="1350",
                                    text="prix du passeport", link_id=None)
    assert created
    sms = wait_for(lambda: fake.messages_to(NUMBER), timeout=15)
    assert "30 000 F CFA" in sms[0]
    time.sleep(2)
    assert len(fake.messages_to(NUMBER)) == 1 and inbox.get(message.id).status == "answered"


def test_an_sms_whose_worker_died_mid_answer_is_answered_by_the_sweep(make_app, at_fake):
    """A claimed message whose worker was killed is given back, then answered once."""
    fake, at_url = at_fake
    app = make_app(SMS_RESUME_AFTER="1", AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=at_url)
    inbox = app.extensions["guichet"].inbox
    message, _created = inbox.record(provider_id="ATXid_killed", sender=NUMBER,
                                     recipient="1350", text="prix du passeport", link_id=None)
    assert inbox.claim(message.id)  # a worker took it, then died before answering
    with inbox.engine.begin() as db:  # ... twenty minutes ago
        db.execute(inbound.update().where(inbound.c.id == message.id).values(
            claimed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)))
    sms = wait_for(lambda: fake.messages_to(NUMBER), timeout=20)
    assert "30 000 F CFA" in sms[0]
    time.sleep(1.5)
    assert len(fake.messages_to(NUMBER)) == 1 and inbox.get(message.id).status == "answered"


def test_a_second_process_leaves_the_messages_being_answered_alone(make_app):
    """An app built by an operator command must not take over what the server is answering."""
    app = make_app()
    inbox = app.extensions["guichet"].inbox
    message, _created = inbox.record(provider_id="ATXid_busy", sender=NUMBER, recipient="1350",
                                     text="bonjour", link_id=None)
    assert inbox.claim(message.id)  # the serving process is answering it right now
    make_app()  # e.g. `make dead-letter ARGS=list` builds the app
    time.sleep(0.5)
    assert inbox.get(message.id).status == "handling"
    assert inbox.release_stale(older_than=600) == 0  # a fresh claim is not stale
