"""USSD: junk typed before more input re-prompts instead of ending the call, and a session the
store lost (Redis flushed, key expired) starts again at home instead of replaying ``text``."""

from __future__ import annotations

import redis

from tests.conftest import wait_for
from tests.ussd_phone import Phone

REASON = "Choix invalide. Tapez un numéro."
LOST = "Session interrompue. Voici le menu."


def _hop(client, session: str, text: str, code: str = "*202#") -> str:
    response = client.post("/ussd", data={"sessionId": session, "serviceCode": code,
                                          "phoneNumber": "+2290197000001", "text": text})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_junk_then_a_choice_in_one_first_hop_reprompts_the_same_screen(app):
    client = app.test_client()
    body = _hop(client, "junk-in-code", "", code="*202*x*1#")
    assert body.startswith("CON " + REASON) and "1 Démarches" in body
    assert "Démarches par thème" in _hop(client, "junk-in-code", "1", code="*202*x*1#")
    body = _hop(client, "junk-first-text", "x")
    assert body.startswith("CON " + REASON) and "1 Démarches" in body
    # More than one entry on a session we hold nothing for: home, with a word on why.
    body = _hop(client, "junk-then-more", "x*1")
    assert body.startswith("CON " + LOST) and "1 Démarches" in body


def test_junk_then_a_choice_inside_a_session_reprompts_the_same_screen(phone):
    phone.dial()
    phone.press("1", "1")  # French, then the procedures
    assert "Démarches par thème" in phone.screen
    screen = phone.press("x*1")
    assert not phone.ended and screen.startswith(REASON) and "1 Justice" in screen
    assert "Justice" in phone.press("1")


def test_a_shortcut_with_junk_in_the_code_then_a_choice_goes_on(phone):
    screen = phone.dial(code="*202*x#")
    assert not phone.ended and screen.startswith(REASON)
    assert "Démarches par thème" in phone.press("1")


def test_a_session_lost_by_the_store_starts_again_at_home(make_app, redis_url, at_fake):
    fake, url = at_fake
    app = make_app(REDIS_URL=redis_url, AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=url)
    phone = Phone(app.test_client())
    phone.dial()
    phone.press("1", "1", "1", "1")  # French, procedures, Justice, the casier's sheet
    assert "Casier judiciaire" in phone.screen
    redis.Redis.from_url(redis_url).flushall()  # the store loses the live session
    screen = phone.press("2")
    assert not phone.ended, screen
    assert screen.startswith(LOST) and "1 Démarches" in screen and "6 Langue" in screen
    assert "SMS" not in screen
    # The caller goes on from the home screen they were shown.
    assert phone.press("3").startswith("Entrez la référence de la demande")
    phone.press("00")
    assert fake.messages_to(phone.number) == []


def test_a_lost_session_never_files_or_sends_what_the_caller_did_not_choose(make_app, redis_url,
                                                                            at_fake):
    fake, url = at_fake
    app = make_app(REDIS_URL=redis_url, AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=url)
    phone = Phone(app.test_client())
    phone.dial()
    phone.press("1", "1", "1", "1")
    redis.Redis.from_url(redis_url).flushall()
    phone.press("1")  # "1" would have been "Recevoir par SMS" if the old screens were replayed
    assert not phone.ended and phone.screen.startswith(LOST)
    phone.press("5")  # and the next hop is read against the home screen shown
    assert phone.screen.startswith("Un conseiller du 135 peut vous rappeler.")
    try:
        wait_for(lambda: fake.messages_to(phone.number), timeout=1.0)
    except AssertionError:
        pass
    else:
        raise AssertionError("an SMS the caller never chose was sent")


def test_a_first_hop_whose_text_is_one_entry_is_still_a_shortcut(phone):
    assert "Démarches par thème" in phone.dial(first_text="1")
    assert "Entrez la référence" in phone.dial(code="*202*3#")
    assert "Justice" in phone.dial(code="*202*1*1#")
