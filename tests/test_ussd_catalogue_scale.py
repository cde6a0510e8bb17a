"""USSD at national scale: 150 and 1,000 synthetic procedures through the real ``POST /ussd``.

The sandbox serves a catalogue from the synthetic generator; a caller browses "Faire une
demande" by theme, finds procedures by typing part of a name, and jumps by published short
code.  Every screen is checked by the phone (<= 160 GSM-7 characters, CON/END); here: no page
numbers an item with a navigation key, every e-service is reached within a few screens, and a
procedure the portal adds while the service runs shows up after a catalogue refresh.
"""

from __future__ import annotations

import pytest
import yaml

from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
from integrations.portal.sandbox.catalogue import load_catalogue
from integrations.portal.sandbox.synthetic import generate, write
from tests.catalogue_walk import NAV, eservice_reach, home, items, open_path, pages
from tests.ussd_phone import Phone

MAX_SCREENS_150 = 8
MAX_SCREENS_1000 = 10
"""Screens to reach the deepest e-service by browsing, main menu included."""


@pytest.fixture
def national(make_app, tmp_path):
    """``national(n, e)``: a Guichet app over a sandbox serving ``n`` synthetic procedures."""
    servers = []

    def build(procedures: int, eservices: int):
        path = write(tmp_path / f"catalogue-{procedures}.yaml", procedures, eservices)
        portal = create_sandbox_app(db_path=str(tmp_path / f"portal-{procedures}.db"),
                                    catalogue_path=path)
        url, server = serve_in_thread(portal)
        servers.append(server)
        app = make_app(PORTAL_URL=url)
        return app, portal, path

    yield build
    for server in servers:
        stop_server(server)


def test_the_generator_is_deterministic_and_the_sandbox_loads_it(tmp_path):
    assert generate(150, 40) == generate(150, 40)
    catalogue = load_catalogue(write(tmp_path / "c.yaml", 1000, 250))
    assert len(catalogue.procedures) == 1000 and len(catalogue.forms) == 250
    assert len(catalogue.categories) >= 12
    unknown_fees = [p for p in catalogue.procedures.values() if p["cost_xof"] is None]
    assert 0 < len(unknown_fees) < 1000
    codes = [p["short_code"] for p in catalogue.procedures.values() if p["short_code"]]
    assert len(codes) == len(set(codes)) >= 10


def test_an_unusable_short_code_is_ignored(make_app, tmp_path):
    data = generate(20, 5)
    data["procedures"][3]["short_code"] = "98"  # would turn the page instead
    data["procedures"][4]["short_code"] = "5"  # would be the main menu's 5th entry
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    portal = create_sandbox_app(db_path=str(tmp_path / "bad.db"), catalogue_path=path)
    url, server = serve_in_thread(portal)
    try:
        phone = Phone(make_app(PORTAL_URL=url).test_client())
        home(phone)
        assert "Choix invalide" in phone.press("98") and "1 Démarches" in phone.screen
        home(phone)
        # "5" is the menu's own entry (an agent), never the procedure that published it
        assert data["procedures"][4]["title"]["fr"][:15] not in phone.press("5")
        phone.dial("*202*21#")  # a good code next to them still works
        assert data["procedures"][1]["title"]["fr"][:15] in phone.screen
    finally:
        stop_server(server)


def _check_page(screen: str) -> None:
    numbers = [key for key, _label in items(screen)]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)], screen
    assert not set(numbers) & set(NAV), screen


def test_150_procedures_every_eservice_within_a_few_screens(national):
    app, _portal, _path = national(150, 40)
    phone = Phone(app.test_client())
    reach = eservice_reach(phone)
    assert len(reach) == 40
    deepest = max(reach, key=lambda r: r.screens)
    assert deepest.screens <= MAX_SCREENS_150, deepest
    assert "tape 1/" in open_path(phone, deepest.path)  # the deepest one really opens
    # the themes' pages: items numbered 1..k on each, "98 Suite" only where a page follows
    home(phone)
    phone.press("1")
    for page in pages(phone):
        assert page
    home(phone)
    phone.press("2")
    _check_page(phone.screen)
    phone.press("1")
    while True:
        _check_page(phone.screen)
        if "\n98 " not in phone.screen:
            break
        phone.press("98")
    assert phone.screen.endswith("0 Retour 00 Accueil")


def test_1000_procedures_deepest_eservice_and_a_long_category(national):
    app, _portal, _path = national(1000, 250)
    phone = Phone(app.test_client())
    reach = eservice_reach(phone, sample=True)  # every theme, the last range of each
    deepest = max(reach, key=lambda r: r.screens)
    assert deepest.screens <= MAX_SCREENS_1000, deepest
    assert "tape 1/" in open_path(phone, deepest.path)
    # a theme of ~70 procedures: alphabetical ranges first, then a few pages of items, every
    # page's numbers from 1, never 98/99
    home(phone)
    phone.press("1")
    assert items(phone.screen)[0][1] == "Rechercher"
    phone.press("2")
    ranges = [label for page in pages(phone) for _key, label in page]
    assert 6 <= len(ranges) <= 12 and all(" - " in label for label in ranges), ranges
    open_path(phone, ("1", "2", "1"))
    seen = 0
    while True:
        _check_page(phone.screen)
        seen += len(items(phone.screen))
        if "\n98 " not in phone.screen:
            break
        phone.press("98")
    assert 4 <= seen <= 12
    for _ in range(6):  # 0: the page before, then back to the ranges
        phone.press("0")
        if " - " in items(phone.screen)[0][1]:
            break
    assert " - " in items(phone.screen)[0][1], phone.screen


