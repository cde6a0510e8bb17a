"""Out-of-catalogue questions are refused, never answered with another procedure's facts;
two-part questions get both parts; variants, long messages and French fallbacks. End to end by
SMS through the fake Africa's Talking gateway, facts from the shipped catalogue."""

from __future__ import annotations

import itertools

import pytest

from nlu.testing import shared_model
from tests.sms_texter import Texter

_numbers = itertools.count(1)

# Facts of other procedures a refusal must never show (fees and delays from catalogue.yaml).
OTHERS_FACTS = ("20 200", "40 200", "30 000", "1 900", "Permis de conduire", "Driving licence",
                "Passeport", "7 a 15", "72 heures")


@pytest.fixture
def citizen(app, at_fake):
    fake, _ = at_fake
    app.extensions["guichet"].nlu.warm()
    return lambda: Texter(app.test_client(), fake, f"+22901971{next(_numbers):05d}")


@pytest.mark.parametrize("question", [
    "permis de port d'arme c combien",
    "permis de chasse prix",
    "How much is a work permit for a foreigner",
    "carte de séjour combien ça coûte",
    "c cb la licence de taxi",
    "titre foncier delai svp",
])
def test_out_of_catalogue_is_refused_with_the_way_forward(citizen, question):
    answer = citizen().text(question)
    assert "135" in answer and "service-public.bj" in answer
    assert not any(fact in answer for fact in OTHERS_FACTS), answer


def test_refusal_speaks_the_citizens_language(citizen):
    answer = citizen().text("How much is a work permit for a foreigner")
    assert "I cannot find" in answer and "Foreigners" not in answer


def test_the_procedures_that_are_there_still_answer(citizen):
    assert "20 200 F CFA" in citizen().text("permis de conduire c combien")
    assert "20 200 F CFA" in citizen().text("combien coute le permis")


def test_a_two_part_question_gets_both_parts(citizen):
    answer = citizen().text("acte de mariage c cb et c a la mairie?")
    assert "Cout" in answer and "Ou : Mairie" in answer
    answer = citizen().text("passeport prix et delai")
    assert "30 000 F CFA" in answer and "7 a 15 jours" in answer


def test_the_urgent_passport_gets_the_urgent_facts(citizen):
    answer = citizen().text("passeport urgent ca sort en cb de temps")
    assert "48 heures" in answer and "7 a 15" not in answer
    answer = citizen().text("prix du passeport en urgence")
    assert "130 000 F CFA" in answer


def test_the_question_inside_a_long_message_is_found(citizen):
    answer = citizen().text(
        "Bonsoir chers agents. Je suis commerçante à Dantokpa depuis dix ans et mes enfants "
        "vont voyager pour les vacances chez leur tante. On m'a dit qu'il faut le passeport "
        "pour chacun. Je voudrais savoir le prix et où on le demande exactement. Merci "
        "beaucoup et que Dieu vous bénisse.")
    assert "30 000 F CFA" in answer and "DGPR" in answer
    answer = citizen().text(
        "Good evening. I moved to Cotonou last year for work and my employer now asks me for "
        "several papers before the end of the month. One of them is a criminal record "
        "extract. How long does it take to get one? Thank you for your help.")
    assert "72 hours" in answer


def test_a_fact_in_french_only_is_marked_in_a_yoruba_answer(app, at_fake):
    fake, _ = at_fake
    client = app.test_client()
    texter = Texter(client, fake, "+2290197299999")
    texter.text("LANGUE yo")
    answer = texter.text("owo melo ni iwe ibi")  # birth certificate: where = "ANIP et mairie"
    assert "ANIP et mairie (ni ede Faranse)" in answer
    assert "wakati 72" in texter.text("igba wo ni casier judiciaire")


@pytest.mark.parametrize(("text", "aspects"), [
    ("akwɛ nabi, bo hwenu wɛ passeport nɔ ɖò gbeta ?", {"cost", "delay"}),
    ("acte de naissance prix et pieces a fournir", {"cost", "documents"}),
    ("how much and how long for a passport", {"cost", "delay"}),
])
def test_every_aspect_asked_is_found(text, aspects):
    found = {e["value"] for e in shared_model().parse(text)["entities"] if e["entity"] == "aspect"}
    assert found >= aspects


def test_a_near_miss_as_close_to_two_names_is_no_procedure():
    from nlu.matcher import PhraseMatcher
    from nlu.normalize import align_ascii

    matcher = PhraseMatcher({"acte-mariage": ["acte de mariage"],
                             "acte-mariagf": ["acte de mariagf"]})  # two names one letter apart
    assert matcher.find(align_ascii("acte de mariag")) == []
    assert [m.value for m in matcher.find(align_ascii("acte de mariage"))] == ["acte-mariage"]
