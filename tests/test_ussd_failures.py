"""Failure and bad input on USSD: a slow or dead portal, a dead Redis, and nothing lost."""

from __future__ import annotations

import time

import requests

from tests.conftest import ADMIN_KEY, free_port, wait_for
from tests.ussd_phone import Phone, fill_casier_form


def faults(sandbox, **settings) -> None:
    response = requests.post(f"{sandbox['url']}/api/v1/admin/faults", json=settings,
                             headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    assert response.status_code == 200, response.text


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def test_dead_portal_still_answers_within_a_second(make_app):
    app = make_app(PORTAL_URL=f"http://127.0.0.1:{free_port()}")
    phone = Phone(app.test_client())
    phone.dial()
    screen, elapsed = timed(lambda: phone.press("1", "1"))
    assert elapsed < 2.0  # two hops
    assert not phone.ended and "indisponible" in screen and "135" in screen
    _, elapsed = timed(lambda: phone.press("1"))  # the circuit is open: fail fast
    assert elapsed < 1.0


def test_slow_portal_serves_the_cached_catalogue_and_sms_the_status_later(app, phone, sandbox,
                                                                          at_fake):
    fake, _ = at_fake
    portal = app.extensions["guichet"].portal
    wait_for(lambda: portal.cache.get() is not None)  # the start-up load has finished
    phone.dial()
    phone.press("1", "1", "1", "1")
    assert "1 900 F CFA" in phone.screen
    faults(sandbox, delay_ms=2500)
    phone.dial()
    screen, elapsed = timed(lambda: phone.press("1", "1", "1"))
    assert elapsed < 1.0 and "1 900 F CFA" in screen

    phone.dial()
    phone.press("3")
    screen, elapsed = timed(lambda: phone.press("2026000001"))
    assert elapsed < 1.0
    assert phone.ended and "SMS" in screen
    faults(sandbox)
    sms = wait_for(lambda: fake.messages_to(phone.number), timeout=10)
    assert "SP-2026-000001" in sms[-1]


def test_submission_while_portal_fails_is_retried_in_background(app, phone, sandbox, at_fake):
    fake, _ = at_fake
    fill_casier_form(phone)
    faults(sandbox, fail_status=503)
    screen, elapsed = timed(lambda: phone.choose("1"))
    assert elapsed < 1.0 and "SMS" in screen and "Payer maintenant" in screen
    time.sleep(0.1)
    assert not fake.messages_to(phone.number)
    faults(sandbox)
    sms = wait_for(lambda: fake.messages_to(phone.number), timeout=10)
    assert "SP-" in sms[0]
    assert len(fake.messages_to(phone.number)) == 1



def test_dead_redis_ends_the_session_with_an_apology(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    started = time.perf_counter()
    response = client.post("/ussd", data={"sessionId": "s1", "serviceCode": "*202#",
                                          "phoneNumber": "+2290197000001", "text": ""})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("END ") and "indisponible" in body


def test_sessions_in_redis_survive_a_change_of_worker(make_app, redis_url):
    first = make_app(REDIS_URL=redis_url)
    second = make_app(REDIS_URL=redis_url)
    phone = Phone(first.test_client())
    phone.dial()
    phone.press("1", "1")
    phone.client = second.test_client()  # the load balancer sends the next hop elsewhere
    assert "Justice" in phone.press("1")
    assert "Casier judiciaire" in phone.screen


def test_a_request_that_never_gets_through_gets_an_apology_and_a_135_callback(app, phone,
                                                                              sandbox, at_fake):
    fake, _ = at_fake
    fill_casier_form(phone)
    faults(sandbox, fail_status=503)
    phone.choose("1")
    sms = wait_for(lambda: fake.messages_to(phone.number), timeout=10)
    assert "135" in sms[0] and "SP-" not in sms[0]
    assert "rappeler" in sms[0]
    desk = app.extensions["guichet"].desk
    chef = desk.accounts.add(login="chef", password="correct horse battery", role="supervisor",
                             languages="fr")
    (callback,) = desk.callbacks(chef)
    assert callback["phone"] == phone.number and callback["topic"] == "casier-judiciaire"
