"""Pay and be told, as ``make run`` serves it: the in-process sandbox plays the operator and
hands its events to the app, a citizen files and pays, and we count what they receive.

The two halves (the payments job and the portal's news) both know when a payment settles; the
citizen must hear "payment received" once, on the channel they used, and "ready" once; a failed
payment once, with a way to retry that works on that channel; a redelivered event once; a
forged one never.  Real app, real sandbox, fake providers (Africa's Talking, Graph API).
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
import requests

from channels import tasks
from channels.gsm7 import is_gsm7
from channels.portal_events.signature import sign
from channels.whatsapp import window
from dialogs.payments import PaymentLedger
from tests.conftest import wait_for
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.serving import serve
from tests.test_webchat import Visitor, plain
from tests.test_webchat_identity import prove
from tests.ussd_phone import Phone, fill_casier_form
from tests.whatsapp_user import APP_SECRET, VERIFY_TOKEN, WhatsAppUser, body_of, choices_of

SECRET = "pay-and-be-told-secret"
ADMIN = "sandbox-admin"  # the in-process sandbox's admin key
REFERENCE = re.compile(r"SP-\d{4}-\d{6}")
RECEIVED = re.compile(r"paiement re[çc]u|re[çc]u pour", re.I)
READY = re.compile(r"est pr[êe]te", re.I)
FAILED = re.compile(r"n'a pas abouti|non abouti", re.I)


@pytest.fixture
def graph():
    fake = FakeGraphApi()
    url, server = serve(fake.app())
    fake.url = url + "/v21.0"  # type: ignore[attr-defined]
    yield fake
    server.shutdown()


@pytest.fixture
def live(make_app, at_fake, graph, tmp_path, monkeypatch):
    """The app as ``make run`` builds it: the sandbox in-process (its events relayed to the
    app), with the operator's outcome left to the admin endpoint."""
    fake, url = at_fake
    monkeypatch.setenv("SANDBOX_DB", str(tmp_path / "run-portal.db"))  # read at build
    return make_app(PORTAL_URL="", SANDBOX_PAYMENT_SETTLE_SECONDS="0",
                    PORTAL_WEBHOOK_SECRET=SECRET, QUIET_HOURS="off", PORTAL_POLL_SECONDS="0",
                    AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                    WHATSAPP_TOKEN=graph.token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                    WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
                    WHATSAPP_API_URL=graph.url)


def rt_of(app):
    return app.extensions["guichet"]


def sandbox_url(app) -> str:
    return rt_of(app).portal._prefix.rsplit("/api/v1", 1)[0]


def settle(app, reference: str, outcome: str, reason: str | None = None) -> str:
    """The operator's answer, through the sandbox's admin endpoint; the payment's id."""
    def pending() -> str | None:
        found = [e for e in _payments(app) if e["reference"] == reference
                 and e["status"] == "pending"]
        return found[-1]["payment_id"] if found else None

    payment_id = wait_for(pending, timeout=10)
    body = {"outcome": outcome, **({"reason": reason} if reason else {})}
    response = requests.post(f"{sandbox_url(app)}/api/v1/admin/payments/{payment_id}",
                             json=body, headers={"X-Admin-Key": ADMIN}, timeout=5)
    assert response.status_code == 200, response.text
    return payment_id


def _payments(app) -> list[dict]:
    """The sandbox's payments, read through Guichet's own ledger and the portal's API."""
    ledger = PaymentLedger(rt_of(app).messages.engine)
    with ledger.engine.connect() as db:
        from dialogs.payments import payments
        rows = db.execute(payments.select().order_by(payments.c.id)).all()
    found = []
    for row in rows:
        if row.payment_id:
            data = requests.get(f"{sandbox_url(app)}/api/v1/payments/{row.payment_id}",
                                timeout=5).json()
            found.append(data)
    return found


def move(app, reference: str, status: str) -> None:
    response = requests.post(f"{sandbox_url(app)}/api/v1/admin/requests/{reference}/status",
                             json={"status": status, "note": {"fr": "Tribunal de Cotonou"}},
                             headers={"X-Admin-Key": ADMIN}, timeout=5)
    assert response.status_code == 200, response.text


