"""A catalogue written apart from ours, served the way ``make run`` serves it
(``SANDBOX_CATALOGUE``): close names must not be confused, and a question about a procedure the
catalogue lacks is refused with the way forward, never answered with a neighbour's facts.

The cases come from a 150-procedure held-out catalogue played against a running service: each
one is a failure seen there."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from nlu.testing import shared_model
from tests.sms_texter import Texter

_numbers = itertools.count(1)


def _proc(slug: str, category: str, fr: str, en: str | None, cost: int | None,
          delay: str | None, **extra) -> dict:
    title = {"fr": fr} | ({"en": en} if en else {})
    return {"slug": slug, "category": category, "title": title,
            "abbreviations": extra.pop("abbreviations", []),
            "summary": {"fr": fr + "."}, "cost_xof": cost, "cost_note": None,
            "delay": None if delay is None else {"fr": delay},
            "validity": None, "documents": None, "where": {"fr": "Mairie"},
            "online": "no", "online_url": None, **extra}


PROCEDURES = [
    _proc("nationalite", "papiers", "Certificat de nationalité béninoise",
          "Certificate of Beninese nationality", 5000, "48 heures",
          keywords={"fr": ["nationalité"]}, abbreviations=["CNB"]),
    _proc("non-faillite", "justice", "Certificat de non-faillite", "Non-bankruptcy certificate",
          2500, "1 mois"),
    _proc("residence", "papiers", "Certificat de résidence", "Residence certificate", 1000,
          "24 heures"),
    _proc("permis-construire", "habitat", "Permis de construire", "Building permit", None,
          "10 jours", keywords={"fr": ["autorisation de bâtir"]}),
    _proc("releve-bac", "ecole", "Relevé de notes du baccalauréat", None, 3000, "1 mois",
          keywords={"fr": ["relevé du bac"]}),
    dict(_proc("tfu", "habitat", "Paiement de la taxe foncière unique", None, None, None,
               abbreviations=["TFU"]), where={"fr": "Centre des impôts"}),
    _proc("certificat-vie", "papiers", "Certificat de vie", "Life certificate", 500, None),
    _proc("acte-deces", "papiers", "Acte de décès", "Death certificate", 1000, "24 heures"),
    _proc("permis-conduire", "route", "Permis de conduire", "Driving licence", 0,
          "5 jours ouvrables"),
    _proc("duplicata-permis", "route", "Duplicata du permis de conduire",
          "Duplicate driving licence", 7500, None),
]
CATEGORIES = [{"slug": s, "title": {"fr": fr}} for s, fr in (
    ("papiers", "Papiers d'identité"), ("justice", "Justice et droits"),
    ("habitat", "Urbanisme et foncier"), ("ecole", "École et diplômes"),
    ("route", "Conduite et véhicules"))]


def entries() -> list[dict]:
    return [{"slug": p["slug"], "title": p["title"], "abbreviations": p["abbreviations"],
             "keywords": p.get("keywords") or {}} for p in PROCEDURES]


def procedures_of(text: str) -> list[str]:
    model = shared_model().with_catalogue(entries())
    return [e["value"] for e in model.parse(text)["entities"] if e["entity"] == "procedure"]


@pytest.fixture
def heldout_app(tmp_path: Path, make_app, at_fake):
    """Guichet on a sandbox portal serving the held-out catalogue file."""
    path = tmp_path / "heldout.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "categories": CATEGORIES,
                                    "procedures": PROCEDURES}, allow_unicode=True),
                    encoding="utf-8")
    portal = create_sandbox_app(db_path=str(tmp_path / "heldout.db"), catalogue_path=path)
    url, server = serve_in_thread(portal)
    fake, at_url = at_fake
    app = make_app(PORTAL_URL=url, AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=at_url)
    app.extensions["guichet"].nlu.warm()
    yield app, fake
    stop_server(server)


def ask(heldout_app, text: str) -> str:
    app, fake = heldout_app
    return Texter(app.test_client(), fake, f"+22901971{next(_numbers):05d}").text(text)


def test_an_exact_name_beats_a_near_miss_on_a_longer_one():
    # "certificat de nationalite" is one letter-run away from "certificat de non-faillite":
    # the word "nationalité" names its procedure exactly, the fuzzy reading is a guess
    assert procedures_of("Quel est le délai pour un certificat de nationalité ?") == [
        "nationalite"]
    assert procedures_of("certificat de nationalite ou le demander") == ["nationalite"]
    # a real misspelling of the whole name still finds it
    assert procedures_of("certificat de non faillitte combien") == ["non-faillite"]
    assert procedures_of("permis de construir delai") == ["permis-construire"]


def test_a_name_cut_short_is_not_read_as_the_whole_name():
    # "certificate" is "Life certificate" without "life"; "iwe eri" (Yoruba: certificate) is
    # "ìwé ẹ̀rí ikú" (death certificate) without "ikú": a truncated name is a guess
    assert procedures_of("how much does a police clearance certificate cost") == []
    assert procedures_of("owo melo ni iwe eri iwa rere") == []
    assert procedures_of("owo melo ni iwe eri iku") == ["acte-deces"]
    assert procedures_of("certificat de vi combien") == ["certificat-vie"]
    assert procedures_of("how much is a life certifcate") == ["certificat-vie"]


def test_close_names_answer_with_their_own_facts(heldout_app):
    answer = ask(heldout_app, "certificat de nationalité c'est combien et quel délai ?")
    assert "nationalite" in answer and "5 000" in answer and "48 heures" in answer
    assert "faillite" not in answer
    answer = ask(heldout_app, "Combien coûte un duplicata du permis de conduire ?")
    assert "Duplicata" in answer and "7 500" in answer


@pytest.mark.parametrize("question", ["divorce délai", "adoption d'un enfant combien",
                                      "brevet d'invention quel délai ?"])
def test_a_fee_or_delay_of_something_unknown_is_refused_with_the_way_forward(heldout_app,
                                                                              question):
    answer = ask(heldout_app, question)
    assert "135" in answer and "service-public.bj" in answer, answer
    assert "compris" not in answer  # not "not understood": it asked about a procedure
    assert not any(p["title"]["fr"].split(" (")[0] in answer for p in PROCEDURES), answer


def test_a_name_the_word_list_misses_is_found_by_the_words_of_its_title(heldout_app):
    # "du bac" for "du baccalauréat", "notes" in the middle: no keyword names it, the title's
    # words do, as typing them in "Rechercher" would
    answer = ask(heldout_app, "Combien pour le relevé de notes du bac ?")
    assert "Releve de notes du baccalaureat" in answer and "3 000" in answer, answer
    # question words alone name nothing: asked which procedure, no facts given
    answer = ask(heldout_app, "combien ça coûte ?")
    assert "F CFA" not in answer


def test_the_words_around_a_name_pick_the_narrower_procedure(heldout_app):
    answer = ask(heldout_app, "j'ai perdu mon permis de conduire, le duplicata coûte combien ?")
    assert "Duplicata du permis de conduire" in answer and "7 500" in answer, answer
    answer = ask(heldout_app, "permis de conduire combien")  # the licence itself
    assert "Duplicata" not in answer and "gratuit" in answer, answer


def test_a_title_asked_with_an_aspect_but_no_known_name_is_answered_not_refused(heldout_app):
    answer = ask(heldout_app, "taxe foncière unique où payer")
    assert "Paiement de la taxe fonciere unique" in answer and "Centre des impots" in answer, \
        answer


@pytest.mark.parametrize("question", ["ouvrir un compte bancaire",
                                      "subvention pour les agriculteurs"])
def test_a_question_not_understood_still_shows_the_way_forward(heldout_app, question):
    answer = ask(heldout_app, question)
    assert "135" in answer and "service-public.bj" in answer, answer
    assert not any(p["title"]["fr"].split(" (")[0] in answer for p in PROCEDURES), answer


def test_ussd_search_tells_close_names_apart(heldout_app, monkeypatch):
    from dialogs.journeys import catalogue
    from tests.ussd_phone import Phone

    monkeypatch.setattr(catalogue, "SEARCH_ABOVE", 0)  # "Rechercher" offered for these few
    app, _fake = heldout_app
    phone = Phone(app.test_client(), number=f"+22901972{next(_numbers):05d}")
    for typed, title in (("permis constr", "Permis de construire"),
                         ("certif resid", "Certificat de résidence"),
                         ("certif nation", "Certificat de nationalité"),
                         ("dupli permis", "Duplicata du permis de conduire")):
        phone.dial()
        phone.press("1", "1", "1", typed)  # French, "Démarches et coûts", "Rechercher"
        assert phone.screen.startswith(title), (typed, phone.screen)


def test_where_to_pay_asks_where():
    model = shared_model().with_catalogue(entries())
    aspects = [e["value"] for e in model.parse("taxe foncière unique où payer")["entities"]
               if e["entity"] == "aspect"]
    assert "where" in aspects, aspects
