"""The dialog core, state by state: e-service forms (validation, skip, review, confirm, resume)
and the number a web visitor proves before anything personal."""

from __future__ import annotations

import re

from dialogs.manager import HOME_CHOICES
from tests.unit.conftest import CITIZEN, Talk, ids

CASIER = ["1234567890", "Kouassi", "Ama", "25/12/1990", "Cotonou", "1"]


def _to_review(talk: Talk, answers=CASIER):
    talk(start="eservices")
    reply = talk(choice="proc:casier-judiciaire")
    for answer in answers:
        reply = talk(answer)
    return reply


def test_a_form_asks_field_by_field_and_refuses_a_bad_answer_with_the_reason(build):
    talk = Talk(build())
    listing = talk(start="eservices")
    assert listing.parts == ("Demandes en ligne",)
    assert "proc:casier-judiciaire" in ids(listing) and "proc:passeport" not in ids(listing)
    first = talk(choice="proc:casier-judiciaire")
    assert first.parts == ("Étape 1/6: Votre NPI (10 chiffres)", "Ex. : 1234567890")
    assert first.expects == "text" and first.choices == ()  # required: no skip
    wrong = talk("12")
    assert wrong.error == "Le NPI a 10 chiffres." and wrong.parts == first.parts
    second = talk("1234567890")
    assert second.parts[0] == "Étape 2/6: Nom de famille" and second.error is None
    draft = talk.manager.load("sms", talk.session, CITIZEN).draft
    assert draft is not None and draft["answers"] == {"npi": "1234567890"} and draft["i"] == 1


def test_back_in_a_form_asks_the_previous_field_again(build):
    talk = Talk(build())
    _to_review(talk, CASIER[:2])
    assert talk(choice="nav:back").parts[0] == "Étape 2/6: Nom de famille"
    assert talk(choice="nav:back").parts[0].startswith("Étape 1/6")


def test_a_choice_field_offers_its_options_and_takes_a_number(build):
    talk = Talk(build())
    motif = _to_review(talk, CASIER[:5])
    assert motif.parts[0].startswith("Étape 6/6")
    assert ids(motif) == ["opt:emploi", "opt:concours", "opt:visa", "opt:autre"]
    assert talk("9").error == "Choisissez une des options."
    review = talk("2")
    assert "Motif: Concours" in review.text or any(p.endswith(": Concours") for p in review.parts)


def test_an_optional_field_offers_skip_and_skipping_leaves_it_empty(build):
    talk = Talk(build())
    talk(start="eservices")
    talk(choice="proc:certificat-residence")
    for answer in ("1234567890", "Kouassi", "Ama", "Abomey-Calavi"):
        optional = talk(answer)
    optional = talk("Zogbo")
    assert optional.parts[0].startswith("Étape 6/6")
    (skip,) = optional.choices
    assert skip.kind == "skip" and skip.label == "Passer"
    review = talk(choice=skip.id)
    assert talk.at == "confirm" and review.parts[-2].endswith(": -")


def test_the_review_shows_every_answer_as_typed_and_the_fee_last(build):
    review = _to_review(Talk(build()))
    assert review.parts[0] == "Vérifiez : Casier judiciaire"
    assert "Date de naissance: 25/12/1990" in review.parts
    assert review.parts[-1].startswith("Frais : 1")
    assert ids(review) == ["confirm", "restart", "cancel"]


def test_confirming_files_the_request_later_and_says_how_the_reference_comes(build, effects):
    talk = Talk(build())
    _to_review(talk)
    done = talk(choice="confirm")
    assert done.parts == (
        "Demande envoyée. Vous recevrez par SMS sa référence et comment payer.",)
    assert ids(done) == ["pay", "done"]  # the fee can be paid right away
    (filed,) = effects.of("submit")
    assert filed["slug"] == "casier-judiciaire" and filed["also"] is None
    assert filed["answers"] == {"npi": "1234567890", "nom": "Kouassi", "prenoms": "Ama",
                                "date_naissance": "1990-12-25", "lieu_naissance": "Cotonou",
                                "motif": "emploi"}
    assert talk.manager.load("sms", "other", CITIZEN).draft is None


def test_correct_starts_the_form_again_with_the_answers_and_cancel_drops_it(build):
    talk = Talk(build())
    _to_review(talk)
    again = talk(choice="restart")
    assert again.parts[0].startswith("Étape 1/6") and talk.at == "form"
    review = _to_review(talk)
    cancelled = talk(choice="cancel")
    assert review.parts[0].startswith("Vérifiez")
    assert cancelled.error == "Demande annulée." and ids(cancelled) == list(HOME_CHOICES)
    assert talk.manager.load("sms", "other", CITIZEN).draft is None


def test_a_dropped_form_is_offered_again_in_the_next_session(build, clock):
    manager = build()
    first = Talk(manager, "ussd")
    first()
    first(choice="lang:fr")
    _to_review(first, CASIER[:2])
    offer = Talk(manager, "ussd")()
    assert offer.parts[0] == "Reprendre votre demande ?" and ids(offer) == ["yes", "no"]
    resumed = Talk(manager, "ussd")
    resumed()
    assert resumed(choice="yes").parts[0].startswith("Étape 3/6")
    declined = Talk(manager, "ussd")
    declined()
    assert ids(declined(choice="no")) == list(HOME_CHOICES)
    assert ids(Talk(manager, "ussd")()) == list(HOME_CHOICES)  # dropped for good


def test_a_draft_older_than_the_resume_window_is_not_offered(build, clock):
    manager = build(resume_window=600)
    talk = Talk(manager)
    talk()
    talk(choice="lang:fr")
    _to_review(talk, CASIER[:2])
    assert Talk(manager)().parts[0] == "Reprendre votre demande ?"
    clock.advance(601)
    assert ids(Talk(manager)()) == list(HOME_CHOICES)


def test_a_web_visitor_proves_a_number_by_code_before_a_form(build, effects):
    talk = Talk(build(verify=True), "webchat", user="web:visitor")
    ask = talk(start="eservices", locale="fr")
    assert talk.at == "verify_phone" and ask.input == "tel"
    assert talk("12").error == "Numéro invalide. Exemple : 0197000000"
    sent = talk("01 97 00 00 03")
    assert sent.input == "code" and "+2290197000003" in sent.parts[0]
    (message,) = effects.of("send_text")
    assert message["user"] == "+2290197000003"
    code = re.search(r"\b(\d{6})\b", message["text"]).group(1)
    wrong = talk("000000" if code != "000000" else "111111")
    assert wrong.error == "Code incorrect. Essais restants : 4."
    bound = talk(code)
    assert bound.parts[:2] == ("Numéro confirmé.", "Demandes en ligne")
    assert talk.user == "+2290197000003" and talk.at == "eservices"
    talk(choice="proc:casier-judiciaire")
    for answer in CASIER:
        talk(answer)
    done = talk(choice="confirm")
    assert done.parts == ("Demande envoyée. Sa référence et comment payer s'afficheront ici "
                          "et vous seront envoyés par SMS.",)
    (filed,) = effects.of("submit")
    assert filed["also"] == f"web:{talk.session}" and filed["user"] == "+2290197000003"


def test_without_a_way_to_prove_a_number_a_web_visitor_is_sent_to_the_135(build):
    talk = Talk(build(), "webchat", user="web:visitor")
    reply = talk(start="my_requests", locale="fr")
    assert reply.end and "135" in reply.text and talk.manager.at(talk.conv) == "agent"
