"""On SMS, what the citizen is shown is what they choose: language and skipping included."""

from __future__ import annotations

import pytest

from tests.test_sms_channel import Texter


@pytest.fixture
def texter(app, at_fake):
    fake, _ = at_fake
    return Texter(app.test_client(), fake, "+2290197000800")


def _open_residence_form(texter: Texter) -> str:
    """Menu, "Faire une demande", then the residence certificate: its first question."""
    home = texter.text("bonjour")
    number = next(line.split()[0] for line in home.split("\n") if "Faire une demande" in line)
    listing = texter.text(number)
    number = next(line.split()[0] for line in listing.split("\n") if "sidence" in line)
    return texter.text(number)


def test_langue_switches_the_conversation_at_once(texter):
    first = texter.text("prix du passeport")
    assert "1 Toute la fiche" in first  # French so far
    switched = texter.text("LANGUE en")
    assert "English" in switched
    assert "1 Full sheet" in switched  # the same question, now in English
    assert "Validity" in texter.text("1")  # and the conversation goes on in English


def test_langue_outside_a_dialog_only_confirms(texter):
    assert texter.text("LANGUE en").startswith("Language")
    assert "ask your question" in texter.text("HELP")


def test_an_optional_answer_shows_99_and_accepts_it(texter):
    question = _open_residence_form(texter)
    answers = iter(["1234567890", "Dossou", "Jean Marc", "Abomey-Calavi", "Godomey"])
    while "Autre t" not in question:
        question = texter.text(next(answers))
    assert "99 Passer" in question
    confirm = texter.text("99")
    assert "Vérifiez" in confirm and "(facultatif): -" in confirm


def test_an_optional_answer_can_be_skipped_by_its_word(texter):
    question = _open_residence_form(texter)
    answers = iter(["1234567890", "Dossou", "Jean Marc", "Abomey-Calavi", "Godomey"])
    while "Autre t" not in question:
        question = texter.text(next(answers))
    confirm = texter.text("passer")
    assert "Vérifiez" in confirm and "(facultatif): -" in confirm
