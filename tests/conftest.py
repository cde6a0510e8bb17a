"""Shared fixtures: a real redis-server on a free port, the sandbox portal on loopback, a fake
Africa's Talking, and a Guichet app wired to them.  Nothing of Guichet's own code is mocked."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from channels import runtime
from channels.app import create_app
from channels.config import Settings
from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from tests.fakes.africastalking import FakeAfricasTalking
from tests.fakes.serving import serve
from tests.ussd_phone import Phone

ADMIN_KEY = "sandbox-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """A private redis-server; missing Redis fails under CI=true instead of skipping."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (make test installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield url
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def redis_url(redis_server) -> str:
    redis.Redis.from_url(redis_server).flushall()
    return redis_server


@pytest.fixture
def sandbox(tmp_path) -> Iterator[dict]:
    """The sandbox portal on a free loopback port, with its own SQLite file."""
    clock = {"now": time.time()}
    app = create_sandbox_app(db_path=str(tmp_path / "portal.db"), admin_key=ADMIN_KEY,
                             step_seconds=60, clock=lambda: clock["now"])
    url, server = serve_in_thread(app)
    yield {"url": url, "clock": clock, "app": app}
    stop_server(server)


@pytest.fixture
def at_fake() -> Iterator[tuple[FakeAfricasTalking, str]]:
    fake = FakeAfricasTalking()
    url, server = serve(fake.app())
    yield fake, url
    server.shutdown()


@pytest.fixture
def make_app(tmp_path, sandbox):
    """Build a Guichet app from environment-style settings; closes what it built."""
    built: list[runtime.Runtime] = []

    def make(**env: str):
        values = {"PORTAL_URL": sandbox["url"],
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'guichet.db'}",
                  "OFFICE_HOURS": "always",  # hand-offs must not depend on the test's clock
                  "SECRET_KEY": "test-secret-key-of-this-run-0123456789"}
        values.update(env)
        settings = Settings.from_env(values)
        rt = runtime.build(settings, retry_delays=(0.05, 0.2, 0.5, 1.0))
        built.append(rt)
        return create_app(rt=rt)

    yield make
    for rt in built:
        drain = getattr(rt.queue, "drain", None)
        if drain:
            drain(5)
        rt.close()


@pytest.fixture
def app(make_app, at_fake):
    fake, url = at_fake
    return make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)


@pytest.fixture
def phone(app) -> Phone:
    return Phone(app.test_client())


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright launches Debian's chromium, never a browser of its own.

    A missing chromium fails under CI=true (make test installs it) instead of skipping.
    """
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def make_sites(make_app):
    """A page of the portal's own site (another origin) embedding the widget, and Guichet
    allowing that origin, both on loopback: ``make_sites(page_html, prepare=None, **env)``.
    ``page_html`` has a ``{guichet}`` placeholder; ``prepare(app)`` runs before serving."""
    servers = []

    def make(page_html: str, prepare=None, **env) -> dict:
        where: dict[str, str] = {}

        def portal_site(environ, start_response):
            body = page_html.format(guichet=where["guichet"]).encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]

        portal_url, portal_server = serve(portal_site)
        servers.append(portal_server)
        app = make_app(WEBCHAT_ORIGINS=portal_url, **env)
        if prepare is not None:
            prepare(app)
        guichet_url, guichet_server = serve(app)
        servers.append(guichet_server)
        where["guichet"] = guichet_url
        return {"portal": portal_url, "guichet": guichet_url, "app": app}

    yield make
    for server in servers:
        server.shutdown()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database on each of the two the service runs on: a SQLite file of this
    test, and a PostgreSQL database of its own (``postgres_url``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'guichet.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url):
    """An engine on ``db_url`` brought to the newest schema by the one migration history."""
    from channels import migrate
    from channels.outbox import engine_for

    engine = engine_for(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll until ``predicate()`` is truthy (background work finishing), else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for background work")


def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on loopback (``TEST_POSTGRES_URL``, default the machine's
    trust-auth server), dropped afterwards; unreachable fails under CI=true instead of skipping."""
    import uuid

    import sqlalchemy as sa

    base = os.environ.get("TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as db:
            db.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {base}: {str(exc).splitlines()[0]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    name = f"guichet_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as db:
        db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as db:
            db.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
