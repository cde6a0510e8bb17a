"""The portal's news reaches the citizen: signed events, once, on their channel, in their
language, not at night, not after STOP; WhatsApp templates once the window has closed; the
web chat; the polling fallback when events stop.  Real app, sandbox portal, fake providers."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
import requests
import sqlalchemy as sa

from channels.config import ConfigError, Settings
from channels.gsm7 import is_gsm7
from channels.outbox import outbound
from channels.portal_events import polling
from channels.portal_events.signature import sign
from channels.whatsapp import window
from dialogs.news.quiet import QuietHours
from dialogs.news.records import NewsRecords, portal_events
from tests.conftest import ADMIN_KEY, wait_for
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.serving import serve
from tests.portal_fixtures import CASIER_ANSWERS

SECRET = "portal-events-test-secret"
USSD_PHONE = "+2290197000011"
WA_ID = "2290197000022"


@pytest.fixture
def graph():
    fake = FakeGraphApi()
    url, server = serve(fake.app())
    fake.url = url + "/v21.0"  # type: ignore[attr-defined]  # the Graph API's versioned base
    yield fake
    server.shutdown()


@pytest.fixture
def news_app(make_app, at_fake, graph):
    fake, url = at_fake
    return make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                    WHATSAPP_TOKEN=graph.token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                    WHATSAPP_API_URL=graph.url, PORTAL_WEBHOOK_SECRET=SECRET,
                    QUIET_HOURS="off", PORTAL_POLL_SECONDS="0")


def rt_of(app):
    return app.extensions["guichet"]


def file_request(app, *, channel: str, user: str, lang: str, also: str | None = None) -> str:
    """A request filed on the sandbox portal and followed, as a submission does."""
    rt = rt_of(app)
    ref = rt.portal.submit("casier-judiciaire", CASIER_ANSWERS, user if user[0] == "+" else
                           "+2290197000099", lang, idempotency_key=uuid.uuid4().hex,
                           timeout=10).reference
    rt.news.follow(reference=ref, channel=channel, user=user, also=also, lang=lang)
    return ref


def move(sandbox, ref: str, status: str, note: dict | None = None) -> None:
    response = requests.post(f"{sandbox['url']}/api/v1/admin/requests/{ref}/status",
                             json={"status": status, "note": note or {}},
                             headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    assert response.status_code == 200, response.text


def post(app, event: dict, secret: str | None = SECRET, header: str | None = None):
    body = json.dumps(event).encode()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Portal-Signature"] = header
    elif secret:
        headers["X-Portal-Signature"] = sign(secret, body)
    return app.test_client().post("/portal/events", data=body, headers=headers)


def event(kind: str, ref: str, **extra) -> dict:
    return {"id": uuid.uuid4().hex, "type": kind, "reference": ref,
            "at": "2026-11-30T10:00:00+01:00", **extra}


def drain(app) -> None:
    assert rt_of(app).queue.drain(10)


def sms_to(at_fake, phone: str) -> list[str]:
    fake, _url = at_fake
    return [d["message"] for d in fake.delivered if d["to"] == phone]


def events_recorded(app) -> int:
    with rt_of(app).messages.engine.connect() as db:
        return db.execute(sa.select(sa.func.count()).select_from(portal_events)).scalar_one()


# -- the door ----------------------------------------------------------------------------------


def test_a_missing_or_bad_signature_is_refused_and_nothing_is_recorded_or_sent(
        news_app, at_fake, sandbox):
    ref = file_request(news_app, channel="ussd", user=USSD_PHONE, lang="fr")
    paid = event("payment.succeeded", ref, payment_id="pay-1")
    assert post(news_app, paid, secret=None).status_code == 401
    assert post(news_app, paid, header="sha256=" + "0" * 64).status_code == 403
    assert post(news_app, paid, secret="another-secret-entirely").status_code == 403
    assert post(news_app, paid, header="md5=abc").status_code == 403
    drain(news_app)
    assert events_recorded(news_app) == 0 and sms_to(at_fake, USSD_PHONE) == []
    # a body changed after signing is refused too
    body = json.dumps(paid).encode()
    forged = body.replace(b"pay-1", b"pay-2")
    response = news_app.test_client().post(
        "/portal/events", data=forged, headers={"X-Portal-Signature": sign(SECRET, body),
                                                "Content-Type": "application/json"})
    assert response.status_code == 403


def test_bad_events_are_a_4xx_never_a_5xx(news_app):
    client = news_app.test_client()
    for body in (b"{oops", b"[]", b'"x"', json.dumps({"id": "e1"}).encode(),
                 json.dumps({"id": "e1", "type": "nope", "reference": "SP-2026-000001"}).encode(),
                 json.dumps({"id": "", "type": "payment.failed", "reference": "x"}).encode(),
                 json.dumps({"id": "e1", "type": "payment.failed", "reference": 5}).encode(),
                 json.dumps({"id": "e1", "type": "payment.failed", "reference": "SP-1",
                             "status": ["x"]}).encode()):
        response = client.post("/portal/events", data=body,
                               headers={"X-Portal-Signature": sign(SECRET, body)})
        assert response.status_code in (400, 422), (body, response.status_code)
    assert events_recorded(news_app) == 0


def test_without_a_secret_posted_events_are_not_believed(make_app):
    app = make_app(PORTAL_POLL_SECONDS="0")
    assert post(app, event("payment.failed", "SP-2026-000001")).status_code == 403


def test_production_refuses_to_start_without_the_secret():
    env = {"GUICHET_ENV": "production", "SECRET_KEY": "k" * 40}
    with pytest.raises(ConfigError, match="PORTAL_WEBHOOK_SECRET"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "PORTAL_WEBHOOK_SECRET": SECRET}).portal_webhook_secret


# -- USSD and SMS citizens ---------------------------------------------------------------------


def test_ussd_citizen_is_told_payment_received_then_ready_by_sms_once_each(
        news_app, at_fake, sandbox):
    ref = file_request(news_app, channel="ussd", user=USSD_PHONE, lang="fr")
    paid = event("payment.succeeded", ref, payment_id="pay-1")
    assert post(news_app, paid).status_code == 202
    assert post(news_app, paid).status_code == 200  # redelivered: acted on once
    drain(news_app)
    move(sandbox, ref, "ready", {"fr": "Tribunal de Cotonou, guichet 3"})
    changed = event("request.status_changed", ref, status="ready")
    for _ in range(3):
        post(news_app, changed)
    # another event id saying the same: the citizen was already told
    post(news_app, event("request.status_changed", ref, status="ready"))
    drain(news_app)
    texts = sms_to(at_fake, USSD_PHONE)
    assert len(texts) == 2, texts
    assert texts[0].startswith(f"{ref} : paiement recu")  # GSM-7 has no lowercase ç
    assert texts[1].startswith(ref) and "est prete" in texts[1]
    assert "Tribunal de Cotonou" in texts[1]
    assert all(is_gsm7(t) and len(t) <= 3 * 153 for t in texts)


@pytest.mark.parametrize("lang, channel, words", [
    ("fr", "sms", ["n'a pas abouti", "solde insuffisant", "PAYER"]),
    ("en", "sms", ["did not go through", "insufficient balance", "PAYER"]),
    ("en", "ussd", ["did not go through", "*202#"]),
    ("yo", "sms", ["PAYER"]),
    ("fon", "ussd", ["*202#"]),
])
def test_a_failed_payment_says_why_and_how_to_retry_in_the_citizens_language(
        news_app, at_fake, lang, channel, words):
    phone = f"+22901970001{len(lang)}{len(channel)}"
    ref = file_request(news_app, channel=channel, user=phone, lang=lang)
    post(news_app, event("payment.failed", ref, payment_id="p1", reason="insufficient_funds"))
    drain(news_app)
    (text,) = sms_to(at_fake, phone)
    assert text.startswith(ref) and is_gsm7(text)
    for word in words:
        assert word in text, text
    if lang != "fr":
        assert "n'a pas abouti" not in text


def test_rejected_says_why_and_what_to_do_in_english(news_app, at_fake, sandbox):
    ref = file_request(news_app, channel="sms", user=USSD_PHONE, lang="en")
    move(sandbox, ref, "rejected", {"fr": "NPI introuvable", "en": "NPI not found"})
    post(news_app, event("request.status_changed", ref, status="rejected"))
    drain(news_app)
    (text,) = sms_to(at_fake, USSD_PHONE)
    assert "NPI not found" in text and "135" in text and "*202#" in text


def test_ready_online_gives_the_documents_link(news_app, at_fake, sandbox):
    ref = file_request(news_app, channel="sms", user=USSD_PHONE, lang="fr")
    move(sandbox, ref, "ready", {"fr": "https://service-public.bj/docs/abc123"})
    post(news_app, event("request.status_changed", ref, status="ready"))
    drain(news_app)
    (text,) = sms_to(at_fake, USSD_PHONE)
    assert "https://service-public.bj/docs/abc123" in text


def test_stop_is_honoured(news_app, at_fake):
    ref = file_request(news_app, channel="sms", user=USSD_PHONE, lang="fr")
    rt_of(news_app).inbox.opt_out(USSD_PHONE)
    post(news_app, event("payment.succeeded", ref, payment_id="p1"))
    drain(news_app)
    assert sms_to(at_fake, USSD_PHONE) == []
    with rt_of(news_app).messages.engine.connect() as db:
        (status,) = db.execute(sa.select(outbound.c.status)
                               .where(outbound.c.recipient == USSD_PHONE)).one()
    assert status == "opted_out"


def test_news_at_night_is_held_until_the_quiet_hours_end(make_app, at_fake, sandbox):
    zone = ZoneInfo("Africa/Porto-Novo")
    now = dt.datetime.now(zone)
    start, end = now - dt.timedelta(minutes=1), now + dt.timedelta(seconds=8)
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   PORTAL_WEBHOOK_SECRET=SECRET, PORTAL_POLL_SECONDS="0",
                   QUIET_HOURS=f"{start:%H:%M:%S}-{end:%H:%M:%S}")
    ref = file_request(app, channel="ussd", user=USSD_PHONE, lang="fr")
    move(sandbox, ref, "in_progress")
    post(app, event("request.status_changed", ref, status="in_progress"))
    drain(app)
    assert sms_to(at_fake, USSD_PHONE) == []  # held, not sent at night
    # a payment's outcome answers what the citizen just did: it goes at once, even at night
    post(app, event("payment.succeeded", ref, payment_id="p1"))
    drain(app)
    (paid,) = sms_to(at_fake, USSD_PHONE)
    assert "paiement recu" in paid
    wait_for(lambda: len(sms_to(at_fake, USSD_PHONE)) == 2, timeout=15)
    time.sleep(0.3)
    assert len(sms_to(at_fake, USSD_PHONE)) == 2


def test_quiet_hours_across_midnight():
    quiet = QuietHours.parse("21:00-07:00")
    assert quiet is not None
    zone = ZoneInfo("Africa/Porto-Novo")
    at = dt.datetime(2026, 11, 30, 23, 0, tzinfo=zone)
    assert quiet.hold_for(at) == 8 * 3600
    assert quiet.hold_for(at.replace(hour=6, minute=30)) == 1800
    assert quiet.hold_for(at.replace(hour=12)) == 0
    assert QuietHours.parse("off") is None
    with pytest.raises(ConfigError, match="QUIET_HOURS"):
        Settings.from_env({"QUIET_HOURS": "9pm-7am"})


# -- WhatsApp ----------------------------------------------------------------------------------


def test_whatsapp_news_in_the_window_is_text_and_after_it_a_template(news_app, graph, sandbox):
    rt = rt_of(news_app)
    user = f"+{WA_ID}"
    ref = file_request(news_app, channel="whatsapp", user=user, lang="en")
    window.opened(rt.store, WA_ID, time.time())
    post(news_app, event("payment.succeeded", ref, payment_id="p1"))
    drain(news_app)
    (first,) = graph.messages_to(WA_ID)
    assert first["type"] == "text" and "payment received" in first["text"]["body"]
    window.closed(rt.store, WA_ID)
    move(sandbox, ref, "ready", {"fr": "Tribunal de Cotonou", "en": "Cotonou court"})
    post(news_app, event("request.status_changed", ref, status="ready"))
    drain(news_app)
    second = graph.messages_to(WA_ID)[1]
    assert second["type"] == "template"
    template = second["template"]
    assert template["name"] == "guichet_news" and template["language"] == {"code": "en"}
    params = [p["text"] for p in template["components"][0]["parameters"]]
    assert params[0] == ref and "Cotonou court" in params[1]
    assert graph.rejected == []


def test_a_refused_template_is_visible_and_not_retried(news_app, graph):
    rt = rt_of(news_app)
    graph.templates.clear()  # the operator's template is not approved (yet)
    ref = file_request(news_app, channel="whatsapp", user=f"+{WA_ID}", lang="fr")
    post(news_app, event("payment.succeeded", ref, payment_id="p1"))
    drain(news_app)
    assert graph.calls == 1 and graph.delivered == []
    with rt.messages.engine.connect() as db:
        row = db.execute(sa.select(outbound.c.status, outbound.c.error)
                         .where(outbound.c.channel == "whatsapp")).one()
    assert row.status == "dead" and row.error.startswith("template refused: 132001")
    from channels.metrics import exposition
    assert b'guichet_whatsapp_template_refusals_total{code="132001"} 1.0' in exposition()[0]


def test_a_whatsapp_receipt_goes_on_whatsapp(news_app, graph):
    from channels.tasks import submit_request

    rt = rt_of(news_app)
    window.opened(rt.store, WA_ID, time.time())
    with news_app.app_context():
        ref = submit_request(user=f"+{WA_ID}", lang="fr", slug="casier-judiciaire",
                             answers=CASIER_ANSWERS, key="wa-receipt", channel="whatsapp")
    drain(news_app)
    (receipt,) = graph.messages_to(WA_ID)
    assert ref and ref in receipt["text"]["body"]
    assert rt.news.records.get(ref).channel == "whatsapp"


# -- web chat ----------------------------------------------------------------------------------


def test_web_chat_news_is_pushed_into_the_open_chat_and_its_history(news_app):
    client = news_app.test_client()
    opened = client.post("/webchat/sessions", json={})
    sid, token = opened.json["id"], opened.json["token"]
    ref = file_request(news_app, channel="webchat", user=f"web:{sid}", lang="fr")
    post(news_app, event("payment.succeeded", ref, payment_id="p1"))
    drain(news_app)
    history = client.get(f"/webchat/sessions/{sid}/history",
                         headers={"Authorization": f"Bearer {token}"}).json
    texts = json.dumps(history, ensure_ascii=False)
    assert f"{ref} : paiement reçu" in texts


# -- exactly once, under races ------------------------------------------------------------------


def test_concurrent_deliveries_of_one_event_are_acted_on_once(engine):
    records = NewsRecords(engine)
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        wins.append(records.first_delivery("evt-race", "payment.succeeded", "SP-2026-000001"))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    records.follow(reference="SP-2026-000001", channel="sms", address=USSD_PHONE,
                   phone=USSD_PHONE, lang="fr")
    told: list[object] = []
    barrier2 = threading.Barrier(6)

    def claim() -> None:
        barrier2.wait()
        told.append(records.claim_status("SP-2026-000001", "ready"))

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert told.count(False) == 5


# -- when events stop ---------------------------------------------------------------------------


def test_polling_finds_what_the_events_did_not_say_a_page_at_a_time(make_app, at_fake, sandbox):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   PORTAL_WEBHOOK_SECRET=SECRET, QUIET_HOURS="off", PORTAL_POLL_SECONDS="0",
                   PORTAL_POLL_BATCH="2")
    rt = rt_of(app)
    phones = [f"+22901970003{i}" for i in range(3)]
    refs = [file_request(app, channel="sms", user=p, lang="fr") for p in phones]
    for ref in refs:
        move(sandbox, ref, "in_progress")
    with app.app_context():
        assert polling.round_(rt, force=True) == 2  # the first page
        (kept,) = rt.store.get_many([polling.CURSOR])
        assert kept["after"] > 0
        assert polling.round_(rt, force=True) == 1  # the rest, then back to the start
        assert polling.round_(rt, force=True) == 0
    drain(app)
    for phone, ref in zip(phones, refs, strict=True):
        (text,) = sms_to(at_fake, phone)
        assert text.startswith(ref) and "en cours" in text
    # an event for the same change tells nothing more
    post(app, event("request.status_changed", refs[0], status="in_progress"))
    drain(app)
    assert len(sms_to(at_fake, phones[0])) == 1


def test_no_polling_while_events_are_heard(make_app, at_fake, sandbox):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   PORTAL_WEBHOOK_SECRET=SECRET, QUIET_HOURS="off", PORTAL_POLL_SECONDS="1")
    rt = rt_of(app)
    ref = file_request(app, channel="sms", user=USSD_PHONE, lang="fr")
    post(app, event("payment.succeeded", ref, payment_id="p1"))
    move(sandbox, ref, "in_progress")
    with app.app_context():
        assert polling.round_(rt) == 0  # an event was just heard


# -- the console: an agent's reply to a citizen who has gone quiet ------------------------------


def test_the_console_offers_the_template_to_reopen_a_closed_whatsapp_window(news_app, graph):
    from dialogs.handoff import Exchange
    from tests.test_agent_console import PASSWORD, console

    rt = rt_of(news_app)
    desk = rt.desk
    desk.accounts.add(login="awa", password=PASSWORD, role="agent", languages="fr,en",
                      display_name="Awa")
    user, session = f"+{WA_ID}", f"wa:{WA_ID}"
    desk.record(Exchange("whatsapp", session, user, "in", "je veux un agent", "fr",
                         intent="human_handoff"))
    desk.enqueue(channel="whatsapp", session=session, user=user, lang="fr", reason="asked",
                 topic=None)
    awa = console(news_app, "awa")
    (conv,) = desk.queue(desk.accounts.by_login("awa"), "waiting")
    assert awa.post(f"/agent/c/{conv.id}/take").status_code == 200
    page = awa.get(f"/agent/c/{conv.id}")
    assert "Envoyer le modèle pour rouvrir" in page.text  # never wrote: no window
    answer = awa.post(f"/agent/c/{conv.id}/reopen")
    assert answer.status_code == 200 and answer.json["status"] == "queued_template"
    drain(news_app)
    sent = wait_for(lambda: graph.messages_to(WA_ID))
    assert sent[-1]["type"] == "template"
    assert sent[-1]["template"]["name"] == "guichet_reopen"
    window.opened(rt.store, WA_ID, time.time())  # the citizen answered
    assert "Envoyer le modèle pour rouvrir" not in awa.get(f"/agent/c/{conv.id}").text


def test_followed_numbers_are_purged_after_their_retention(engine):
    from channels import retention
    from dialogs.news.records import followed_requests

    records = NewsRecords(engine)
    for ref in ("SP-2026-000001", "SP-2026-000002", "SP-2026-000003"):
        records.follow(reference=ref, channel="sms", address=USSD_PHONE, phone=USSD_PHONE,
                       lang="fr")
    records.claim_status("SP-2026-000001", "ready")  # told, closed
    records.claim_status("SP-2026-000002", "in_progress")  # still open
    records.first_delivery("evt-1", "payment.succeeded", "SP-2026-000001")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=41)
    counts = retention.purge(Settings.from_env({"RETENTION_OUTBOUND_DAYS": "40"}), engine,
                             now=later)
    assert counts["followed_requests"] == 1 and counts["portal_events"] == 1
    with engine.connect() as db:
        kept = sorted(db.execute(sa.select(followed_requests.c.reference)).scalars())
    assert kept == ["SP-2026-000002", "SP-2026-000003"]


def test_odd_signature_headers_are_refused_not_crashed(news_app):
    body = json.dumps(event("payment.failed", "SP-2026-000001")).encode()
    client = news_app.test_client()
    for header in ("sha256=é" + "0" * 63, "sha256=", "sha256", " ", "sha256=" + "0" * 10000):
        response = client.post("/portal/events", data=body,
                               headers={"X-Portal-Signature": header.encode().decode("latin-1")})
        assert response.status_code in (401, 403), header
    assert events_recorded(news_app) == 0


# -- end to end: filed on USSD, told by SMS ----------------------------------------------------


def test_a_request_filed_on_ussd_is_followed_and_its_news_reaches_the_phone(
        news_app, at_fake, sandbox):
    import re

    from tests.ussd_phone import Phone, fill_casier_form

    phone = Phone(news_app.test_client(), number="+2290197000055")
    fill_casier_form(phone)
    phone.choose("1")  # Confirmer
    receipt = wait_for(lambda: sms_to(at_fake, phone.number))
    ref = re.search(r"SP-\d{4}-\d{6}", receipt[0]).group(0)
    followed = rt_of(news_app).news.records.get(ref)
    assert (followed.channel, followed.address, followed.lang) == ("ussd", phone.number, "fr")
    post(news_app, event("payment.succeeded", ref, payment_id="pay-9"))
    drain(news_app)
    move(sandbox, ref, "ready", {"fr": "Tribunal de Cotonou"})
    post(news_app, event("request.status_changed", ref, status="ready"))
    drain(news_app)
    texts = sms_to(at_fake, phone.number)
    assert len(texts) == 3 and "paiement recu" in texts[1] and "est prete" in texts[2]


def test_rq_keeps_held_news_in_redis_until_it_is_due(redis_url):
    from rq.registry import ScheduledJobRegistry

    from channels.portal_events.tasks import send_held
    from channels.queue import RQQueue, enqueue_in

    queue = RQQueue(redis_url)
    message = {"channel": "sms", "user": USSD_PHONE, "text": "x", "lang": "fr", "key": "k"}
    enqueue_in(queue, 3600, send_held, message=message)
    registry = ScheduledJobRegistry(queue=queue.queue)
    (job_id,) = registry.get_job_ids()
    job = queue.queue.fetch_job(job_id)
    assert job.kwargs == {"message": message} and queue.queue.count == 0
    assert 3500 < registry.get_scheduled_time(job_id).timestamp() - time.time() < 3700