def test_search_by_part_of_a_name_ignores_accents_and_case(national):
    app, _portal, _path = national(150, 40)
    phone = Phone(app.test_client())
    home(phone)
    phone.press("1", "1")  # "Démarches et coûts", then "Rechercher", first of the themes
    assert "Nom de la démarche" in phone.screen
    phone.press("permis constr")
    assert "ermis de construire" in phone.screen
    _check_page(phone.screen)
    first = items(phone.screen)[0]
    phone.press(first[0])
    assert "Cout :" in phone.screen
    # accents typed or not, upper or lower case: the same procedures
    home(phone)
    phone.press("1", "1", "releve de notes")
    plain = phone.screen
    home(phone)
    phone.press("1", "1", "RELEVÉ DE NOTES")
    assert phone.screen.replace("RELEVÉ DE NOTES", "releve de notes") == plain
    assert "Relevé de notes" in plain or "relevé de notes" in plain, plain


def test_abbreviations_open_their_procedure(national):
    app, _portal, _path = national(150, 40)
    phone = Phone(app.test_client())
    for typed, title in (("cip", "Certificat d'identification personnelle"),
                         ("ANIP", "Numéro personnel d'identification")):
        home(phone)
        phone.press("1", "1", typed)
        assert title in phone.screen, phone.screen
        assert "Cout :" in phone.screen  # the sheet itself


def test_nothing_found_says_so_and_offers_the_135(national):
    app, _portal, _path = national(150, 40)
    phone = Phone(app.test_client())
    home(phone)
    phone.press("1", "1", "zzqx")
    assert "Aucun résultat pour : zzqx" in phone.screen and "135" in phone.screen
    assert "\n98 " not in phone.screen  # the reason and the question on one screen
    assert not phone.ended
    phone.press("permis de conduire")  # and the caller can type again at once
    assert "ermis de conduire" in phone.screen


def test_too_many_matches_ask_to_refine(national):
    app, _portal, _path = national(1000, 250)
    phone = Phone(app.test_client())
    home(phone)
    phone.press("1", "1", "demande")
    assert "résultats" in phone.screen and "Tapez plus de lettres" in phone.screen
    phone.press("98") if "\n98 " in phone.screen else None
    phone.press("demande passeport")
    assert all("asseport" in label for _key, label in items(phone.screen)), phone.screen


def test_a_short_code_opens_its_procedure(national):
    app, portal, _path = national(150, 40)
    phone = Phone(app.test_client())
    catalogue = portal.extensions["guichet_portal_sandbox"].catalogue
    coded = next(p for p in catalogue.procedures.values() if p["short_code"] == "21")
    title = coded["title"]["fr"][:18]
    phone.dial("*202*21#")  # dialled straight from the phone's keypad
    assert title in phone.screen and "Cout :" in phone.screen, phone.screen
    phone.dial(first_text="21")  # a gateway that sends the sub-code as the first text
    assert title in phone.screen
    home(phone)
    phone.press("21")  # typed on the main menu
    assert title in phone.screen
    home(phone)
    phone.press("77")  # no procedure has it: the menu again, with the reason
    assert "Choix invalide" in phone.screen and "1 Démarches et couts" in phone.screen


def test_a_procedure_added_while_running_appears_after_a_refresh(national):
    app, portal, path = national(150, 40)
    phone = Phone(app.test_client())
    home(phone)
    phone.press("1", "1", "apostille")
    assert "Aucun résultat" in phone.screen
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["procedures"].append({
        "slug": "apostille-electronique", "category": "justice", "short_code": "90",
        "title": {"fr": "Apostille électronique", "en": "Electronic apostille"},
        "cost_xof": None, "online": "yes", "where": {"fr": "En ligne"}})
    data["eservices"]["apostille-electronique"] = {"fee_xof": None, "fields": [
        {"name": "npi", "label": {"fr": "Votre NPI (10 chiffres)"}, "type": "npi",
         "pattern": r"^\d{10}$", "max_length": 10}]}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    portal.extensions["guichet_portal_sandbox"].catalogue = load_catalogue(path)
    assert app.extensions["guichet"].portal.refresh()  # what the refresh timer does
    home(phone)
    phone.press("1", "1", "apostille")
    assert "Apostille électronique" in phone.screen and "Cout : à confirmer" in phone.screen
    home(phone)
    phone.press("90")
    assert "Apostille électronique" in phone.screen
    reach = {r.label: r for r in eservice_reach(phone)}
    assert "Apostille électronique" in reach
    assert "tape 1/1" in open_path(phone, reach["Apostille électronique"].path)


def test_searching_from_faire_une_demande_opens_the_form(national):
    app, portal, _path = national(150, 40)
    catalogue = portal.extensions["guichet_portal_sandbox"].catalogue
    with_form = next(p for p in catalogue.procedures.values() if p["eservice"])
    title = with_form["title"]["fr"]
    phone = Phone(app.test_client())
    home(phone)
    phone.press("2", "1", title)  # "Faire une demande", "Rechercher", the whole title
    if "tape 1/" not in phone.screen:  # several matches: the one asked for is listed
        key = next(k for k, label in items(phone.screen) if label.startswith(title[:20]))
        phone.press(key)
    assert "tape 1/" in phone.screen, phone.screen
    assert len(phone.inputs) <= 4  # home + 4 keys: five screens at most
    without = next(p for p in catalogue.procedures.values()
                   if not p["eservice"] and not p["abbreviations"])
    home(phone)
    phone.press("2", "1", without["title"]["fr"])  # not an e-service: not offered here
    assert all(not label.startswith(without["title"]["fr"][:20])
               for _key, label in items(phone.screen)), phone.screen
