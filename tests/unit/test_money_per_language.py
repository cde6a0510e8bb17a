"""Money is written one way per language: Babel's grouping for French, English and Yoruba,
French grouping for Fon (Babel has no Fon), "F CFA" after the amount everywhere; the portal's
own amounts ("130,000 XOF", "40 200 FCFA") are rewritten the same way, and English says
"Processing time", not "Delay"."""

from __future__ import annotations

import pytest

from channels.gsm7 import to_gsm7
from dialogs.i18n import money, money_in_text
from dialogs.texts import fact, receipt_text
from integrations.portal.models import Payment, Submission

NNBSP, NBSP = "\u202f", "\xa0"
WRITTEN = {  # language -> (130 000, 1 900)
    "fr": (f"130{NNBSP}000{NBSP}F{NNBSP}CFA", f"1{NNBSP}900{NBSP}F{NNBSP}CFA"),
    "fon": (f"130{NNBSP}000{NBSP}F{NNBSP}CFA", f"1{NNBSP}900{NBSP}F{NNBSP}CFA"),
    "en": (f"130,000{NBSP}F{NNBSP}CFA", f"1,900{NBSP}F{NNBSP}CFA"),
    "yo": (f"130,000{NBSP}F{NNBSP}CFA", f"1,900{NBSP}F{NNBSP}CFA"),
}


@pytest.mark.parametrize("lang", sorted(WRITTEN))
def test_each_language_writes_an_amount_one_way(lang):
    big, small = WRITTEN[lang]
    assert (money(130_000, lang), money(1_900, lang)) == (big, small)
    for portal_way in ("130,000 XOF", "130 000 FCFA", "130.000 F CFA", "130000 francs CFA"):
        assert money_in_text(f"Urgent : {portal_way}, en 48 h.", lang) == \
            f"Urgent : {big}, en 48 h."
    # a year, a reference, a number without currency are not money
    assert money_in_text("Depuis 2024, réf. SP-2026-000123, 3 photos.", lang) == \
        "Depuis 2024, réf. SP-2026-000123, 3 photos."


def test_on_sms_the_narrow_spaces_become_plain_spaces():
    assert to_gsm7(money(130_000, "fon")) == "130 000 F CFA"
    assert to_gsm7(money(130_000, "en")) == "130,000 F CFA"


def test_the_passport_sheet_in_english_writes_money_one_way(portal):
    passport = portal.client.procedure("passeport")
    cost = fact(passport, "cost", "en")
    assert "XOF" not in cost and "FCFA" not in cost
    assert f"30,000{NBSP}F{NNBSP}CFA" in cost and f"130,000{NBSP}F{NNBSP}CFA" in cost
    assert fact(passport, "delay", "en").startswith("Processing time: ")
    french = fact(passport, "cost", "fr")
    assert WRITTEN["fr"][0] in french and f"30{NNBSP}000{NBSP}F{NNBSP}CFA" in french


def test_the_receipt_states_the_amount_once_in_our_words():
    payment = Payment(130_000, ("MTN MoMo", "Moov Money"), {
        "fr": "Payez 130 000 FCFA par MTN MoMo ou Moov Money, référence SP-2026-000001.",
        "en": "Pay 130,000 XOF by MTN MoMo or Moov Money, reference SP-2026-000001."})
    sub = Submission("SP-2026-000001", "passeport", payment)
    text = receipt_text(sub, "Passport", "en", "*202#")
    assert WRITTEN["en"][0] in text
    assert "XOF" not in text and text.count("130,000") == 1
    free = Submission("SP-2026-000002", "x", Payment(0, (), {"fr": "Service gratuit.",
                                                             "en": "Free service."}))
    assert "Free service." in receipt_text(free, "X", "en", "*202#")
