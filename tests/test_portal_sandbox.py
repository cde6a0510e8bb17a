"""The sandbox portal over real HTTP: validation, references, idempotency, statuses, X-Road."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from integrations.portal import PortalClient, PortalError, PortalRejected
from tests.portal_fixtures import CASIER_ANSWERS, PHONE, FakeClock, Sandbox, running_sandbox

REFERENCE = re.compile(r"^SP-\d{4}-\d{6}$")


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    with running_sandbox(clock=clock, step_seconds=120.0) as sb:
        yield sb


@pytest.fixture()
def client(sandbox: Sandbox) -> Iterator[PortalClient]:
    c = PortalClient(sandbox.url, timeout=(1.0, 2.0))
    yield c
    c.close()


def post_casier(sandbox: Sandbox, answers: dict, phone: str = PHONE, **headers: str):
    return requests.post(
        f"{sandbox.api}/eservices/casier-judiciaire/requests",
        json={"phone": phone, "lang": "fr", "answers": answers},
        headers=headers,
        timeout=5,
    )


def test_validation_reasons(sandbox: Sandbox) -> None:
    answers = {
        "npi": "12345",
        "nom": "D0ss0u",
        "date_naissance": "31/02/1990",
        "lieu_naissance": "x" * 41,
        "motif": "loisirs",
    }
    response = post_casier(sandbox, answers, phone="0197000001")
    assert response.status_code == 422
    body = response.json()
    assert body["error"]
    assert body["fields"] == {
        "phone": "phone",
        "npi": "npi",
        "nom": "pattern",
        "prenoms": "required",
        "date_naissance": "date",
        "lieu_naissance": "too_long",
        "motif": "choice",
    }


def test_birth_date_in_the_future_and_iso_dates(sandbox: Sandbox) -> None:
    future = post_casier(sandbox, {**CASIER_ANSWERS, "date_naissance": "01/01/2030"})
    assert future.json()["fields"] == {"date_naissance": "future_date"}
    iso = post_casier(sandbox, {**CASIER_ANSWERS, "date_naissance": "1990-03-05"})
    assert iso.status_code == 201


def test_client_rejected_carries_fields(client: PortalClient) -> None:
    with pytest.raises(PortalRejected) as caught:
        client.submit(
            "certificat-residence",
            {"npi": "1234567890", "nom": "Dossou", "prenoms": "Ana", "contact": "97000000"},
            PHONE,
            "fr",
            "key-r1",
        )
    assert caught.value.status == 422
    assert caught.value.fields == {
        "commune": "required",
        "quartier": "required",
        "contact": "phone",
    }


def test_optional_field_may_be_left_out(client: PortalClient) -> None:
    answers = {
        "npi": "1234567890",
        "nom": "Dossou",
        "prenoms": "Ana",
        "commune": "Abomey-Calavi",
        "quartier": "Godomey",
    }
    done = client.submit("certificat-residence", answers, PHONE, "fr", "key-r2")
    assert done.payment.amount_xof == 2000


def test_submit_gives_sequential_references_per_year(
    client: PortalClient, clock: FakeClock
) -> None:
    first = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "k1")
    second = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "en", "k2")
    assert REFERENCE.match(first.reference)
    assert (first.reference, second.reference) == ("SP-2025-000001", "SP-2025-000002")
    assert first.procedure == "casier-judiciaire"
    assert first.payment.amount_xof == 1900
    assert first.payment.operators == ("MTN MoMo", "Moov Money", "Celtiis Cash")
    assert first.reference in first.payment.instructions["fr"]
    assert set(first.payment.instructions) == {"fr", "en"}
    clock.advance(220 * 86400)  # into 2026
    assert client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "k3").reference == (
        "SP-2026-000001"
    )


def test_unknown_fee_is_left_unknown(client: PortalClient) -> None:
    answers = {
        "npi": "1234567890",
        "nom": "Dossou",
        "date_naissance": "05/03/1990",
        "commune_naissance": "Porto-Novo",
        "demandeur": "titulaire",
    }
    done = client.submit("acte-naissance", answers, PHONE, "fr", "key-an")
    assert done.payment.amount_xof is None
    assert "confirmer" in done.payment.instructions["fr"]


def test_idempotent_replay(sandbox: Sandbox, client: PortalClient) -> None:
    first = post_casier(sandbox, CASIER_ANSWERS, **{"Idempotency-Key": "same"})
    again = post_casier(sandbox, CASIER_ANSWERS, **{"Idempotency-Key": "same"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    via_client = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "same")
    assert via_client.reference == first.json()["reference"]
    assert len(client.requests_for(PHONE)) == 1
    conflict = post_casier(
        sandbox, {**CASIER_ANSWERS, "motif": "visa"}, **{"Idempotency-Key": "same"}
    )
    assert conflict.status_code == 409


def test_status_moves_with_time(client: PortalClient, clock: FakeClock) -> None:
    ref = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "t1").reference
    status = client.status(ref)
    assert status.status == "received"
    assert status.submitted_at == "2025-06-02T09:00:00+01:00"
    clock.advance(120)
    assert client.status(ref).status == "in_progress"
    clock.advance(239)
    assert client.status(ref).status == "in_progress"
    clock.advance(1)
    ready = client.status(ref.lower())
    assert ready.status == "ready"
    assert [(e.status, e.at) for e in ready.history] == [
        ("received", "2025-06-02T09:00:00+01:00"),
        ("in_progress", "2025-06-02T09:02:00+01:00"),
        ("ready", "2025-06-02T09:06:00+01:00"),
    ]
    assert ready.updated_at == "2025-06-02T09:06:00+01:00"


def test_admin_override_stops_progression(
    sandbox: Sandbox, client: PortalClient, clock: FakeClock
) -> None:
    ref = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "t2").reference
    clock.advance(150)
    forced = sandbox.admin(
        f"requests/{ref}/status",
        {"status": "rejected", "note": {"fr": "NPI introuvable", "en": "NPI not found"}},
    )
    assert forced.status_code == 200
    clock.advance(3600)
    status = client.status(ref)
    assert status.status == "rejected"
    assert status.note == {"fr": "NPI introuvable", "en": "NPI not found"}
    assert [e.status for e in status.history] == ["received", "in_progress", "rejected"]
    assert sandbox.admin(f"requests/{ref}/status", {"status": "lost"}).status_code == 422
    assert sandbox.admin("requests/SP-2025-999999/status", {"status": "ready"}).status_code == 404
    wrong_key = requests.post(
        f"{sandbox.api}/admin/requests/{ref}/status", json={"status": "ready"}, timeout=5
    )
    assert wrong_key.status_code == 403 and wrong_key.json()["error"]


def test_requests_for_phone(client: PortalClient, clock: FakeClock) -> None:
    a = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "p1").reference
    clock.advance(10)
    b = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "p2").reference
    client.submit("casier-judiciaire", CASIER_ANSWERS, "+2290166000000", "fr", "p3")
    assert [r.reference for r in client.requests_for(PHONE)] == [b, a]
    assert client.requests_for("+2290100000000") == []
    with pytest.raises(PortalRejected) as caught:
        client.requests_for("97000000")
    assert caught.value.fields == {"phone": "phone"}


def test_unknown_reference_and_json_errors(sandbox: Sandbox) -> None:
    missing = requests.get(f"{sandbox.api}/requests/SP-2025-000999", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]
    nowhere = requests.get(f"{sandbox.api}/nowhere", timeout=5)
    assert nowhere.status_code == 404 and "error" in nowhere.json()
    bad_body = requests.post(
        f"{sandbox.api}/eservices/casier-judiciaire/requests", data="nope", timeout=5
    )
    assert bad_body.status_code == 400 and bad_body.json()["error"]
    no_form = requests.post(f"{sandbox.api}/eservices/passeport/requests", json={}, timeout=5)
    assert no_form.status_code == 404


def test_api_key_is_checked_when_configured() -> None:
    with running_sandbox(api_key="s3cret") as sb:
        anonymous = PortalClient(sb.url)
        with pytest.raises(PortalError) as caught:
            anonymous.categories()
        assert caught.value.status == 401
        assert PortalClient(sb.url, api_key="s3cret").categories()


def test_xroad_path_and_headers(sandbox: Sandbox) -> None:
    base = f"{sandbox.url}/r1/BJ/GOV/SERVICE-PUBLIC/PORTAL/portal"
    ok = requests.get(
        f"{base}/procedures/passeport",
        headers={"X-Road-Client": "BJ/GOV/GUICHET/USSD", "X-Road-Id": "id-123"},
        timeout=5,
    )
    assert ok.status_code == 200 and ok.json()["cost_xof"] == 30000
    assert ok.headers["X-Road-Request-Id"] == "id-123"
    missing = requests.get(f"{base}/categories", timeout=5)
    assert missing.status_code == 400
    assert missing.headers["X-Road-Error"] == "Client.InvalidClientIdentifier"
    assert missing.headers["X-Road-Request-Id"]
    assert missing.json()["error"]
    short = requests.get(f"{base}/categories", headers={"X-Road-Client": "BJ/GOV"}, timeout=5)
    assert short.status_code == 400 and short.headers["X-Road-Error"]
    bad_service = requests.get(
        f"{sandbox.url}/r1/BJ/GOV/categories", headers={"X-Road-Client": "BJ/GOV/G/U"}, timeout=5
    )
    assert bad_service.headers["X-Road-Error"] == "Client.InvalidServiceIdentifier"


def test_xroad_client_reaches_the_sandbox(sandbox: Sandbox) -> None:
    client = PortalClient(
        sandbox.url,
        xroad_client="BJ/GOV/GUICHET/USSD",
        xroad_service="BJ/GOV/SERVICE-PUBLIC/PORTAL/portal",
        xroad_user_id="BJ1234",
    )
    assert client.procedure("casier-judiciaire").cost_xof == 1900
    ref = client.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "xr").reference
    assert client.status(ref).status == "received"
    assert client.ping()
    assert sandbox.counter.count("GET", "/r1/BJ/GOV/SERVICE-PUBLIC/PORTAL/portal/") >= 2
    assert sandbox.counter.count("POST", "/r1/") == 1
    assert sandbox.counter.count("GET", "/api/") == 0
    with pytest.raises(ValueError):
        PortalClient(sandbox.url, xroad_client="BJ/GOV")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runs_as_a_process_sharing_a_db_file(tmp_path: Path) -> None:
    db = tmp_path / "var" / "sandbox-portal.db"
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "integrations.portal.sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(db),
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        remote = PortalClient(f"http://127.0.0.1:{port}", timeout=(1.0, 2.0))
        deadline = time.monotonic() + 15
        while not remote.ping():
            assert proc.poll() is None, "sandbox process exited"
            assert time.monotonic() < deadline, "sandbox process did not start"
            time.sleep(0.05)
        first = remote.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "mp1").reference
        with running_sandbox(db_path=str(db)) as local_sb:
            local = PortalClient(local_sb.url)
            second = local.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "mp2")
            assert int(second.reference[-6:]) == int(first[-6:]) + 1
            assert local.status(first).reference == first
            replay = local.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "mp1")
            assert replay.reference == first
        assert {r.reference for r in remote.requests_for(PHONE)} == {first, second.reference}
    finally:
        proc.terminate()
        proc.wait(5)
