"""Paying a request by mobile money over USSD and SMS, against the sandbox playing the operator:
one payment per attempt whatever the retries, settled by the admin endpoint, refused politely
to a number that did not file the request."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from dialogs import workflows
from dialogs.payments import PaymentLedger
from dialogs.store import MemoryStore
from integrations.portal import PortalClient
from integrations.portal.errors import PortalUnavailable
from integrations.portal.sandbox.state import EXTENSION
from tests.conftest import ADMIN_KEY, wait_for
from tests.test_sms_channel import Texter
from tests.ussd_phone import Phone, fill_casier_form

REFERENCE = re.compile(r"SP-\d{4}-\d{6}")
OWNER = "+2290197000001"


def _payments(sandbox) -> list[dict]:
    store = sandbox["app"].extensions[EXTENSION].store
    return [dict(r) for r in store.read("SELECT * FROM payments ORDER BY created_at")]


def _admin(sandbox, path: str, body: dict) -> requests.Response:
    return requests.post(f"{sandbox['url']}/api/v1/admin/{path}", json=body,
                         headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)


def _file_and_pay(phone: Phone, fake) -> str:
    """File a criminal record request over USSD, pay it with MTN right away; the reference."""
    fill_casier_form(phone)
    sent = phone.choose("1")  # Confirmer
    assert "Payer maintenant" in sent and not phone.ended
    ops = phone.press("1")
    assert "1 MTN MoMo" in ops and "2 Moov Money" in ops and "3 Celtiis Cash" in ops
    number = phone.press("1")
    assert "1 Ce numéro (0197000001)" in number
    confirm = phone.press("1")
    assert "Payer 1 900 F CFA" in confirm and "MTN MoMo, numéro 0197000001" in confirm
    done = phone.choose("1")
    assert phone.ended and "code secret" in done and "jamais" in done
    receipt = wait_for(lambda: fake.messages_to(phone.number))[0]
    return REFERENCE.search(receipt).group(0)


def test_file_then_pay_with_mtn_and_the_admin_settles_it(phone, app, at_fake, sandbox):
    fake, _ = at_fake
    reference = _file_and_pay(phone, fake)
    receipt = fake.messages_to(phone.number)[0]
    assert receipt.count("1 900") == 1 and f"PAYER {reference}" in receipt  # said once
    (payment,) = wait_for(lambda: _payments(sandbox) or None)
    assert payment["reference"] == reference and payment["operator"] == "mtn"
    assert payment["msisdn"] == OWNER and payment["status"] == "pending"

    phone.dial()
    phone.press("3")
    pending = phone.press(reference[3:].replace("-", ""))
    assert "Paiement : 1 900 F CFA, en attente de validation" in pending
    assert "Payer maintenant" not in pending

    settled = _admin(sandbox, f"payments/{payment['payment_id']}", {"outcome": "succeeded"})
    assert settled.status_code == 200 and settled.json()["status"] == "succeeded"
    events = requests.get(f"{sandbox['url']}/api/v1/events", timeout=5).json()["events"]
    assert {"type": "payment.succeeded", "reference": reference,
            "payment_id": payment["payment_id"], "status": "succeeded"}.items() <= \
        events[-1].items()

    phone.dial()
    phone.press("3")
    paid = phone.press(reference[3:].replace("-", ""))
    assert "Paiement : 1 900 F CFA, payé" in paid and "Payer maintenant" not in paid


def test_paying_twice_from_two_sessions_starts_one_payment(phone, app, at_fake, sandbox):
    fake, _ = at_fake
    reference = _file_and_pay(phone, fake)
    wait_for(lambda: _payments(sandbox) or None)
    again = Phone(phone.client, phone.number)
    again.dial()
    again.press("3")
    status = again.press(reference[3:].replace("-", ""))
    assert "Payer maintenant" not in status  # pending: nothing to start
    app.extensions["guichet"].queue.drain(5)
    assert len(_payments(sandbox)) == 1


def test_a_failed_payment_says_why_and_a_new_attempt_is_a_new_payment(phone, app, at_fake,
                                                                      sandbox):
    fake, _ = at_fake
    reference = _file_and_pay(phone, fake)
    (first,) = wait_for(lambda: _payments(sandbox) or None)
    _admin(sandbox, f"payments/{first['payment_id']}",
           {"outcome": "failed", "reason": "insufficient_funds"})
    phone.dial()
    phone.press("3")
    status = phone.press(reference[3:].replace("-", ""))
    assert "2 Payer maintenant" in status
    phone.press("2", "2", "1")  # pay: Moov, own number
    phone.choose("1")
    second = wait_for(lambda: _payments(sandbox)[1:] or None)[0]
    assert second["operator"] == "moov" and second["idempotency_key"] != first[
        "idempotency_key"]
    assert len(_payments(sandbox)) == 2


def test_sms_payer_by_another_number_is_refused_politely(app, at_fake, sandbox):
    fake, _ = at_fake
    phone = Phone(app.test_client())
    reference = _file_and_pay(phone, fake)
    stranger = Texter(app.test_client(), fake, "+2290197000300")
    answer = stranger.text(f"PAYER {reference}")
    assert "Seul le numéro qui a fait la demande" in answer and reference in answer
    assert len(_payments(sandbox)) == 1


def test_sms_payer_with_the_operator_goes_straight_to_the_number(app, at_fake, sandbox):
    fake, _ = at_fake
    phone = Phone(app.test_client())
    fill_casier_form(phone)
    phone.choose("1")
    phone.press("2")  # Plus tard
    reference = REFERENCE.search(wait_for(lambda: fake.messages_to(phone.number))[0]).group(0)
    owner = Texter(app.test_client(), fake, phone.number)
    number = owner.text(f"payer {reference} mtn")
    assert "Quel numéro MTN MoMo" in number
    confirm = owner.text("1")
    assert "Payer 1 900 F CFA" in confirm
    done = owner.text("1")
    assert "code secret" in done
    (payment,) = wait_for(lambda: _payments(sandbox) or None)
    assert payment["reference"] == reference


# --------------------------------------------------------------- idempotency under a timeout


class Told:
    """The citizen's side of a workflow: what they were sent (the Notifier port)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, user: str, text: str, *, lang: str, key: str) -> str:
        self.sent.append((key, text))
        return "queued"


