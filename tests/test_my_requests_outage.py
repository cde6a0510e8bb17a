""""My requests" while the portal is down: say so, never "no request", and offer the list by SMS."""

from __future__ import annotations

from tests.conftest import wait_for
from tests.portal_fixtures import CASIER_ANSWERS
from tests.test_ussd_failures import faults


def test_my_requests_while_the_portal_fails_offers_the_list_by_sms(app, phone, sandbox, at_fake):
    fake, _ = at_fake
    portal = app.extensions["guichet"].portal
    reference = portal.submit("casier-judiciaire", CASIER_ANSWERS, phone.number, "fr",
                              "k-mine-1").reference
    faults(sandbox, fail_status=503)
    phone.dial()
    screen = phone.press("1", "4")  # French, then "Mes demandes"
    assert "Aucune demande" not in screen
    assert "indisponible" in screen and "1 Recevoir par SMS" in screen
    screen = phone.press("1")
    assert phone.ended and "SMS" in screen
    faults(sandbox)
    sms = wait_for(lambda: fake.messages_to(phone.number), timeout=15)
    assert reference in sms[0] and "Casier judiciaire" in sms[0]


def test_my_requests_that_stay_unavailable_end_with_an_apology_by_sms(app, phone, sandbox,
                                                                       at_fake):
    fake, _ = at_fake
    faults(sandbox, fail_status=503)
    phone.dial()
    assert "indisponible" in phone.press("1", "4")
    phone.press("1")
    sms = wait_for(lambda: fake.messages_to(phone.number), timeout=15)
    assert "indisponibles" in sms[0] and "Aucune demande" not in sms[0]


def test_a_wrong_key_on_the_unavailable_screen_shows_it_again(app, phone, sandbox):
    """The screen is shown again as it was (not a crash ending the call, not a portal call)."""
    faults(sandbox, fail_status=503)
    phone.dial()
    first = phone.press("1", "4")
    assert "indisponible" in first
    again = phone.press("7")  # not an option on this screen
    assert not phone.ended
    assert "indisponible" in again and "1 Recevoir par SMS" in again
    assert "Service momentan" not in again
