"""What the citizen is shown is what they choose: a USSD page accepts only the numbers printed
on it, the review shows the fee next to "1 Confirmer", and dates as the citizen typed them."""

from __future__ import annotations

import time

import pytest

from channels.ussd.screens import render
from dialogs.model import Choice, Reply
from tests.ussd_phone import Phone, fill_casier_form

CONFIRM = (Choice("confirm", "Confirmer"), Choice("restart", "Corriger"),
           Choice("cancel", "Annuler"))


def _sms_to(fake, number: str, wait: float) -> list[str]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if fake.messages_to(number):
            break
        time.sleep(0.05)
    return fake.messages_to(number)


def test_typing_1_on_the_first_review_page_files_nothing(phone, at_fake):
    fake, _ = at_fake
    fill_casier_form(phone)
    first = phone.screen
    assert first.endswith("98 Suite") and "1 Confirmer" not in first
    screen = phone.press("1")
    assert not phone.ended, screen
    assert screen.startswith("Choix invalide.") and screen.endswith("98 Suite")
    assert _sms_to(fake, phone.number, 0.5) == []  # nothing was filed
    last = phone.press("98")
    assert "1 Confirmer" in last and "Frais : 1 900 F CFA" in last
    assert "Demande envoyée" in phone.press("1")
    assert any("SP-" in sms for sms in _sms_to(fake, phone.number, 10))


@pytest.mark.parametrize("name", ["Dossou", "Houngbédji Ahouansou", "A" * 33])
@pytest.mark.parametrize("birthplace", ["Cotonou", "Abomey-Calavi", "Porto-Novo " * 3 + "x" * 7])
def test_the_page_with_confirm_shows_the_fee(phone, birthplace, name):
    fill_casier_form(phone, birthplace=birthplace, name=name)
    pages = [phone.screen]
    while pages[-1].endswith("98 Suite"):
        pages.append(phone.press("98"))
    with_confirm = [page for page in pages if "1 Confirmer" in page]
    assert len(with_confirm) == 1 and with_confirm[0] is pages[-1]
    assert "Frais : 1 900 F CFA" in with_confirm[0]
    for page in pages[:-1]:
        assert "Confirmer" not in page


def test_a_number_shown_on_another_page_is_refused_on_this_one():
    reply = Reply(parts=("Ligne " * 60,), lang="fr",
                  choices=tuple(Choice(f"c{i}", f"Option {i}") for i in range(3)))
    screens = render(reply, 160)
    assert len(screens.pages) > 1
    for page, numbers in zip(screens.pages, screens.page_numbers, strict=True):
        shown = {line.split()[0] for line in page.split("\n") if line.split()
                 and line.split()[0].isdigit() and line.split()[0] != "98"}
        assert set(numbers) == shown - {"0", "00"}
    assert screens.page_numbers[0] == {}


@pytest.mark.parametrize("filler", range(1, 150, 7))
def test_the_fee_is_always_on_the_page_of_the_choices(filler):
    reply = Reply(parts=("Vérifiez : Casier judiciaire", "Nom: " + "x" * filler,
                         "Prénoms: " + "y" * (150 - filler), "Lieu: Cotonou",
                         "Frais : 1 900 F CFA"), lang="fr", choices=CONFIRM)
    screens = render(reply, 160)
    last = screens.pages[-1]
    assert "Frais : 1 900 F CFA" in last and "1 Confirmer" in last
    assert all(len(page) <= 160 for page in screens.pages)
    assert screens.page_numbers[-1] == {"1": "confirm", "2": "restart", "3": "cancel"}


def test_the_review_shows_the_date_as_typed_not_as_the_portal_wants_it(app):
    phone = Phone(app.test_client(), number="+2290197000011")
    fill_casier_form(phone, birth="25121990")
    assert "Date de naissance: 25/12/1990" in phone.screen
    assert "1990-12-25" not in phone.screen
    other = Phone(app.test_client(), number="+2290197000012")
    fill_casier_form(other, birth="5.3.1990")
    assert "Date de naissance: 05/03/1990" in other.screen
