"""A worker killed in the middle of a send loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from channels.app import create_app
from channels.config import Settings
from channels.outbox import MessageLog, engine_for
from channels.outbox.deadletter import main as dead_letter
from channels.queue import RQQueue
from channels.sms.sender import send_sms
from tests.conftest import wait_for

NUMBER = "+2290197000300"


@pytest.fixture
def worker_env(redis_url, at_fake, sandbox, tmp_path):
    fake, url = at_fake
    database = f"sqlite:///{tmp_path / 'guichet.db'}"
    env = dict(os.environ, REDIS_URL=redis_url, PORTAL_URL=sandbox["url"], DATABASE_URL=database,
               AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)
    return env, database


def rq_worker(env: dict, redis_url: str) -> subprocess.Popen:
    """Guichet's production worker (``make worker``), as its own process group."""
    return subprocess.Popen([sys.executable, "-m", "channels.worker", "--burst", "--url",
                             redis_url], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def test_killed_mid_send_is_kept_for_an_operator_not_sent_twice(worker_env, redis_url, at_fake,
                                                                 monkeypatch):
    env, database = worker_env
    fake, _ = at_fake
    fake.delay = 30.0  # the provider holds the request: the send is in flight
    queue = RQQueue(redis_url, delays=(0.1, 0.2))
    queue.enqueue(send_sms, user=NUMBER, text="Votre demande SP-2026-000001 est prete.",
                  lang="fr", key="receipt:1")
    worker = rq_worker(env, redis_url)
    wait_for(lambda: fake.calls == 1, timeout=20)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker, in the middle of the provider call
    worker.wait(10)
    fake.delay = 0.0

    messages = MessageLog(engine_for(database))
    (message,) = messages.recent(NUMBER)
    assert message.status == "sending"  # recorded before the call: nothing is lost

    # The job runs again (RQ's retry or a replayed queue): it must not send blindly.
    queue.enqueue(send_sms, user=NUMBER, text="Votre demande SP-2026-000001 est prete.",
                  lang="fr", key="receipt:1")
    rerun = rq_worker(env, redis_url)
    assert rerun.wait(60) == 0
    time.sleep(0.2)
    assert fake.calls == 1 and fake.delivered == []
    (message,) = messages.recent(NUMBER)
    assert message.status == "uncertain"
    assert [m.key for m in messages.dead_letters()] == ["receipt:1"]

    # An operator who checked with the provider replays it: now it is sent, once.
    for name, value in env.items():
        if name in ("REDIS_URL", "PORTAL_URL", "DATABASE_URL") or name.startswith("AT_"):
            monkeypatch.setenv(name, value)
    app = create_app(Settings.from_env())
    try:
        with app.app_context():
            assert dead_letter(["replay", "receipt:1"]) == 0
    finally:
        app.extensions["guichet"].close()
    assert rq_worker(env, redis_url).wait(60) == 0
    assert len(fake.delivered) == 1 and messages.recent(NUMBER)[0].status == "sent"
