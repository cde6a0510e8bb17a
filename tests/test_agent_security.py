"""The console under attack, on real databases and a real HTTP server: parallel password
guesses, login floods, stolen cookies, spreadsheet formulas in exports, absurd ids and bodies."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from dialogs.desk import records
from dialogs.desk.accounts import Accounts

PASSWORD = "a long password"


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
    prod = console_app(GUICHET_ENV="production", SECRET_KEY="s" * 48,
                       PORTAL_WEBHOOK_SECRET="portal-events-secret")
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


# -- 2. login throttle ----------------------------------------------------------------------------


def _from(app, address: str):
    from tests.test_agent_console import Console

    c = Console(app)
    c.client.environ_base["REMOTE_ADDR"] = address
    return c


def test_logins_are_throttled_per_address_with_a_french_429_before_any_hash(console_app):
    app = console_app(AGENT_LOGIN_RATE="3/minute", AGENT_LOGIN_GLOBAL_RATE="100/minute")
    desk = app.extensions["guichet"].desk
    guesser = _from(app, "10.0.0.1")
    for _ in range(3):
        assert guesser.login("nobody", "guess guess").status_code == 401
    throttled = guesser.login("awa")  # even the right password: not checked at all
    assert throttled.status_code == 429
    assert "Trop de tentatives de connexion" in throttled.text
    assert "<form" in throttled.text  # the login page, with the message
    assert throttled.headers.get("Retry-After")
    as_json = guesser.client.post("/agent/login", data={
        "login": "awa", "password": PASSWORD, "csrf_token": guesser.token},
        headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and as_json.json["problem"] == "throttled"
    assert "Trop de tentatives" in as_json.json["error"]
    actions = [e["action"] for e in desk.audit_log()]
    assert actions.count("login_failed") == 3 and "login" not in actions  # 3 hashes, no more
    assert _from(app, "10.0.0.2").login("awa").status_code == 303  # another address logs in
    assert guesser.get("/agent/login").status_code == 200  # the page itself is not throttled


def test_logins_from_many_addresses_meet_the_global_limit(console_app):
    app = console_app(AGENT_LOGIN_RATE="100/minute", AGENT_LOGIN_GLOBAL_RATE="5/minute")
    answers = [_from(app, f"10.0.1.{n}").login("nobody", "guess guess").status_code
               for n in range(8)]
    assert answers == [401] * 5 + [429] * 3


def test_with_redis_every_worker_shares_the_login_counts(console_app, redis_url):
    first = console_app(REDIS_URL=redis_url, AGENT_LOGIN_RATE="2/minute")
    second = console_app(REDIS_URL=redis_url, AGENT_LOGIN_RATE="2/minute")
    assert _from(first, "10.0.2.1").login("nobody", "guess one").status_code == 401
    assert _from(second, "10.0.2.1").login("nobody", "guess two").status_code == 401
    assert _from(first, "10.0.2.1").login("nobody", "guess three").status_code == 429
    assert _from(second, "10.0.2.1").login("awa").status_code == 429


def test_a_bad_rate_stops_start_up_naming_the_variable():
    from channels.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="AGENT_LOGIN_RATE"):
        Settings.from_env({"AGENT_LOGIN_RATE": "lots"})
    with pytest.raises(ConfigError, match="AGENT_LOGIN_GLOBAL_RATE"):
        Settings.from_env({"AGENT_LOGIN_GLOBAL_RATE": "10 per fortnight"})


FLOOD = """
import collections, json, re, sys, threading, time
import requests

base, seconds = sys.argv[1], float(sys.argv[2])
statuses = collections.Counter()
lock = threading.Lock()
stop = time.monotonic() + seconds

def guess(n):
    browser = requests.Session()
    page = browser.get(base + "/agent/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    while time.monotonic() < stop:
        answer = browser.post(base + "/agent/login", allow_redirects=False, timeout=30,
                              data={"login": "guess%d" % n, "password": "wrong password",
                                    "csrf_token": token})
        with lock:
            statuses[answer.status_code] += 1

threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(statuses))
"""


def test_a_login_flood_never_slows_ussd_hops(console_app):
    """24 clients (another process) guess passwords as fast as they can on a real server while
    a phone dials: throttled attempts never reach the password hash, and USSD hops stay quick.
    """
    import json
    import statistics
    import subprocess
    import sys
    import time

    import requests

    from tests.fakes.serving import serve

    app = console_app()  # the defaults: 10/minute per address, 60/minute overall
    desk = app.extensions["guichet"].desk
    base, server = serve(app)
    try:
        flood = subprocess.Popen([sys.executable, "-c", FLOOD, base, "4"],
                                 stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)  # the flood is in full swing
        hops = []
        for n in range(20):
            started = time.perf_counter()
            screen = requests.post(f"{base}/ussd", timeout=10, data={
                "sessionId": f"flood-{n}", "serviceCode": "*202#",
                "phoneNumber": "+2290197000009", "networkCode": "61000", "text": ""})
            hops.append(time.perf_counter() - started)
            assert screen.status_code == 200 and screen.text.startswith("CON ")
        out, _ = flood.communicate(timeout=60)
    finally:
        server.shutdown()
    statuses = {int(k): v for k, v in json.loads(out).items()}
    attempts = sum(statuses.values())
    hashed = [e["action"] for e in desk.audit_log(5000)].count("login_failed")
    print(f"\nUSSD hop median {statistics.median(hops) * 1000:.0f} ms, slowest "
          f"{max(hops) * 1000:.0f} ms, under {attempts} login attempts ({statuses}), "
          f"{hashed} hashed")
    assert set(statuses) <= {401, 429}  # never a 5xx
    assert hashed <= 10, f"{hashed} of {attempts} guesses reached the password hash"
    assert attempts > 100  # it was a flood
    assert statistics.median(hops) < 0.3, hops  # 3 ms unloaded; 0.6 s unthrottled
