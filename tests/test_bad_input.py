"""Bad JSON never breaks a hop: a body nested a thousand deep, not JSON, or not an object gets a
400 with a JSON ``error`` in the caller's language, on every endpoint that reads JSON; Meta's
signed webhook gets a 200 (anything else is redelivered for days)."""

from __future__ import annotations

import pytest

from channels.whatsapp.signature import sign
from tests.callers import agent_console, webchat_visitor

APP_SECRET = "bad-input-app-secret"
DEEP_LIST = b"[" * 1000 + b"]" * 1000
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000
BAD_BODIES = [DEEP_LIST, DEEP_OBJECT, b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"', b"null"]


@pytest.fixture
def app(make_app):
    return make_app(WHATSAPP_APP_SECRET=APP_SECRET)


@pytest.fixture
def client(app):
    return app.test_client()


def _assert_clear_400(response, language_word: str = "JSON") -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.is_json and language_word in response.json["error"]


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: repr(b[:12]))
def test_every_json_endpoint_answers_400_to_bad_json(client, body):
    sid, auth = webchat_visitor(client)
    headers = {"Content-Type": "application/json"}
    for path, extra in (("/api/v1/parse", {}), ("/webchat/sessions", {}),
                        (f"/webchat/sessions/{sid}/messages", auth),
                        ("/simulator/whatsapp", {})):
        _assert_clear_400(client.post(path, data=body, headers={**headers, **extra}))


def test_the_error_is_written_for_a_person(client):
    """French (the source) until the catalogues translate it; the visitor's language after."""
    response = client.post("/api/v1/parse", data=DEEP_LIST, content_type="application/json")
    assert response.json == {"error": "Requête invalide : un objet JSON est attendu."}


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT, b"{not json", b"[1]", b"null"],
                         ids=lambda b: repr(b[:12]))
def test_a_signed_but_unreadable_whatsapp_event_is_answered_200_and_dropped(client, body):
    response = client.post("/whatsapp/webhook", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign(APP_SECRET, body)})
    assert response.status_code == 200
    assert response.json == {"status": "ignored"}


def test_code_that_reads_json_through_flask_gets_none_not_a_crash(app):
    """The agent console reads ``get_json(silent=True)``: too deep is unreadable, not a 500."""
    console, csrf = agent_console(app)
    for path in ("/agent/c/1/reply", "/agent/c/1/transfer"):
        response = console.post(path, data=DEEP_LIST, headers={
            **csrf, "Content-Type": "application/json", "Accept": "application/json"})
        assert response.status_code < 500, (path, response.status_code)


def test_an_id_no_row_can_have_is_a_404_not_a_database_error(app):
    console, csrf = agent_console(app)
    for path in ("/agent/c/99999999999999999999", "/agent/c/2147483648.json"):
        assert console.get(path, headers={"Accept": "application/json"}).status_code == 404
    response = console.post("/agent/c/18446744073709551616/transfer", data={"to": "queue"},
                            headers={**csrf, "Accept": "application/json"})
    assert response.status_code == 404
