"""The dialog core, state by state: handing the conversation to a person (the queue where the
citizen can wait, a callback from USSD or outside office hours), the transcript, the rating."""

from __future__ import annotations

from dialogs.manager import HOME_CHOICES
from tests.unit.conftest import CITIZEN, Talk, ids

CALL_135 = ("Pour parler à un conseiller, appelez le 135 (Allo Service Public).",)


def test_a_live_channel_joins_the_queue_with_the_topic_and_learns_its_place(build, desk):
    talk = Talk(build(desk=desk))
    talk(start="procedures")
    talk(choice="cat:justice")
    talk(choice="proc:casier-judiciaire")
    talk(choice="nav:home")
    queued = talk(choice="agent")
    assert queued.parts == ("Un conseiller va vous répondre.", "Vous êtes n°1 dans la file.",
                            "Attente estimée : 4 min.",
                            "Écrivez votre message : il lui sera transmis.")
    assert queued.expects == "text" and not queued.navigable
    assert queued.handoff is not None and queued.handoff.topic == "casier-judiciaire"
    (ticket,) = desk.queued
    assert ticket["reason"] == "asked" and ticket["topic"] == "casier-judiciaire"
    assert ticket["channel"] == "sms" and ticket["user"] == CITIZEN


def test_while_a_person_has_it_the_bot_is_quiet_and_answers_again_once_handed_back(build, desk):
    talk = Talk(build(desk=desk))
    talk(start="agent")
    quiet = talk("mon dossier est bloqué")
    assert quiet.parts == () and quiet.choices == () and quiet.error is None
    assert [(e.direction, e.text) for e in desk.transcript][-1] == ("in", "mon dossier est bloqué")
    desk.taken.clear()  # the agent handed it back
    talk("3")
    assert talk.at == "track"


def test_ussd_cannot_wait_so_it_leaves_a_callback_on_its_own_number(build, desk, effects):
    talk = Talk(build(desk=desk), "ussd")
    offer = talk(start="agent", locale="fr")
    assert offer.parts == ("Un conseiller du 135 peut vous rappeler.",)
    assert ids(offer) == ["self", "other"] and desk.queued == []
    slots = talk(choice="self")
    assert ids(slots) == ["slot:asap", "slot:morning", "slot:afternoon"]
    assert talk(choice="slot:night").error == "Choix invalide."
    done = talk(choice="slot:morning")
    assert done.end and done.parts == (
        "C'est noté : un conseiller vous rappellera (le matin). Un SMS vous le confirme.",)
    (callback,) = desk.callbacks
    assert callback["phone"] == CITIZEN and callback["slot"] == "morning"
    (sms,) = effects.of("send_text")
    assert sms["user"] == CITIZEN and sms["key"] == f"callback:ussd:{talk.session}"
    assert desk.transcript == []  # USSD hops are not kept for an agent


def test_a_callback_on_another_number_checks_the_number(build, desk):
    talk = Talk(build(desk=desk), "ussd")
    talk(start="agent", locale="fr")
    talk(choice="other")
    assert talk("123").error == "Numéro invalide. Exemple : 0197000000"
    talk("0197000009")
    talk(choice="slot:asap")
    assert desk.callbacks[0]["phone"] == "+2290197000009"


def test_outside_office_hours_a_live_channel_is_offered_a_callback(build, desk):
    desk.open, desk.opens_at = False, "2025-06-03T08:00:00+01:00"
    talk = Talk(build(desk=desk), "whatsapp")
    closed = talk(start="agent", locale="fr")
    assert closed.parts[0] == "Le 135 est fermé pour le moment."
    assert closed.parts[1].startswith("Il ouvre ") and ids(closed) == ["yes", "no"]
    assert talk(choice="maybe").error == "Choix invalide."
    assert ids(talk(choice="yes")) == ["self", "other"]
    closed_again = Talk(talk.manager, "whatsapp")
    closed_again(start="agent", locale="fr")
    assert ids(closed_again(choice="no")) == list(HOME_CHOICES)


def test_without_a_desk_or_with_the_desk_down_the_135_line_is_given(build, desk):
    assert Talk(build())(start="agent", locale="fr").parts == CALL_135
    desk.down = True
    reply = Talk(build(desk=desk))(start="agent", locale="fr")
    assert reply.parts == CALL_135 and reply.end


def test_live_exchanges_are_kept_for_the_agent_with_both_sides(build, desk):
    talk = Talk(build(desk=desk), "webchat", user="web:v")
    talk(start="home", locale="fr")
    talk(choice="track")
    directions = [(e.direction, e.channel) for e in desk.transcript]
    assert directions == [("out", "webchat"), ("in", "webchat"), ("out", "webchat")]
    assert desk.transcript[1].text == "Suivre une demande"  # what the citizen pressed


def test_the_transcript_names_buttons_as_the_citizen_saw_them(build, desk):
    talk = Talk(build(desk=desk), "webchat", user="web:w")
    talk(start="language", locale="fr")
    talk(choice="lang:en")  # the manager built here offers fr and en
    talk(choice="nav:home")
    said = [e.text for e in desk.transcript if e.direction == "in"]
    assert said == ["English", "Menu principal"]
    assert not any(":" in text for text in said)  # no internal ids for the agent


def test_a_rating_after_an_agent_closed_is_recorded_and_thanked(build, desk):
    talk = Talk(build(desk=desk))
    talk(start="home", locale="fr")
    desk.rating_asked.add(("sms", talk.session))
    thanks = talk("4")
    assert thanks.parts == ("Merci pour votre avis.",) and thanks.end
    assert desk.ratings == [("sms", talk.session, 4)]


def test_a_rating_button_counts_like_the_typed_digit(build, desk):
    talk = Talk(build(desk=desk), channel="whatsapp")
    talk(start="home", locale="fr")
    desk.rating_asked.add(("whatsapp", talk.session))
    thanks = talk(choice="rate:5")
    assert thanks.parts == ("Merci pour votre avis.",) and thanks.end
    assert desk.ratings == [("whatsapp", talk.session, 5)]
    talk(start="home", locale="fr")
    desk.rating_asked.add(("whatsapp", talk.session))
    assert talk(choice="rate:9").parts != ("Merci pour votre avis.",)  # not a score
    assert desk.ratings == [("whatsapp", talk.session, 5)]
