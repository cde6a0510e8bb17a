"""The dialog core, state by state: tracking a request (the private note for its owner only)
and "my requests", also while the portal is down."""

from __future__ import annotations

from dialogs.manager import record_request
from dialogs.store import MemoryStore
from tests.unit.conftest import CITIZEN, STRANGER, Talk, ids

NOTE = "Refusé : le NPI 1234567890 ne correspond pas à KOUASSI Ama."


def _refused(portal) -> str:
    reference = portal.file(CITIZEN)
    portal.admin(f"requests/{reference}/status", {"status": "rejected", "note": NOTE})
    return reference


def test_track_refuses_what_is_not_a_reference_and_names_an_unknown_one(build):
    talk = Talk(build())
    ask = talk(start="track")
    assert ask.parts == ("Entrez la référence de la demande", "Exemple : 2026000123")
    assert talk("12").error == "Référence invalide."
    unknown = talk("2026999999")
    assert unknown.error == "Aucune demande SP-2026-999999." and talk.at == "track"


def test_the_portal_note_is_shown_to_the_number_that_filed_the_request_only(build, portal):
    reference = _refused(portal)
    manager = build()
    stranger = Talk(manager, user=STRANGER)
    stranger(start="track")
    seen = stranger(reference[3:].replace("-", ""))
    assert seen.parts[0] == reference and seen.parts[1] == "Casier judiciaire"
    assert seen.parts[2].startswith("Statut : refusée")
    assert NOTE not in seen.parts and len(seen.parts) == 3
    visitor = Talk(manager, "webchat", user="web:someone")
    visitor(start="track", locale="fr")
    assert NOTE not in visitor(reference).parts
    owner = Talk(manager)
    owner(start="track")
    assert owner(reference).parts[-1] == NOTE


def test_a_status_by_sms_sends_the_lines_shown(build, portal, effects):
    reference = portal.file(CITIZEN)
    talk = Talk(build())
    talk(start="track")
    shown = talk(reference)
    assert ids(shown) == ["sms", "pay"] and shown.choices[0].kind == "sms"
    done = talk(choice="sms")
    assert done.end and done.parts == ("Vous allez recevoir le statut par SMS. Merci.",)
    (sent,) = effects.of("send_text")
    assert sent["text"] == "\n".join(shown.parts)
    assert sent["key"] == f"status-sms:{talk.session}:{reference}"


def test_track_while_the_portal_is_down_promises_the_status_by_sms(build, portal, effects):
    talk = Talk(build())
    talk(start="track")
    portal.down()
    reply = talk("SP-2026-000001")
    assert reply.end and reply.parts == (
        "Le service est lent. Nous vous enverrons le statut de SP-2026-000001 par SMS.",)
    (later,) = effects.of("status_later")
    assert later["reference"] == "SP-2026-000001" and later["user"] == CITIZEN


def test_my_requests_lists_the_citizens_requests_and_opens_one(build, portal):
    reference = _refused(portal)
    talk = Talk(build())
    listing = talk(start="my_requests")
    assert listing.parts == ("Vos demandes",)
    assert [(c.id, c.label) for c in listing.choices] == [
        (f"ref:{reference}", f"{reference[3:]} Casier judiciaire")]
    status = talk("1")
    assert status.parts[0] == reference and status.parts[-1] == NOTE


def test_my_requests_with_none_offers_to_make_one(build):
    talk = Talk(build(), user=STRANGER)
    reply = talk(start="my_requests")
    assert reply.parts == ("Aucune demande pour ce numéro.",) and ids(reply) == ["eservices"]
    talk(choice="eservices")
    assert talk.at == "eservices"


def test_my_requests_while_the_portal_is_down_offers_the_list_by_sms(build, portal, effects):
    talk = Talk(build())
    portal.down()
    down = talk(start="my_requests")
    assert down.parts == ("Vos demandes sont indisponibles pour le moment.",)
    assert [(c.id, c.kind) for c in down.choices] == [("sms", "later")]  # sent once it can be had
    portal.admin("faults", {})  # back up: the screen answered stays the one shown
    assert talk("9").parts == down.parts
    done = talk(choice="sms")
    assert done.end and done.parts == ("Nous vous enverrons la liste de vos demandes par SMS.",)
    assert effects.of("requests_later")[0]["user"] == CITIZEN


def test_my_requests_while_the_portal_is_down_lists_those_the_profile_remembers(build, portal):
    store = MemoryStore()
    record_request(store, CITIZEN, "SP-2026-000042", "casier-judiciaire", 0.0)
    talk = Talk(build(store=store))
    portal.down()
    reply = talk(start="my_requests")
    assert reply.parts == ("Vos demandes",)
    assert ids(reply) == ["ref:SP-2026-000042"]
