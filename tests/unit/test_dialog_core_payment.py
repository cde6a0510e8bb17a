"""The dialog core, state by state: paying a request's fee by mobile money (operator, number,
amount, confirm), only for the number that filed it, never for an unknown or zero fee."""

from __future__ import annotations

from dialogs.model import Inbound
from integrations.portal.sandbox.state import EXTENSION
from tests.unit.conftest import CITIZEN, STRANGER, Talk, ids
from tests.unit.test_dialog_core_forms import _to_review


def flat(text: str) -> str:
    """Babel's narrow and no-break spaces as plain ones, to compare amounts."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _track(talk: Talk, reference: str):
    talk(start="track")
    return talk(reference[3:].replace("-", ""))


def test_status_of_an_unpaid_request_offers_to_pay_its_owner_only(build, portal):
    reference = portal.file(CITIZEN)
    manager = build()
    owner = _track(Talk(manager, "ussd"), reference)
    assert ids(owner) == ["sms", "pay"] and "Paiement : 1 900 F CFA, à payer" in flat(owner.text)
    stranger = _track(Talk(manager, "ussd", user=STRANGER), reference)
    assert "pay" not in ids(stranger)
    assert not any("Paiement" in p for p in stranger.parts)


def test_the_whole_journey_starts_one_payment_in_the_background(build, portal, effects):
    reference = portal.file(CITIZEN)
    talk = Talk(build(), "ussd")
    _track(talk, reference)
    ops = talk(choice="pay")
    assert ids(ops) == ["op:mtn", "op:moov", "op:celtiis"]
    assert [c.label for c in ops.choices] == ["MTN MoMo", "Moov Money", "Celtiis Cash"]
    assert talk("9").error == "Choix invalide."  # a screen takes only what it shows
    number = talk("1")
    assert ids(number) == ["self", "other"] and "0197000001" in number.choices[0].label
    confirm = talk("1")
    assert flat(confirm.parts[0]).startswith("Payer 1 900") and reference in confirm.parts[0]
    assert "MTN MoMo" in confirm.parts[1] and ids(confirm) == ["confirm", "cancel"]
    assert not effects.of("pay")  # nothing is paid before the citizen confirms
    done = talk("1")
    assert done.end and "code secret" in done.text and "jamais" in done.text
    (pay,) = effects.of("pay")
    assert len(pay.pop("intent")) == 32
    assert pay == {"user": CITIZEN, "lang": "fr", "reference": reference, "operator": "mtn",
                   "msisdn": CITIZEN, "channel": "ussd", "after": None, "also": None}


def test_another_number_must_be_a_valid_benin_number(build, portal, effects):
    reference = portal.file(CITIZEN)
    talk = Talk(build(), "ussd")
    _track(talk, reference)
    talk(choice="pay")
    talk("2")  # Moov
    talk("2")  # another number
    assert talk("12345").error.startswith("Numéro du Bénin invalide")
    assert talk("+33612345678").error.startswith("Numéro du Bénin invalide")
    confirm = talk("0196000002")
    assert "0196000002" in confirm.parts[1]
    talk("1")
    assert effects.of("pay")[0]["msisdn"] == "+2290196000002"


def test_a_paid_request_offers_nothing_and_says_so(build, portal):
    reference = portal.file(CITIZEN)
    payment = portal.client.start_payment(reference, "mtn", CITIZEN, "k-1")
    portal.admin(f"payments/{payment.payment_id}", {"outcome": "succeeded"})
    reply = _track(Talk(build(), "ussd"), reference)
    assert "pay" not in ids(reply) and any(p.endswith("payé") for p in reply.parts)


def test_right_after_a_submission_the_fee_can_be_paid(build, effects):
    talk = Talk(build(), "ussd")
    _to_review(talk)
    sent = talk(choice="confirm")
    assert ids(sent) == ["pay", "done"] and not sent.end
    assert flat(talk(choice="pay").parts[0]) == "Payer 1 900 F CFA"
    talk(choice="op:celtiis")
    talk(choice="self")
    talk(choice="confirm")
    (pay,) = effects.of("pay")
    assert pay["reference"] is None and pay["after"] == effects.of("submit")[0]["key"]
    assert pay["operator"] == "celtiis"


def test_later_ends_without_paying(build, effects):
    talk = Talk(build(), "ussd")
    _to_review(talk)
    talk(choice="confirm")
    later = talk(choice="done")
    assert later.end and "Mes demandes" in later.text and not effects.of("pay")


def test_an_unknown_fee_cannot_be_paid_here_and_says_where(build, portal, effects):
    portal.app.extensions[EXTENSION].catalogue.forms["casier-judiciaire"]["fee_xof"] = None
    reference = portal.file(CITIZEN)
    talk = Talk(build(), "ussd")
    status = _track(talk, reference)
    assert "pay" in ids(status) and not any("Paiement" in p for p in status.parts)
    said = talk(choice="pay")
    assert said.end and said.parts[0].startswith("Montant à confirmer")
    assert said.parts[1].startswith("Pour confirmer :") and "135" in said.parts[1]
    assert not effects.of("pay")


def test_a_free_request_offers_nothing_to_pay(build, portal):
    portal.app.extensions[EXTENSION].catalogue.forms["casier-judiciaire"]["fee_xof"] = 0
    reference = portal.file(CITIZEN)
    assert "pay" not in ids(_track(Talk(build(), "ussd"), reference))


def test_payer_by_sms_from_another_number_is_refused(build, portal, effects):
    from dialogs.journeys import payment

    reference = portal.file(CITIZEN)
    manager = build()
    stranger = manager.load("sms", "sms:x", STRANGER)
    manager.step(stranger, Inbound("sms", STRANGER, "sms:x", start="home"))
    refused = payment.offer(manager, stranger, reference)
    assert refused.text == f"Seul le numéro qui a fait la demande {reference} peut la payer."
    assert refused.end and not effects.of("pay")