def drain(app) -> None:
    assert rt_of(app).queue.drain(10)


def sms(at_fake, number: str) -> list[str]:
    fake, _url = at_fake
    return fake.messages_to(number)


def count(texts: list[str], pattern: re.Pattern) -> int:
    return sum(1 for t in texts if pattern.search(t))


def post_event(app, event: dict, secret: str = SECRET, header: str | None = None):
    body = json.dumps(event).encode()
    return app.test_client().post("/portal/events", data=body, headers={
        "Content-Type": "application/json",
        "X-Portal-Signature": header or sign(secret, body)})


def ussd_file_and_pay(app, at_fake, number: str) -> tuple[Phone, str]:
    """File a criminal record on USSD, "Payer maintenant", MTN, own number, confirm."""
    phone = Phone(app.test_client(), number)
    fill_casier_form(phone)
    assert "Payer maintenant" in phone.choose("1")
    phone.press("1", "1")  # pay now, MTN
    assert "MTN MoMo, numéro" in phone.press("1")  # own number
    done = phone.choose("1")
    assert phone.ended and "par SMS" in done
    receipt = wait_for(lambda: [t for t in sms(at_fake, number) if REFERENCE.search(t)])[0]
    return phone, REFERENCE.search(receipt).group(0)


# -- USSD ---------------------------------------------------------------------------------------


def test_ussd_pay_then_ready_each_told_once_in_french_gsm7(live, at_fake):
    number = "+2290197005001"
    phone, ref = ussd_file_and_pay(live, at_fake, number)
    settle(live, ref, "succeeded")
    wait_for(lambda: count(sms(at_fake, number), RECEIVED))
    move(live, ref, "ready")
    wait_for(lambda: count(sms(at_fake, number), READY))
    drain(live)
    got = sms(at_fake, number)
    assert count(got, RECEIVED) == 1 and count(got, READY) == 1, got
    assert all(is_gsm7(t) for t in got)
    assert any(t.startswith(f"{ref} : paiement recu") for t in got)  # French, transliterated
    # the payments ledger heard the event too: a settled attempt, not one left "pending"
    assert PaymentLedger(rt_of(live).messages.engine).latest(ref).status == "succeeded"
    phone.dial()
    phone.press("3")
    assert "payé" in phone.press(ref[3:].replace("-", ""))


def test_a_replayed_payment_job_does_not_tell_payment_received_again(live, at_fake):
    """The payments job retried after the operator settled (its POST had timed out) finds
    the payment settled: the news already told it, the job must not tell it again."""
    number = "+2290197005002"
    _phone, ref = ussd_file_and_pay(live, at_fake, number)
    drain(live)
    (attempt,) = [a for a in [PaymentLedger(rt_of(live).messages.engine).latest(ref)] if a]
    settle(live, ref, "succeeded")
    wait_for(lambda: count(sms(at_fake, number), RECEIVED))
    drain(live)
    ledger = PaymentLedger(rt_of(live).messages.engine)
    for _retry in range(2):  # the same job again: same intent, same attempt
        with live.app_context():
            tasks.start_payment(user=number, lang="fr", reference=ref, operator="mtn",
                                msisdn=number, channel="ussd", intent=attempt.intent)
        drain(live)
        with ledger.engine.begin() as db:  # as if its POST had timed out before the event
            from dialogs.payments import payments
            db.execute(payments.update().where(payments.c.idempotency_key == attempt.key)
                       .values(status="unknown"))
    got = sms(at_fake, number)
    assert count(got, RECEIVED) == 1, got
    assert not any("déjà payée" in t or "deja payee" in t for t in got), got


