"""The sandbox catalogue carries the facts of facts/procedures.yaml, served through the client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from integrations.portal import PortalClient, PortalNotFound, pick
from integrations.portal.sandbox.catalogue import DEFAULT_PATH
from tests.portal_fixtures import Sandbox, running_sandbox

SLUGS = {
    "casier-judiciaire",
    "passeport",
    "cip",
    "carte-identite",
    "carte-npi",
    "acte-naissance",
    "certificat-nationalite",
    "certificat-residence",
    "creation-entreprise",
    "permis-conduire",
    "acte-mariage",
    "acte-deces",
    "visa",
    "ifu",
    "legalisation",
    "permis-construire",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as sb:
        yield sb


@pytest.fixture()
def client(sandbox: Sandbox) -> Iterator[PortalClient]:
    c = PortalClient(sandbox.url)
    yield c
    c.close()


def test_all_sixteen_slugs_and_seven_categories(client: PortalClient) -> None:
    assert {p.slug for p in client.procedures()} == SLUGS
    assert [c.slug for c in client.categories()] == [
        "justice",
        "identite-voyage",
        "etat-civil",
        "entreprise",
        "transport",
        "fiscalite",
        "foncier-urbanisme",
    ]
    assert all(c.title.get("fr") and c.title.get("en") for c in client.categories())


def test_casier_facts(client: PortalClient) -> None:
    casier = client.procedure("casier-judiciaire")
    assert casier.category == "justice"
    assert casier.cost_xof == 1900
    assert casier.delay["fr"] == "72 heures" and casier.delay["en"] == "72 hours"
    assert casier.delay["yo"] == "wákàtí 72"  # translated, unreviewed
    assert casier.validity["en"] == "3 months"
    assert casier.online == "yes" and casier.eservice


def test_other_known_facts(client: PortalClient) -> None:
    passeport = client.procedure("passeport")
    assert passeport.cost_xof == 30000
    assert "130" in passeport.cost_note["fr"] and "48" in passeport.cost_note["fr"]
    assert passeport.online == "appointment"
    assert passeport.online_url == "https://epasseport.service-public.bj"
    assert len(passeport.documents["fr"]) == 4
    assert client.procedure("permis-conduire").cost_xof == 20200
    assert "40" in client.procedure("permis-conduire").cost_note["en"]
    assert client.procedure("cip").cost_xof == 2800
    assert client.procedure("carte-identite").cost_xof == 6000
    assert client.procedure("carte-npi").cost_xof == 0
    assert client.procedure("certificat-residence").cost_xof == 2000


def test_unknown_facts_stay_unknown(client: PortalClient) -> None:
    for slug in (
        "acte-naissance",
        "certificat-nationalite",
        "creation-entreprise",
        "acte-mariage",
        "acte-deces",
        "visa",
        "ifu",
        "legalisation",
        "permis-construire",
    ):
        assert client.procedure(slug).cost_xof is None, slug
    naissance = client.procedure("acte-naissance")
    assert naissance.delay == {} and naissance.documents == {}
    assert pick(naissance.validity, "en") == (None, False)


def test_catalogue_matches_the_facts_file() -> None:
    """Category and cost of every procedure agree with the facts file (``shared/facts`` beside
    the checkout, or ``GUICHET_FACTS``) when it is present; CI always has it."""
    path = Path(os.environ.get("GUICHET_FACTS")
                or Path(__file__).resolve().parents[2] / "shared" / "facts" / "procedures.yaml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("facts file not available")
    facts = yaml.safe_load(text.split("\ncontext:")[0])["procedures"]
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        catalogue = yaml.safe_load(handle)
    assert {p["slug"] for p in catalogue["procedures"]} == set(facts)
    for item in catalogue["procedures"]:
        fact = facts[item["slug"]]
        assert item["category"] == fact["category"], item["slug"]
        expected = None if fact["cost_xof"] == "unknown" else fact["cost_xof"]
        assert item["cost_xof"] == expected, item["slug"]


def test_short_texts_for_ussd() -> None:
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        catalogue = yaml.safe_load(handle)
    for item in catalogue["procedures"]:
        for key in ("title", "summary", "cost_note", "delay", "validity", "where"):
            for text in (item.get(key) or {}).values():
                assert len(text) <= 80, (item["slug"], key, text)
    for form in catalogue["eservices"].values():
        for field in form["fields"]:
            assert all(len(label) <= 40 for label in field["label"].values()), field["name"]


def test_category_filter_and_not_found(client: PortalClient) -> None:
    justice = {p.slug for p in client.procedures("justice")}
    assert justice == {"casier-judiciaire", "certificat-nationalite", "legalisation"}
    assert client.procedures("nowhere") == []
    with pytest.raises(PortalNotFound):
        client.procedure("no-such-thing")


def test_eservices_and_forms(client: PortalClient) -> None:
    assert set(client.eservices()) >= {"casier-judiciaire", "certificat-residence"}
    form = client.form("casier-judiciaire")
    assert form is not None and form.fee_xof == 1900
    names = [f.name for f in form.fields]
    assert names == ["npi", "nom", "prenoms", "date_naissance", "lieu_naissance", "motif"]
    motif = form.fields[-1]
    assert motif.type == "choice"
    assert [o.value for o in motif.options] == ["emploi", "concours", "visa", "autre"]
    assert form.fields[0].type == "npi" and form.fields[3].not_future
    residence = client.form("certificat-residence")
    assert residence is not None and residence.fee_xof == 2000
    assert client.form("passeport") is None


def test_cache_answers_without_network_when_warm(sandbox: Sandbox, client: PortalClient) -> None:
    assert client.refresh()
    before = sandbox.counter.count("GET")
    assert client.procedure("visa").online_url == "https://evisa.gouv.bj"
    assert len(client.procedures("etat-civil")) == 4
    assert client.form("certificat-residence") is not None
    assert client.eservices() and client.categories()
    with pytest.raises(PortalNotFound):
        client.procedure("no-such-thing")
    assert sandbox.counter.count("GET") == before


def test_openapi_documents_every_sandbox_route(sandbox: Sandbox) -> None:
    from pathlib import Path

    spec = yaml.safe_load(
        (Path(DEFAULT_PATH).parent.parent / "openapi.yaml").read_text(encoding="utf-8")
    )
    assert spec["openapi"].startswith("3.1")
    documented = {path.replace("{", "<").replace("}", ">") for path in spec["paths"]}
    served = {
        rule.rule.removeprefix("/api/v1")
        for rule in sandbox.app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert served == documented
