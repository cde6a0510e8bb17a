"""A procedure the portal adds is understood in typed questions within one catalogue refresh:
the word list is built from the live catalogue (titles, abbreviations, keywords), never from a
committed file, and rebuilt when a refresh brings new procedures."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from channels.config import ConfigError, Settings
from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from integrations.portal.sandbox.catalogue import DEFAULT_PATH, CatalogueError
from nlu.embedded import EmbeddedNLU
from nlu.lexicon import build_lexicon, shipped_catalogue
from nlu.testing import shared_model
from tests.sms_texter import Texter

_numbers = itertools.count(1)

NEW_PROCEDURES = [
    {"slug": "carte-grise", "category": "transport",
     "title": {"fr": "Certificat d'immatriculation de véhicule",
               "en": "Vehicle registration certificate"},
     "abbreviations": [], "keywords": {"fr": ["carte grise", "immatriculation"],
                                       "en": ["car registration", "logbook"]},
     "summary": {"fr": "Immatriculation d'un véhicule.", "en": "Registering a vehicle."},
     "cost_xof": 12345, "cost_note": None, "delay": {"fr": "8 jours", "en": "8 days"},
     "validity": None, "documents": None, "where": {"fr": "ANaTT", "en": "ANaTT"},
     "online": "no", "online_url": None},
    {"slug": "confirmation-droits-fonciers", "category": "foncier-urbanisme",
     "title": {"fr": "Certificat de propriété foncière", "en": "Land title certificate"},
     "abbreviations": ["CPF"], "keywords": {"fr": ["titre foncier", "papier de la parcelle"],
                                            "en": ["land title"]},
     "summary": {"fr": "Titre de propriété d'une parcelle.", "en": "Title to a plot."},
     "cost_xof": 54321, "cost_note": None, "delay": None, "validity": None,
     "documents": None, "where": {"fr": "ANDF", "en": "ANDF"}, "online": "no",
     "online_url": None},
]


def write_catalogue(path: Path, extra: list[dict]) -> None:
    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    doc["procedures"] += extra
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def live_portal(tmp_path):
    """A sandbox portal serving a catalogue file the test edits while Guichet runs."""
    path = tmp_path / "catalogue.yaml"
    write_catalogue(path, [])
    app = create_sandbox_app(db_path=str(tmp_path / "portal.db"), catalogue_path=path)
    url, server = serve_in_thread(app)
    yield url, path
    stop_server(server)


def procedures_of(model: EmbeddedNLU, text: str) -> list[str]:
    return [e["value"] for e in model.parse(text)["entities"] if e["entity"] == "procedure"]


def test_keywords_name_procedures_whose_title_does_not():
    entries = shipped_catalogue() + NEW_PROCEDURES
    model = shared_model().with_catalogue(entries)
    assert procedures_of(model, "carte grise c combien") == ["carte-grise"]
    assert procedures_of(model, "titre foncier delai svp") == ["confirmation-droits-fonciers"]
    assert procedures_of(model, "how much is a land title") == ["confirmation-droits-fonciers"]
    assert procedures_of(model, "prix du CPF") == ["confirmation-droits-fonciers"]
    # the shipped catalogue alone does not have them: no procedure, never a neighbour's
    shipped = shared_model().with_catalogue(shipped_catalogue())
    assert procedures_of(shipped, "carte grise c combien") == []
    assert procedures_of(shipped, "titre foncier delai svp") == []


def test_a_withdrawn_procedure_is_no_longer_named():
    entries = [e for e in shipped_catalogue() if e["slug"] != "visa"]
    assert "visa" not in build_lexicon(entries).procedures
    assert procedures_of(shared_model().with_catalogue(entries), "prix du visa") == []


def test_a_procedure_added_while_running_is_understood_by_sms(make_app, at_fake, live_portal):
    url, path = live_portal
    fake, at_url = at_fake
    app = make_app(PORTAL_URL=url, AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                   AT_API_URL=at_url)
    rt = app.extensions["guichet"]
    rt.nlu.warm()
    citizen = Texter(app.test_client(), fake, f"+22901970{next(_numbers):05d}")
    before = citizen.text("carte grise c combien")
    assert "12 345" not in before and "135" in before  # not known yet: said so

    write_catalogue(path, NEW_PROCEDURES)
    version = rt.portal.cache.version
    assert rt.portal.refresh()  # what the timer does every CATALOGUE_REFRESH_SECONDS
    assert rt.portal.cache.version == version + 1

    answer = Texter(app.test_client(), fake, f"+22901970{next(_numbers):05d}").text(
        "carte grise c combien")
    assert "12 345 F CFA" in answer
    answer = Texter(app.test_client(), fake, f"+22901970{next(_numbers):05d}").text(
        "titre foncier prix?")
    assert "54 321 F CFA" in answer
    parsed = app.test_client().post("/api/v1/parse", json={"text": "carte grise prix"}).get_json()
    assert {"entity": "procedure", "value": "carte-grise"}.items() <= parsed["entities"][0].items()


def test_refresh_interval_and_sandbox_catalogue_are_settings(tmp_path):
    settings = Settings.from_env({"CATALOGUE_REFRESH_SECONDS": "42"})
    assert settings.catalogue_refresh_seconds == 42.0
    assert Settings.from_env({}).catalogue_refresh_seconds == 300.0
    good = tmp_path / "good.yaml"
    write_catalogue(good, NEW_PROCEDURES)
    assert Settings.from_env({"SANDBOX_CATALOGUE": str(good)}).sandbox_catalogue == str(good)
    broken = tmp_path / "broken.yaml"
    broken.write_text("procedures: [{slug: x}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="SANDBOX_CATALOGUE"):
        Settings.from_env({"SANDBOX_CATALOGUE": str(broken)})
    with pytest.raises(ConfigError, match="SANDBOX_CATALOGUE"):
        Settings.from_env({"SANDBOX_CATALOGUE": str(tmp_path / "missing.yaml")})


def test_standalone_sandbox_names_the_variable_of_a_broken_file(tmp_path, monkeypatch):
    broken = tmp_path / "broken.yaml"
    broken.write_text(": not yaml [", encoding="utf-8")
    monkeypatch.setenv("SANDBOX_CATALOGUE", str(broken))
    with pytest.raises(CatalogueError, match="SANDBOX_CATALOGUE"):
        create_sandbox_app()
    good = tmp_path / "good.yaml"
    write_catalogue(good, NEW_PROCEDURES)
    monkeypatch.setenv("SANDBOX_CATALOGUE", str(good))
    client = create_sandbox_app().test_client()
    slugs = [p["slug"] for p in client.get("/api/v1/procedures").get_json()["procedures"]]
    assert "carte-grise" in slugs
    carte = client.get("/api/v1/procedures/carte-grise").get_json()
    assert carte["keywords"]["fr"] == ["carte grise", "immatriculation"]


def test_the_cache_tells_listeners_only_when_the_procedures_change():
    from integrations.portal.cache import CatalogueCache, CatalogueSnapshot
    from integrations.portal.models import Procedure

    procs = {"a": Procedure("a", "justice", {"fr": "A"})}
    cache = CatalogueCache(lambda: CatalogueSnapshot((), dict(procs), ()))
    seen: list[int] = []
    cache.subscribe(lambda snapshot: 1 / 0)  # a broken listener must not stop the refresh
    cache.subscribe(lambda snapshot: seen.append(len(snapshot.procedures)))
    assert cache.refresh() and cache.version == 1 and seen == [1]
    assert cache.refresh() and cache.version == 1 and seen == [1]  # same procedures
    procs["b"] = Procedure("b", "justice", {"fr": "B"})
    assert cache.refresh() and cache.version == 2 and seen == [1, 2]
    late: list[int] = []
    cache.subscribe(lambda snapshot: late.append(len(snapshot.procedures)))
    assert late == [2]  # a listener subscribing late gets the current catalogue at once


def test_a_broken_edit_of_the_sandbox_file_keeps_the_last_good_catalogue(tmp_path):
    path = tmp_path / "catalogue.yaml"
    write_catalogue(path, NEW_PROCEDURES)
    client = create_sandbox_app(catalogue_path=path).test_client()
    assert len(client.get("/api/v1/procedures").get_json()["procedures"]) == 18
    path.write_text("procedures: [oops", encoding="utf-8")
    assert len(client.get("/api/v1/procedures").get_json()["procedures"]) == 18
    write_catalogue(path, NEW_PROCEDURES[:1])
    assert len(client.get("/api/v1/procedures").get_json()["procedures"]) == 17


def test_citizens_heldout_never_appears_in_training_data():
    from nlu.citizens import load
    from nlu.embedded import training_files
    from nlu.trainingdata import load_examples

    def key(text: str) -> str:
        return " ".join(text.casefold().split()).strip(" ?!.")

    trained = {key(ex.text) for ex in load_examples(training_files())}
    questions, _added, about_added = load()
    assert len(questions) + len(about_added) >= 150
    assert sum(q.procedure == "REFUSE" for q in questions) >= 20
    assert [q.text for q in questions + about_added if key(q.text) in trained] == []