def test_a_timeout_is_reconciled_with_the_same_key_never_a_second_charge(sandbox, engine):
    client = PortalClient(sandbox["url"], retries=0)
    reference = client.submit("casier-judiciaire", {
        "npi": "1234567890", "nom": "Dossou", "prenoms": "Jean", "date_naissance": "05/03/1990",
        "lieu_naissance": "Cotonou", "motif": "emploi"}, OWNER, "fr", "sub-1").reference
    ledger, told, store = PaymentLedger(engine), Told(), MemoryStore()
    kwargs = dict(user=OWNER, lang="fr", reference=reference, operator="mtn", msisdn=OWNER,
                  channel="ussd", intent="confirmed-once", after=None, track_code="*202#")
    _admin(sandbox, "faults", {"delay_ms": 800})
    with pytest.raises(workflows.RetryLater):
        workflows.start_payment(client, told, ledger, store, final=False, timeout=0.3,
                                **kwargs)
    assert ledger.latest(reference).status == "unknown"
    wait_for(lambda: _payments(sandbox) or None)  # the portal did start it meanwhile
    _admin(sandbox, "faults", {})
    assert workflows.start_payment(client, told, ledger, store, final=False, **kwargs) \
        == "pending"
    assert workflows.start_payment(client, told, ledger, store, final=True, **kwargs) \
        == "pending"  # a job run twice, or a second hop
    (payment,) = _payments(sandbox)
    attempt = ledger.latest(reference)
    assert attempt.attempt == 1 and attempt.payment_id == payment["payment_id"]
    assert attempt.key == payment["idempotency_key"]
    client.close()


