"""Every SMS Guichet sends fits SMS_MAX_SEGMENTS; the rest waits behind PLUS.

Answers were already cut; the procedure sheet sent from a USSD screen ("Recevoir par SMS") and
the receipt of a submission were not.  Played end to end: USSD in, Africa's Talking fake out,
``PLUS`` texted back through the SMS callback.
"""

from __future__ import annotations

import itertools

import pytest

from channels.gsm7 import segments
from tests.conftest import wait_for
from tests.ussd_phone import Phone, fill_casier_form

HINT = "PLUS pour la suite"
_ids = itertools.count(1)


@pytest.fixture(params=[1, 2])
def setup(request, make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   SMS_MAX_SEGMENTS=str(request.param))
    return app, fake, request.param


def _read_all(app, fake, number: str, first: str, limit: int) -> list[str]:
    """The first SMS and every part ``PLUS`` brings, each checked against the limit."""
    parts = [first]
    while parts[-1].rstrip().endswith(HINT) and len(parts) < 10:
        seen = len(fake.messages_to(number))
        app.test_client().post("/sms/inbound", data={"from": number, "to": "1350",
                                                     "text": "PLUS", "id": f"seg-{next(_ids)}"})
        parts.append(wait_for(lambda seen=seen: fake.messages_to(number)[seen:] or None,
                              timeout=10)[0])
    assert all(segments(part) <= limit for part in parts), [segments(p) for p in parts]
    return parts


def _pick(phone: Phone, label: str) -> str:
    """Press the number shown before ``label``, paging with 98 until it is on screen."""
    for _ in range(6):
        line = next((line for line in phone.screen.split("\n") if label in line), None)
        if line is not None:
            return phone.press(line.split()[0])
        phone.press("98")
    raise AssertionError(phone.screen)


def test_the_sheet_sent_from_a_ussd_screen_fits_the_segments(setup):
    app, fake, limit = setup
    phone = Phone(app.test_client(), number="+2290197000900")
    phone.dial()
    phone.press("1", "1")  # French, procedures
    _pick(phone, "Identit")
    _pick(phone, "Passeport")
    _pick(phone, "Recevoir par SMS")  # three segments of sheet
    assert phone.ended
    first = wait_for(lambda: fake.messages_to(phone.number), timeout=10)[0]
    assert segments(first) <= limit and first.rstrip().endswith(HINT)
    whole = "\n".join(_read_all(app, fake, phone.number, first, limit))
    assert "30 000 F CFA" in whole and "Où" in whole  # nothing lost behind PLUS


def test_the_receipt_fits_the_segments_and_keeps_the_reference_first(setup):
    app, fake, limit = setup
    phone = Phone(app.test_client(), number="+2290197000901")
    fill_casier_form(phone)
    phone.choose("1")  # "1 Confirmer", on the review page that shows it
    first = wait_for(lambda: fake.messages_to(phone.number), timeout=10)[0]
    assert segments(first) <= limit and "SP-20" in first
    whole = "\n".join(_read_all(app, fake, phone.number, first, limit))
    assert "Suivi" in whole  # how to track, kept behind PLUS when it does not fit
