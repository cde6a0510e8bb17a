"""Entities: procedures by fuzzy lexicon matching, aspects, references, NPIs, languages."""

import pytest

from nlu.entities import normalise_reference
from nlu.testing import shared_model


@pytest.fixture(scope="module")
def extract():
    model = shared_model()

    def run(text: str) -> list[tuple[str, str, str | None]]:
        return [(e.entity, e.value, text[e.start:e.end] if e.start is not None else None)
                for e in model.extractor.extract(text)]

    return run


@pytest.mark.parametrize("typed", [
    "sp 2026 000123", "SP2026000123", "2026-000123", "SP-2026-000123", "sp/2026/000123",
    "Sp-2026-123", "ref: SP 2026-000123.",
])
def test_reference_is_normalised(typed):
    expected = "SP-2026-000123"
    assert normalise_reference(typed) == expected


def test_ten_bare_digits_are_an_npi_not_a_reference(extract):
    assert extract("mon NPI est 1234567890") == [("npi", "1234567890", "1234567890")]
    assert normalise_reference("2026000123") is None
    assert ("npi", "0197000000", "0197000000") not in extract("+2290197000000")


def test_reference_span_points_into_the_original(extract):
    text = "Où en est sp 2026 000123 svp"
    assert ("reference", "SP-2026-000123", "sp 2026 000123") in extract(text)


@pytest.mark.parametrize("text,slug,span", [
    ("kmt avoir mon cazier stp", "casier-judiciaire", "cazier"),
    ("pasport prix", "passeport", "pasport"),
    ("Mo fẹ́ gba ìwé ìrìnnà", "passeport", "ìwé ìrìnnà"),
    ("jiji wémá", "acte-naissance", "jiji wémá"),
    ("je veux lacte de deces", "acte-deces", "acte de deces"),
    ("kasier kel papie", "casier-judiciaire", "kasier"),
    ("la CARTE D'IDENTITE", "carte-identite", "CARTE D'IDENTITE"),
    ("mɛdógesiwéma", "carte-identite", "mɛdógesiwéma"),
    ("tò gudo yìyì wémá", "passeport", "tò gudo yìyì wémá"),
    ("c.i.p", "cip", "c.i.p"),
])
def test_procedure_found_with_original_span(extract, text, slug, span):
    assert ("procedure", slug, span) in extract(text)


def test_longest_exact_phrase_wins(extract):
    assert [e[1] for e in extract("acte de mariage") if e[0] == "procedure"] == ["acte-mariage"]
    assert [e[1] for e in extract("permis de construire") if e[0] == "procedure"] == [
        "permis-construire"]


def test_ordinary_words_are_not_procedures(extract):
    assert extract("Je voudrais passer mon tour") == []
    assert extract("a fɔn à") == []  # the Fon verb, not the language name "fon"


@pytest.mark.parametrize("text,aspects", [
    ("combien coute le casier", {"cost"}),
    ("combien de temps pour le passeport", {"delay"}),
    ("combien de temps est valable le passeport", {"validity"}),
    ("ça dure cb", {"delay"}),
    ("quelles pièces à fournir", {"documents"}),
    ("où faire ma CNI ?", {"where"}),
    ("on peut le faire en ligne ?", {"online"}),
    ("passeport ou carte d'identité", set()),
    ("légaliser un document", set()),
    ("How much and how long?", {"cost", "delay"}),
])
def test_aspects(extract, text, aspects):
    assert {v for e, v, _ in extract(text) if e == "aspect"} == aspects


def test_language_entity(extract):
    assert ("language", "en", "anglais") in extract("en anglais svp")
    assert ("language", "fon", "fongbé") in extract("je veux le fongbé")


def test_last_week_is_not_a_validity_question(extract):
    assert extract("I applied last week") == []
    assert [v for e, v, _ in extract("how long does it last?") if e == "aspect"] == ["validity"]
