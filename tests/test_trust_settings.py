"""Production refuses unsafe settings; callbacks are the gateway's only when they prove it.

Each test plays what an attacker or an operator did against a running server: a forged
``phoneNumber`` on ``/ussd``, a simulator left on, a service started with the old secret.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from channels.config import OLD_DEFAULT_SECRET, ConfigError, Settings, _generated_key
from tests.conftest import wait_for

GOOD_KEY = "k" * 40
TOKEN = "gateway-secret-0123456789"
VICTIM = "+2290197000042"


@pytest.mark.parametrize("secret, problem", [
    (None, "must be set"),
    ("", "must be set"),
    (OLD_DEFAULT_SECRET, "old public default"),
    ("x" * 31, "at least 32"),
])
def test_production_refuses_a_missing_default_or_short_secret(secret, problem):
    env = {"GUICHET_ENV": "production"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == "SECRET_KEY"
    assert problem in str(caught.value)


def test_production_refuses_to_start_and_names_the_variable(tmp_path):
    """The real entry point: gunicorn's app factory stops with the variable's name."""
    done = subprocess.run(
        [sys.executable, "-c", "from channels.app import create_app; create_app()"],
        env={"GUICHET_ENV": "production", "SECRET_KEY": "short", "PATH": "/usr/bin:/bin",
             "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}"},
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"GUICHET_ENV": "prod"})
    assert caught.value.variable == "GUICHET_ENV"


def test_production_with_a_live_gateway_needs_its_callback_secret():
    env = {"GUICHET_ENV": "production", "SECRET_KEY": GOOD_KEY,
           "AT_USERNAME": "guichet", "AT_API_KEY": "k",
           "PORTAL_WEBHOOK_SECRET": "portal-events-secret"}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert caught.value.variable == "AT_CALLBACK_TOKEN"
    assert Settings.from_env({**env, "AT_CALLBACK_TOKEN": TOKEN}).production


def test_development_key_is_random_and_kept_once_for_every_worker(tmp_path):
    path = tmp_path / "var" / "secret_key"
    first = _generated_key(path)
    assert first != OLD_DEFAULT_SECRET and len(first) >= 32
    assert _generated_key(path) == first  # a second worker, or a restart, reads the same key
    assert _generated_key(tmp_path / "other" / "secret_key") != first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert Settings().secret_key != Settings().secret_key  # no constant anywhere


def test_forged_token_with_the_old_default_is_refused(make_app):
    """A web chat token signed with the old constant no longer opens anyone's session."""
    from itsdangerous import URLSafeTimedSerializer

    app = make_app()
    client = app.test_client()
    opened = client.post("/webchat/sessions", json={"lang": "fr"}).get_json()
    forged = URLSafeTimedSerializer(OLD_DEFAULT_SECRET, salt="guichet-webchat").dumps(opened["id"])
    history = client.get(f"/webchat/sessions/{opened['id']}/history",
                         headers={"Authorization": f"Bearer {forged}"})
    assert history.status_code == 401


def test_simulator_is_off_in_production_whatever_else_is_set(make_app):
    app = make_app(GUICHET_ENV="production", SECRET_KEY=GOOD_KEY, SIMULATOR_ENABLED="true",
                   PORTAL_WEBHOOK_SECRET="portal-events-secret")
    client = app.test_client()
    assert client.get("/simulator/").status_code == 404
    assert client.get(f"/simulator/outbox?phone={VICTIM}").status_code == 404
    assert make_app(SECRET_KEY=GOOD_KEY).test_client().get("/simulator/").status_code == 200


def _ussd(client, query: str = "", phone: str = VICTIM, text: str = ""):
    return client.post(f"/ussd{query}", data={
        "sessionId": "ATUid_forged", "serviceCode": "*202*4#", "phoneNumber": phone,
        "networkCode": "61601", "text": text})


def test_ussd_without_the_gateway_secret_is_refused_and_shows_nothing(make_app):
    app = make_app(AT_CALLBACK_TOKEN=TOKEN)
    client = app.test_client()
    for query in ("", "?token=wrong", f"?token={TOKEN}x", "?token="):
        response = _ussd(client, query)
        assert response.status_code == 403, query
        assert b"CON" not in response.data and b"SP-" not in response.data
    ok = _ussd(client, f"?token={TOKEN}")
    assert ok.status_code == 200 and ok.get_data(as_text=True).startswith(("CON ", "END "))
    events = client.post("/ussd/events", data={"sessionId": "x", "phoneNumber": VICTIM,
                                               "status": "Success"})
    assert events.status_code == 403
    assert client.post(f"/ussd/events?token={TOKEN}",
                       data={"sessionId": "x", "status": "Success"}).status_code == 200


def test_sms_without_the_gateway_secret_is_refused_and_nothing_is_sent(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   AT_CALLBACK_TOKEN=TOKEN)
    client = app.test_client()
    rt = app.extensions["guichet"]
    form = {"from": VICTIM, "to": "1350", "text": "AIDE", "id": "ATXid_forged", "linkId": ""}
    assert client.post("/sms/inbound", data=form).status_code == 403
    assert client.post("/sms/inbound?token=nope", data=form).status_code == 403
    rt.queue.drain(5)
    assert fake.messages_to(VICTIM) == []
    assert rt.inbox.unfinished() == []  # not even recorded
    report = {"id": "ATXid_1", "status": "Success", "phoneNumber": VICTIM}
    assert client.post("/sms/delivery", data=report).status_code == 403
    assert client.post(f"/sms/inbound?token={TOKEN}", data=form).status_code == 200
    assert wait_for(lambda: fake.messages_to(VICTIM), timeout=15)
    assert client.post(f"/sms/delivery?token={TOKEN}", data=report).status_code == 200


def test_gateway_addresses_allow_list(make_app):
    app = make_app(AT_CALLBACK_ALLOWLIST="10.20.0.0/16, 192.0.2.7")
    client = app.test_client()
    assert _ussd(client).status_code == 403  # the test client calls from 127.0.0.1
    inside = client.post("/ussd", environ_base={"REMOTE_ADDR": "10.20.3.4"}, data={
        "sessionId": "ATUid_ok", "serviceCode": "*202#", "phoneNumber": VICTIM, "text": ""})
    assert inside.status_code == 200
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"AT_CALLBACK_ALLOWLIST": "10.20.0.0/16, not-an-address"})
    assert caught.value.variable == "AT_CALLBACK_ALLOWLIST"


def test_behind_a_trusted_proxy_the_forwarded_address_is_checked(make_app):
    app = make_app(AT_CALLBACK_ALLOWLIST="10.20.0.0/16", TRUSTED_PROXY_HOPS="1")
    client = app.test_client()
    data = {"sessionId": "ATUid_p", "serviceCode": "*202#", "phoneNumber": VICTIM, "text": ""}
    assert client.post("/ussd", data=data,
                       headers={"X-Forwarded-For": "10.20.9.9"}).status_code == 200
    assert client.post("/ussd", data=data,
                       headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 403