def test_a_failed_payment_is_told_once_with_the_ussd_way_to_retry_which_works(live, at_fake):
    number = "+2290197005003"
    phone, ref = ussd_file_and_pay(live, at_fake, number)
    settle(live, ref, "failed", "insufficient_funds")
    wait_for(lambda: count(sms(at_fake, number), FAILED))
    drain(live)
    got = sms(at_fake, number)
    (failure,) = [t for t in got if FAILED.search(t)]
    assert "solde insuffisant" in failure and "*202#" in failure and is_gsm7(failure)
    assert count(got, RECEIVED) == 0
    # the way told works: dial, option 3, the reference, "Payer maintenant"
    phone.dial()
    phone.press("3")
    status = phone.press(ref[3:].replace("-", ""))
    assert "2 Payer maintenant" in status
    phone.press("2", "1", "1")
    phone.choose("1")
    settle(live, ref, "succeeded")
    wait_for(lambda: count(sms(at_fake, number), RECEIVED))
    drain(live)
    got = sms(at_fake, number)
    assert count(got, FAILED) == 1 and count(got, RECEIVED) == 1, got


def test_sms_payer_for_a_request_filed_elsewhere_is_told_the_outcome(live, at_fake):
    """A request filed on the portal's website, paid by SMS: its news must find the payer."""
    from tests.test_webchat_identity import file_request

    number = "+2290197005004"
    ref = file_request({"url": sandbox_url(live)}, number)
    from tests.test_sms_channel import Texter

    fake, _url = at_fake
    texter = Texter(live.test_client(), fake, number)
    assert "Quel numéro MTN MoMo" in texter.text(f"PAYER {ref} MTN")
    assert "Payer 1 900 F CFA" in texter.text("1")  # own number
    assert "code secret" in texter.text("1")  # confirm
    settle(live, ref, "succeeded")
    wait_for(lambda: count(sms(at_fake, number), RECEIVED), timeout=10)
    drain(live)
    assert count(sms(at_fake, number), RECEIVED) == 1, sms(at_fake, number)


# -- the door: redelivered, forged, unknown -----------------------------------------------------


def test_redelivered_forged_and_unknown_events(live, at_fake):
    number = "+2290197005005"
    _phone, ref = ussd_file_and_pay(live, at_fake, number)
    payment_id = settle(live, ref, "succeeded")
    wait_for(lambda: count(sms(at_fake, number), RECEIVED))
    drain(live)
    before = len(sms(at_fake, number))
    # the portal's event again, and a second event (another id) saying the same
    again = {"id": f"t-{uuid.uuid4().hex}", "type": "payment.succeeded", "reference": ref,
             "payment_id": payment_id, "status": "succeeded", "at": "2026-11-30T10:00:00Z"}
    assert post_event(live, again).status_code == 202
    assert post_event(live, again).status_code == 200
    other = {**again, "id": f"t-{uuid.uuid4().hex}", "payment_id": "PAY-ANOTHER"}
    assert post_event(live, other).status_code == 202
    late_failure = {**again, "id": f"t-{uuid.uuid4().hex}", "type": "payment.failed"}
    assert post_event(live, late_failure).status_code == 202
    forged = {**again, "id": f"t-{uuid.uuid4().hex}", "type": "payment.failed",
              "payment_id": "PAY-FORGED"}
    assert post_event(live, forged, header="sha256=" + "0" * 64).status_code == 403
    assert post_event(live, forged, secret="not-the-secret").status_code == 403
    unknown = {**again, "id": f"t-{uuid.uuid4().hex}", "reference": "SP-2026-999999"}
    assert post_event(live, unknown).status_code in (200, 202)
    drain(live)
    assert len(sms(at_fake, number)) == before, sms(at_fake, number)[before:]
    # a status change redelivered is told once
    move(live, ref, "in_progress")
    moved = {"id": f"t-{uuid.uuid4().hex}", "type": "request.status_changed",
             "reference": ref, "status": "in_progress", "at": "2026-11-30T10:00:00Z"}
    for _ in range(2):
        post_event(live, moved)
    drain(live)
    assert count(sms(at_fake, number), re.compile("en cours de traitement")) == 1


# -- WhatsApp and the web chat -------------------------------------------------------------------


