"""The USSD journey of issue 2, played as Africa's Talking's gateway and a citizen's phone."""

from __future__ import annotations

import re

import requests

from tests.conftest import ADMIN_KEY, wait_for

REFERENCE = re.compile(r"SP-\d{4}-\d{6}")


def test_first_dial_offers_languages_then_french_home(phone):
    screen = phone.dial()
    assert "1 Francais" in screen and "2 English" in screen  # ç is not GSM-7
    screen = phone.press("1")
    assert "Démarches et couts" in screen and "Suivre une demande" in screen


def test_criminal_record_cost_request_sms_and_tracking(phone, app, at_fake):
    fake, _url = at_fake
    phone.dial()
    phone.press("1", "1")  # French, procedures and costs
    screen = phone.press("1")  # Justice
    assert "Casier judiciaire" in screen
    sheet = phone.press("1")
    assert "1 900 F CFA" in sheet and "72 heures" in sheet and "3 mois" in sheet
    screen = phone.press("98")
    assert "Recevoir par SMS" in screen
    form = phone.press("2")  # Faire la demande
    assert form.startswith("Étape 1/6: Votre NPI (10 chiffres)")
    answers = {"npi": "1234567890", "date": "25121990", "choice": "1"}
    for _ in range(10):
        if "Vérifiez" in phone.screen or phone.ended:
            break
        screen = phone.screen.lower()
        if "npi" in screen:
            phone.press(answers["npi"])
        elif "date" in screen:
            phone.press(answers["date"])
        elif "\n1 " in phone.screen:
            phone.press(answers["choice"])
        else:
            phone.press("Kouassi")
    assert "Vérifiez" in phone.screen
    done = phone.choose("1")  # "1 Confirmer", on the review's last page, next to the fee
    assert "SMS" in done and "1 Payer maintenant" in done  # the fee can be paid right away
    phone.press("2")  # Plus tard
    assert phone.ended

    sms = wait_for(lambda: fake.messages_to(phone.number))
    reference = REFERENCE.search(sms[0]).group(0)
    assert "1 900 F CFA" in sms[0] and f"PAYER {reference}" in sms[0]

    phone.dial()
    phone.press("3")
    status = phone.press(reference[3:].replace("-", ""))
    assert reference in status and "Statut : recue" in status  # ç is not GSM-7


def test_sheet_of_unknown_cost_says_to_be_confirmed(phone):
    phone.dial()
    phone.press("1", "1", "3")  # French, procedures, civil status
    screen = phone.screen
    number = next(line.split()[0] for line in screen.split("\n") if "naissance" in line)
    sheet = phone.press(number)
    assert "à confirmer" in sheet
    assert "F CFA" not in sheet.split("Délai")[0]


def test_every_catalogue_screen_fits_160_gsm7_in_both_languages(phone):
    for lang in ("1", "2"):
        phone.number = f"+22901970000{lang}9"
        phone.dial()
        phone.press(lang, "1")
        categories = [line.split()[0] for line in phone.screen.split("\n") if line[:1].isdigit()
                      and not line.startswith("0")]
        assert len(categories) == 7
        for cat in categories:
            phone.dial()
            phone.press("1", cat)
            procs = [line.split()[0] for line in phone.screen.split("\n")
                     if line[:1].isdigit() and not line.startswith("0")]
            for proc in procs:
                phone.dial()
                phone.press("1", cat, proc)
                while "98 " in phone.screen:  # read every page
                    phone.press("98")


def test_back_home_and_paging(phone):
    phone.dial()
    phone.press("1", "1", "1", "1")
    assert "98 Suite" in phone.screen
    phone.press("98")
    assert "Recevoir par SMS" in phone.screen
    phone.press("0")  # previous page
    assert "1 900 F CFA" in phone.screen
    phone.press("0")  # back to the list of the category
    assert "Casier judiciaire" in phone.screen and "Justice" in phone.screen
    phone.press("00")
    assert "Suivre une demande" in phone.screen


def test_junk_input_re_prompts_the_same_menu(phone):
    phone.dial()
    phone.press("1")
    for junk in ("abc", "9" * 300, "😀", "*#", "", "7"):
        screen = phone.press(junk)
        assert not phone.ended
        assert "invalide" in screen.lower()
        assert "Suivre une demande" in screen


def test_star_typed_by_the_user_does_not_shift_the_menu(phone):
    phone.dial()
    phone.press("1", "3")  # track a request
    screen = phone.press("12*34")
    assert "Référence invalide" in screen
    screen = phone.press("2026*12")  # a * inside a reference is read as a separator
    assert "SP-2026-000012" in screen
    screen = phone.press("0")
    assert "Suivre une demande" in screen


def test_shortcut_in_service_code_and_in_first_text(phone):
    screen = phone.dial(code="*202*3#")
    assert screen.startswith("Entrez la référence de la demande")
    screen = phone.dial(first_text="1")
    assert "Démarches par thème" in screen


def test_repeated_hop_answers_the_same_screen_without_moving(phone):
    phone.dial()
    phone.press("1", "1")
    first = phone.screen
    assert phone.repeat() == first
    phone.press("1")
    assert "Justice" in phone.screen


