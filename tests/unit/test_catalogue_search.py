"""Searching the catalogue by part of a name, and cutting long lists into ranges (no I/O)."""

from __future__ import annotations

from dialogs.journeys.chunks import ranges
from dialogs.journeys.search import by_code, fold, matches
from dialogs.model import Choice
from integrations.portal.models import Procedure
from integrations.portal.parsing import procedure, short_code


def _proc(slug: str, title: str, abbreviations: tuple[str, ...] = (), code: str | None = None):
    return Procedure(slug=slug, category="c", title={"fr": title}, abbreviations=abbreviations,
                     short_code=code)


CATALOGUE = [
    _proc("acte-naissance", "Acte de naissance sécurisé", code="11"),
    _proc("acte-mariage", "Acte de mariage"),
    _proc("cip", "Certificat d'identification personnelle", ("CIP",)),
    _proc("etat-civil", "Certificat d'état civil"),
    _proc("passeport", "Passeport biométrique", code="12"),
]


def slugs(found):
    return [p.slug for p in found]


def test_accents_and_case_are_ignored():
    assert fold("ÉTAT Civil") == "etat civil"
    assert slugs(matches(CATALOGUE, "ETAT", "fr")) == ["etat-civil"]
    assert slugs(matches(CATALOGUE, "état", "fr")) == ["etat-civil"]


def test_every_word_must_start_a_word_of_the_title():
    assert slugs(matches(CATALOGUE, "acte naiss", "fr")) == ["acte-naissance"]
    assert set(slugs(matches(CATALOGUE, "acte", "fr"))) == {"acte-naissance", "acte-mariage"}
    assert matches(CATALOGUE, "combien coute le passeport", "fr") == []  # a question: NLU's
    assert matches(CATALOGUE, "", "fr") == []


def test_an_abbreviation_ranks_first():
    assert slugs(matches(CATALOGUE, "cip", "fr"))[0] == "cip"


def test_short_codes_are_found_and_checked():
    assert by_code(CATALOGUE, "12").slug == "passeport"
    assert by_code(CATALOGUE, "13") is None
    assert short_code("12") == "12" and short_code(12) == "12"
    for bad in ("98", "99", "05", "1", "12345", "ab", True, None):
        assert short_code(bad) is None
    parsed = procedure({"slug": "x", "category": "c", "short_code": "98",
                        "abbreviations": ["XY"]})
    assert parsed.short_code is None and parsed.abbreviations == ("XY",)


def test_ranges_keep_every_item_in_alphabetical_order():
    choices = [Choice(f"c{i}", f"Demande de document numéro {i:03d}") for i in range(70)]
    parts = ranges(choices)
    assert 8 <= len(parts) <= 10
    assert [c for part in parts for c in part] == sorted(choices, key=lambda c: c.label)
    assert max(len(p) for p in parts) - min(len(p) for p in parts) <= 8