def test_the_client_never_reposts_and_a_timeout_is_unavailable(sandbox):
    client = PortalClient(sandbox["url"], retries=2)
    reference = client.submit("casier-judiciaire", {
        "npi": "1234567890", "nom": "Dossou", "prenoms": "Jean", "date_naissance": "05/03/1990",
        "lieu_naissance": "Cotonou", "motif": "emploi"}, OWNER, "fr", "sub-2").reference
    _admin(sandbox, "faults", {"delay_ms": 500})
    with pytest.raises(PortalUnavailable):
        client.start_payment(reference, "moov", OWNER, "key-a", timeout=0.2)
    _admin(sandbox, "faults", {})
    wait_for(lambda: _payments(sandbox) or None)
    replay = client.start_payment(reference, "moov", OWNER, "key-a")
    assert len(_payments(sandbox)) == 1 and replay.payment_id == _payments(sandbox)[0][
        "payment_id"]
    client.close()


# ----------------------------------------------------------------------------- the ledger


def test_two_hops_racing_open_one_attempt(engine):
    ledger = PaymentLedger(engine)
    barrier, got = threading.Barrier(4), []

    def hop() -> None:
        barrier.wait()
        got.append(ledger.open("SP-2026-000123", operator="mtn", msisdn=OWNER,
                               channel="ussd", intent=threading.current_thread().name))

    threads = [threading.Thread(target=hop) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({a.key for a, _created in got}) == 1
    assert sum(created for _a, created in got) == 1
    attempt = got[0][0]
    assert OWNER not in str(engine.connect().exec_driver_sql(
        "SELECT msisdn_masked FROM payments").scalar())
    ledger.update(attempt.key, status="failed", reason="declined")
    second, created = ledger.open("SP-2026-000123", operator="moov", msisdn=OWNER,
                                  channel="sms", intent="again")
    assert created and second.attempt == 2 and second.key != attempt.key


def test_the_in_process_sandbox_settles_by_itself_so_a_demo_completes(make_app, at_fake,
                                                                      tmp_path, monkeypatch):
    fake, url = at_fake
    monkeypatch.setenv("SANDBOX_DB", str(tmp_path / "demo-portal.db"))  # read at build
    app = make_app(PORTAL_URL="", SANDBOX_PAYMENT_SETTLE_SECONDS="0.5", AT_USERNAME=fake.username,
                   AT_API_KEY=fake.api_key, AT_API_URL=url)
    phone = Phone(app.test_client())
    reference = _file_and_pay(phone, fake)

    def paid() -> bool:
        phone.dial()
        phone.press("3")
        return "payé" in phone.press(reference[3:].replace("-", ""))

    assert wait_for(paid, timeout=10)


def test_web_chat_pays_with_buttons_once_the_number_is_proven(make_app, at_fake, sandbox):
    from tests.test_webchat import Visitor, ids, plain
    from tests.test_webchat_identity import file_request, prove

    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)
    owner = "+2290197000311"
    reference = file_request(sandbox, owner)
    stranger = Visitor(app.test_client(), phone=owner)  # a number typed, never proven
    stranger.send(start="track", lang="fr")
    seen = stranger.send(text=reference)
    assert "pay" not in ids(seen) and "Paiement" not in plain(seen["parts"])

    visitor = Visitor(app.test_client())
    listed = prove(visitor, fake, owner)
    status = visitor.send(choice=f"ref:{reference}")
    assert "pay" in ids(status)
    ops = visitor.send(choice="pay")
    assert [c["label"] for c in ops["choices"] if c["id"].startswith("op:")] == [
        "MTN MoMo", "Moov Money", "Celtiis Cash"]
    assert listed and ids(visitor.send(choice="op:moov"))[:2] == ["self", "other"]
    confirm = visitor.send(choice="self")
    assert "Moov Money" in plain(confirm["parts"]) and "1 900" in plain(confirm["parts"])
    done = visitor.send(choice="confirm")
    assert done["end"] and "jamais" in plain(done["parts"])
    (payment,) = wait_for(lambda: _payments(sandbox) or None)
    assert payment["operator"] == "moov" and payment["msisdn"] == owner
