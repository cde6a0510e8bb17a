"""The sandbox as the mobile-money operator and as the source of the portal's events: the
contract Guichet and the other half of the work rely on (DESIGN "Portal payments and events")."""

from __future__ import annotations

import json
import threading

import pytest
from flask import Flask, request

from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from integrations.portal.sandbox.events import EventPoster
from integrations.portal.sandbox.payments import sweep
from integrations.portal.sandbox.state import EXTENSION
from integrations.portal.signing import HEADER, verify
from tests.portal_fixtures import CASIER_ANSWERS, FakeClock

ADMIN = {"X-Admin-Key": "k"}
PHONE = "+2290197000001"


@pytest.fixture
def portal():
    clock = FakeClock()
    seen: list[dict] = []
    app = create_sandbox_app(admin_key="k", step_seconds=60, clock=clock, expire_seconds=300,
                             on_event=seen.append)
    return app.test_client(), clock, seen, app


def _file(client, slug: str = "casier-judiciaire") -> str:
    answer = client.post(f"/api/v1/eservices/{slug}/requests",
                         json={"phone": PHONE, "lang": "fr", "answers": CASIER_ANSWERS},
                         headers={"Idempotency-Key": slug + "-1"})
    assert answer.status_code == 201, answer.json
    return answer.json["reference"]


def _pay(client, reference: str, key: str = "a1", **body):
    payload = {"operator": "mtn", "msisdn": PHONE, **body}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/requests/{reference}/payments", json=payload, headers=headers)


def test_a_payment_starts_once_per_key_and_waits_for_the_operator(portal):
    client, _clock, _seen, _app = portal
    reference = _file(client)
    first = _pay(client, reference)
    assert first.status_code == 202
    body = first.json
    assert body["status"] == "pending" and body["amount_xof"] == 1900
    assert body["reference"] == reference and body["operator"] == "mtn"
    again = _pay(client, reference)
    assert again.json == body and again.headers["Idempotent-Replayed"] == "true"
    other = _pay(client, reference, key="a2")
    assert other.status_code == 409 and other.json["fields"] == {"reference": "pending"}
    status = client.get(f"/api/v1/requests/{reference}").json["payment"]
    assert status == {"amount_xof": 1900, "status": "pending"}
    assert client.get(f"/api/v1/payments/{body['payment_id']}").json == body


def test_bad_starts_are_refused_with_reasons(portal):
    client, *_ = portal
    reference = _file(client)
    assert _pay(client, reference, key="").status_code == 400
    assert _pay(client, reference, operator="orange").json["fields"] == {"operator": "choice"}
    assert _pay(client, reference, msisdn="0197000001").json["fields"] == {"msisdn": "phone"}
    assert _pay(client, reference, msisdn="+33612345678").status_code == 422
    assert _pay(client, "SP-2026-999999").status_code == 404


def test_admin_settles_once_and_each_outcome_is_an_event(portal):
    client, _clock, seen, _app = portal
    reference = _file(client)
    payment_id = _pay(client, reference).json["payment_id"]
    assert client.post(f"/api/v1/admin/payments/{payment_id}",
                       json={"outcome": "succeeded"}).status_code == 403  # no admin key
    assert client.post(f"/api/v1/admin/payments/{payment_id}", json={"outcome": "maybe"},
                       headers=ADMIN).status_code == 422
    done = client.post(f"/api/v1/admin/payments/{payment_id}", json={"outcome": "succeeded"},
                       headers=ADMIN)
    assert done.json["status"] == "succeeded"
    assert client.post(f"/api/v1/admin/payments/{payment_id}", json={"outcome": "failed"},
                       headers=ADMIN).status_code == 409
    assert [e["type"] for e in seen] == ["payment.succeeded"]
    assert seen[0]["payment_id"] == payment_id and seen[0]["reference"] == reference
    paid = _pay(client, reference, key="a3")
    assert paid.status_code == 409 and paid.json["fields"] == {"reference": "paid"}
    listed = client.get("/api/v1/events?after=0").json
    assert listed["events"] == seen and listed["last"] == seen[-1]["id"]
    assert client.get(f"/api/v1/events?after={listed['last']}").json["events"] == []


def test_unknown_and_zero_fees_cannot_be_paid(portal):
    client, _clock, _seen, app = portal
    forms = app.extensions[EXTENSION].catalogue.forms
    reference = _file(client)
    forms["casier-judiciaire"]["fee_xof"] = None
    assert _pay(client, reference).json["fields"] == {"reference": "fee_unknown"}
    forms["casier-judiciaire"]["fee_xof"] = 0
    assert _pay(client, reference).json["fields"] == {"reference": "free"}


def test_unsettled_payments_expire_and_status_steps_are_events(portal):
    client, clock, seen, app = portal
    reference = _file(client)
    payment_id = _pay(client, reference).json["payment_id"]
    clock.now += 301
    sweep(app.extensions[EXTENSION], force=True)
    expired = client.get(f"/api/v1/payments/{payment_id}").json
    assert expired["status"] == "expired" and expired["reason"] == "timeout"
    kinds = [(e["type"], e.get("status")) for e in seen]
    assert ("payment.failed", "expired") in kinds
    assert ("request.status_changed", "in_progress") in kinds  # 60 s steps: one passed
    assert ("request.status_changed", "ready") in kinds
    assert _pay(client, reference, key="a2").status_code == 202  # a new attempt may start
    client.post(f"/api/v1/admin/requests/{reference}/status", json={"status": "rejected"},
                headers=ADMIN)
    assert seen[-1]["type"] == "request.status_changed" and seen[-1]["status"] == "rejected"
    sweep(app.extensions[EXTENSION], force=True)
    assert [e["status"] for e in seen].count("ready") == 1  # announced once


def test_the_in_process_default_settles_by_itself(portal):
    clock = FakeClock()
    seen: list[dict] = []
    app = create_sandbox_app(admin_key="k", clock=clock, settle_seconds=20,
                             on_event=seen.append)
    client = app.test_client()
    reference = _file(client)
    ok = _pay(client, reference).json["payment_id"]
    clock.now += 21
    sweep(app.extensions[EXTENSION], force=True)
    assert client.get(f"/api/v1/payments/{ok}").json["status"] == "succeeded"
    assert seen[-1]["type"] == "payment.succeeded"


def test_a_standalone_sandbox_posts_signed_events_and_retries():
    received: list[tuple[bytes, str]] = []
    fails = {"left": 1}
    lock = threading.Lock()
    guichet = Flask("guichet")

    @guichet.post("/portal/events")
    def events():
        with lock:
            if fails["left"]:
                fails["left"] -= 1
                return "busy", 503
            received.append((request.get_data(), request.headers.get(HEADER, "")))
        return "", 204

    url, server = serve_in_thread(guichet, log_requests=False)
    poster = EventPoster(f"{url}/portal/events", "s3cret", backoff=0.01, timeout=2)
    try:
        poster({"id": "7", "type": "payment.succeeded", "reference": "SP-2026-000001",
                "payment_id": "PAY-1", "status": "succeeded", "at": "2026-11-30T10:00:00+01:00"})
        poster.join()
    finally:
        poster.close()
        stop_server(server)
    ((body, signature),) = received
    assert json.loads(body)["id"] == "7"
    assert verify("s3cret", body, signature) and not verify("other", body, signature)