def whatsapp_file_and_pay(user: WhatsAppUser) -> str:
    user.say("bonjour")
    user.tap("eservices")
    user.tap("proc:casier-judiciaire")
    for _ in range(12):
        last = user.shown[-1]
        ids = [i for i, _t in choices_of(last)]
        if "confirm" in ids:
            break
        real = [i for i in ids if not i.startswith("nav:")]
        if real:
            user.tap(real[0])
            continue
        text = body_of(last).lower()
        user.say("1234567890" if "npi" in text else "25/12/1990" if "date" in text
                 else "Cotonou" if "lieu" in text else "Dossou")
    user.tap("confirm")
    for choice in ("pay", "op:mtn", "self"):
        user.tap(choice)
    done = user.tap("confirm")
    said = body_of(done[-1])
    assert "jamais" in said and "SMS" not in said, said  # the outcome comes here
    receipt = wait_for(lambda: [body_of(m) for m in user.fake.messages_to(user.wa_id)
                                if m["type"] == "text" and REFERENCE.search(body_of(m))])
    return REFERENCE.search(receipt[0]).group(0)


def test_whatsapp_pays_with_buttons_and_is_told_on_whatsapp_then_by_template(
        live, graph, at_fake):
    user = WhatsAppUser(live, graph, wa_id="2290197005006")
    ref = whatsapp_file_and_pay(user)
    settle(live, ref, "succeeded")
    wait_for(lambda: [m for m in graph.messages_to(user.wa_id)
                      if m["type"] == "text" and RECEIVED.search(body_of(m))])
    window.closed(rt_of(live).store, user.wa_id)  # 24 hours later
    move(live, ref, "ready")
    wait_for(lambda: [m for m in graph.messages_to(user.wa_id) if m["type"] == "template"])
    drain(live)
    sent = graph.messages_to(user.wa_id)
    told = [m for m in sent if m["type"] == "text" and RECEIVED.search(body_of(m))]
    templates = [m for m in sent if m["type"] == "template"]
    assert len(told) == 1 and len(templates) == 1
    params = [p["text"] for p in templates[0]["template"]["components"][0]["parameters"]]
    assert params[0] == ref and READY.search(params[1])
    assert sms(at_fake, f"+{user.wa_id}") == []  # nothing by SMS
    assert graph.rejected == []


def test_web_chat_pays_and_the_news_comes_into_the_open_chat(live, at_fake):
    from tests.test_webchat_identity import file_request

    fake, _url = at_fake
    owner = "+2290197005007"
    ref = file_request({"url": sandbox_url(live)}, owner)
    visitor = Visitor(live.test_client())
    prove(visitor, fake, owner)
    visitor.send(choice=f"ref:{ref}")
    visitor.send(choice="pay")
    visitor.send(choice="op:mtn")
    visitor.send(choice="self")
    done = visitor.send(choice="confirm")
    assert "ici" in plain(done["parts"]) and "SMS" not in plain(done["parts"])
    settle(live, ref, "succeeded")
    move(live, ref, "ready")

    def told() -> str | None:
        text = json.dumps(visitor.history(), ensure_ascii=False)
        return text if RECEIVED.search(text) and READY.search(text) else None

    history = wait_for(told, timeout=10)
    assert len(RECEIVED.findall(history)) == 1 and len(READY.findall(history)) == 1
    time.sleep(0.2)
    drain(live)
    assert count(sms(at_fake, owner), RECEIVED) == 0  # the chat was open: told there


def test_a_reset_sandbox_never_reuses_an_event_id(tmp_path):
    """The sandbox's file reset while Guichet's is kept (a demo started afresh): its events
    must not be taken for the ones Guichet already had, or no news would ever go out."""
    from integrations.portal.sandbox import events
    from integrations.portal.sandbox.store import RequestStore

    def first_id(path: str) -> str:
        store = RequestStore(path)
        with store.write() as db:
            told = events.append(db, "payment.succeeded", "SP-2026-000001", "now")
        return str(told["id"])

    before = first_id(str(tmp_path / "a.db"))
    again = first_id(str(tmp_path / "b.db"))
    assert before != again and events.cursor_of(before) == events.cursor_of(again) == 1
