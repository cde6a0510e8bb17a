"""The console under attack, on real databases and a real HTTP server: parallel password
guesses, login floods, stolen cookies, spreadsheet formulas in exports, absurd ids and bodies."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from channels.agent import migrate, records
from channels.agent.accounts import Accounts
from channels.sms.messages import engine_for

PASSWORD = "a long password"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'agent.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(db_url):
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _audit_actions(engine) -> list[str]:
    with engine.connect() as db:
        return list(db.execute(sa.select(records.audit.c.action)).scalars())


# -- 1. lock-out under parallel guesses ------------------------------------------------------------


def test_parallel_wrong_passwords_lock_the_account_after_max_failures_guesses(engine):
    """30 threads guess at once: only AGENT_MAX_FAILURES guesses are ever checked, then the
    account is locked (even the right password is refused) until the lock-out ends."""
    accounts = Accounts(engine, max_failures=5, lockout_minutes=15)
    accounts.add(login="awa", password=PASSWORD)
    start = threading.Barrier(30)
    results: list[str | None] = []
    errors: list[BaseException] = []

    def guess(n: int) -> None:
        try:
            start.wait()
            results.append(accounts.authenticate("awa", f"guess number {n}", ip="10.0.0.9").problem)
        except BaseException as exc:  # noqa: BLE001 - any failure of a thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 30 and set(results) <= {"bad", "locked"}
    actions = _audit_actions(engine)
    checked = actions.count("login_failed") + actions.count("account_locked")
    assert checked == 5, f"{checked} guesses checked"
    assert actions.count("account_locked") == 1
    assert actions.count("login_refused_locked") == 25
    assert accounts.authenticate("awa", PASSWORD).problem == "locked"
    agent = accounts.by_login("awa")
    assert agent is not None and agent.locked_until is not None


def test_a_right_password_clears_the_count_and_an_expired_lock_counts_again(engine):
    now = {"t": records.now()}
    accounts = Accounts(engine, max_failures=3, lockout_minutes=15, clock=lambda: now["t"])
    accounts.add(login="ben", password=PASSWORD)
    assert accounts.authenticate("ben", "wrong one").problem == "bad"
    assert accounts.authenticate("ben", PASSWORD).agent is not None
    assert accounts.by_login("ben").failed_attempts == 0
    for expected in ("bad", "bad", "locked"):
        assert accounts.authenticate("ben", "wrong one").problem == expected
    assert accounts.authenticate("ben", PASSWORD).problem == "locked"
    import datetime as dt

    now["t"] += dt.timedelta(minutes=16)
    assert accounts.authenticate("ben", "wrong one").problem == "bad"  # counting starts again
    assert accounts.authenticate("ben", PASSWORD).agent is not None


# -- the console over HTTP -------------------------------------------------------------------------


@pytest.fixture
def console_app(make_app, at_fake):
    """A console with two agents and a supervisor; DATABASE_URL as the test asks."""

    def make(**env: str):
        fake, url = at_fake
        app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                       **env)
        desk = app.extensions["guichet"].desk
        for login, role in (("awa", "agent"), ("ben", "agent"), ("eve", "supervisor")):
            if desk.accounts.by_login(login) is None:  # a second app on the same database
                desk.accounts.add(login=login, password=PASSWORD, role=role,
                                  languages="fr", display_name=login.title())
        return app

    return make


def _login(app, login: str = "awa", *, https: bool = False):
    from tests.test_agent_console import Console

    c = Console(app)
    if https:  # as behind the production TLS proxy
        c.client.environ_base["wsgi.url_scheme"] = "https"
    response = c.login(login)
    assert response.status_code == 303, response.text
    return c, response


# -- 3. session cookie -----------------------------------------------------------------------------


def test_a_cookie_copied_before_logout_no_longer_works_after_it(console_app):
    app = console_app()
    c, _ = _login(app)
    stolen = c.client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/agent/queue.json", headers={"Accept": "application/json"}).status_code \
        == 200  # a copy works while the session lives
    c.post("/agent/logout", as_json=False)
    assert c.get("/agent/queue").status_code == 302
    replay = thief.get("/agent/queue.json", headers={"Accept": "application/json"})
    assert replay.status_code == 401
    page = thief.get("/agent/queue")
    assert page.status_code == 302 and "/agent/login" in page.headers["Location"]
    again, _ = _login(app)  # a new login works
    assert again.json("/agent/queue.json").status_code == 200


def test_the_session_cookie_is_samesite_and_secure_in_production(console_app):
    dev = console_app()
    _, response = _login(dev)
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    prod = console_app(GUICHET_ENV="production", SECRET_KEY="s" * 48)
    _, response = _login(prod, https=True)
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "Secure" in cookie and "HttpOnly" in cookie


# -- 4. spreadsheet formulas in the export ---------------------------------------------------------


def test_the_export_never_hands_a_spreadsheet_a_live_formula(console_app):
    import csv
    import io

    from dialogs.handoff import Exchange

    app = console_app()
    desk = app.extensions["guichet"].desk
    phone = "+2290197003344"
    said = ['=HYPERLINK("http://evil.example","cliquez")', "+cmd|' /C calc'!A0", "-cmd",
            "@SUM(A1:A9)", "\t=cmd", "\r=cmd", "bonjour = salut"]
    desk.enqueue(channel="sms", session="sms:x", user=phone, lang="fr", reason="asked",
                 topic=None)
    for text in said:
        desk.record(Exchange("sms", "sms:x", phone, "in", text, "fr"))
    eve, _ = _login(app, "eve")
    response = eve.get("/agent/export.csv?days=7")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    texts = [r["text"] for r in rows]
    for text in said[:-1]:
        assert "'" + text in texts
    assert "bonjour = salut" in texts  # only a leading sign is a formula
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert {r["user"] for r in rows} == {"'+***********44"}


# -- 5. ids the database cannot hold, bodies that are not objects ---------------------------------


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_huge_ids_are_404_and_a_json_body_that_is_not_an_object_is_400(console_app, request,
                                                                       database):
    env = {}
    if database == "postgresql":
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    app = console_app(**env)
    desk = app.extensions["guichet"].desk
    desk.enqueue(channel="sms", session="sms:1", user="+2290197003344", lang="fr",
                 reason="asked", topic=None)
    c, _ = _login(app, "eve")
    cid = c.json("/agent/queue.json").json["items"][0]["id"]
    for huge in (2**31, 2**63, 2**64 + 5):
        assert c.get(f"/agent/c/{huge}").status_code == 404
        assert c.json(f"/agent/c/{huge}.json").status_code == 404
        for action in ("take", "close", "reply", "transfer"):
            assert c.post(f"/agent/c/{huge}/{action}", {"text": "x"}).status_code == 404
        assert c.post(f"/agent/callbacks/{huge}/take").status_code == 404
        assert c.json(f"/agent/updates.json?conversation={huge}").status_code == 404
        assert c.json(f"/agent/updates.json?after={huge}").status_code == 200
    assert c.json(f"/agent/updates.json?conversation={cid}&after={2**63}").status_code == 200
    assert c.post(f"/agent/c/{cid}/take").status_code == 200
    assert c.post(f"/agent/c/{cid}/transfer", {"to": str(2**63)}).status_code == 400
    not_objects = ("[1, 2]", '"bonjour"', "42", "null")
    for action, bodies in (("reply", (*not_objects, '{"text": 42}')),
                           ("transfer", (*not_objects, '{"to": [1]}'))):
        for body in bodies:
            response = c.client.post(f"/agent/c/{cid}/{action}", data=body,
                                     content_type="application/json",
                                     headers={"X-CSRF-Token": c.token,
                                              "Accept": "application/json"})
            assert response.status_code == 400, (action, body, response.status_code)
            assert response.json["error"]
    ok = c.client.post(f"/agent/c/{cid}/transfer", json={"to": "queue"},
                       headers={"X-CSRF-Token": c.token, "Accept": "application/json"})
    assert ok.status_code == 200