def test_bad_form_answer_is_asked_again_with_a_reason(phone):
    phone.dial()
    phone.press("1", "2")  # apply online
    lines = phone.screen.split("\n")
    number = next(line.split()[0] for line in lines if "asier" in line)
    phone.press(number)
    assert "NPI" in phone.screen
    screen = phone.press("12345")
    assert "10 chiffres" in screen and "NPI" in screen
    screen = phone.press("1234567890")
    assert "Étape 2/" in screen or "Etape 2/" in screen


def test_dropped_session_resumes_the_form_within_ten_minutes(phone, app):
    phone.dial()
    phone.press("1", "2")
    number = next(line.split()[0] for line in phone.screen.split("\n") if "asier" in line)
    phone.press(number, "1234567890")
    step2 = phone.screen
    assert "2/" in step2
    screen = phone.dial()  # the network dropped the session; the citizen dials again
    assert "Reprendre votre demande" in screen
    assert phone.press("1") == step2

    manager = app.extensions["guichet"].manager
    real_clock = manager.clock
    manager.clock = lambda: real_clock() + 601
    try:
        screen = phone.dial()
        assert "Reprendre" not in screen and "Suivre une demande" in screen
    finally:
        manager.clock = real_clock


def test_my_requests_lists_what_was_filed_from_this_number(phone, at_fake, sandbox):
    fake, _ = at_fake
    answers = {"npi": "1234567890", "nom": "Kouassi", "prenoms": "Ama",
               "date_naissance": "1990-12-25", "lieu_naissance": "Cotonou", "motif": "emploi"}
    response = requests.post(f"{sandbox['url']}/api/v1/eservices/casier-judiciaire/requests",
                             json={"phone": phone.number, "lang": "fr", "answers": answers},
                             headers={"Idempotency-Key": "k1"}, timeout=5)
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    requests.post(f"{sandbox['url']}/api/v1/admin/requests/{reference}/status",
                  json={"status": "ready"}, headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    phone.dial()
    screen = phone.press("1", "4")
    assert reference[3:] in screen
    screen = phone.press("1")
    assert reference in screen and "prête" in screen.replace("prete", "prête")
    phone.press("1")  # receive it by SMS
    assert phone.ended
    assert wait_for(lambda: fake.messages_to(phone.number))


def test_talk_to_an_agent_on_ussd_leaves_a_callback_the_agents_see(phone, app, at_fake):
    fake, _ = at_fake
    phone.dial()
    screen = phone.press("1", "1", "1", "1", "00", "5")  # after reading the casier sheet
    assert "rappeler" in screen and "1 Sur ce numéro" in screen
    assert "Quand" in phone.press("1")
    done = phone.press("1")  # as soon as possible
    assert phone.ended and "rappellera" in done
    (sms,) = wait_for(lambda: fake.messages_to(phone.number))
    assert "135" in sms and phone.number in sms
    desk = app.extensions["guichet"].desk
    supervisor = desk.accounts.add(login="chef", password="correct horse battery",
                                   role="supervisor", languages="fr")
    (callback,) = desk.callbacks(supervisor)
    assert callback["phone"] == phone.number and callback["topic"] == "casier-judiciaire"


def test_a_callback_can_be_asked_for_another_number(phone, app):
    phone.dial()
    phone.press("1", "5", "2")
    assert "Numéro invalide" in phone.press("123")
    assert "Quand" in phone.press("0197000999")
    assert "rappellera" in phone.press("3")


def test_without_a_desk_the_agent_entry_gives_the_135_line(phone, app):
    app.extensions["guichet"].manager.desk = None  # a deployment with no call-centre console
    phone.dial()
    screen = phone.press("1", "5")
    assert phone.ended and "135" in screen


def test_invalid_request_from_the_gateway_still_gets_end(app):
    client = app.test_client()
    response = client.post("/ussd", data={"sessionId": "", "phoneNumber": "garbage"})
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")
    response = client.post("/ussd", data="not a form", content_type="text/plain")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")


def test_the_journey_works_through_an_x_road_security_server(make_app, sandbox):
    app = make_app(XROAD_CLIENT="BJ/GOV/10000001/GUICHET")
    rt = app.extensions["guichet"]
    assert "/r1/BJ/GOV/SERVICE-PUBLIC/PORTAL/portal" in rt.portal._prefix
    from tests.ussd_phone import Phone

    phone = Phone(app.test_client())
    phone.dial()
    assert "1 900 F CFA" in phone.press("1", "1", "1", "1")


def test_numbers_the_network_vouches_for_are_served_even_if_unusual(app):
    from tests.ussd_phone import Phone

    for number in ("+22997000001", "2290197000002", "+254711082300"):
        phone = Phone(app.test_client(), number=number)
        assert "English" in phone.dial()
        assert "Suivre une demande" in phone.press("1")


def test_a_shortcut_goes_straight_to_its_menu_even_with_a_form_to_resume(phone):
    phone.dial()
    phone.press("1", "2")
    number = next(line.split()[0] for line in phone.screen.split("\n") if "asier" in line)
    phone.press(number, "1234567890")
    screen = phone.dial(code="*202*3#")
    assert "Entrez la référence" in screen
