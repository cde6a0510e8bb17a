"""The dialog core, state by state: free text answered by intent with the embedded NLU."""

from __future__ import annotations

from dialogs.manager import HOME_CHOICES
from tests.unit.conftest import CITIZEN, Talk, ids

CASIER = ["1234567890", "Kouassi", "Ama", "25/12/1990", "Cotonou", "1"]


def test_a_first_message_that_asks_a_cost_gets_that_fact_and_the_rest_on_request(build, nlu):
    talk = Talk(build(nlu=nlu))
    reply = talk("prix du passeport")
    assert talk.at == "sheet" and reply.parts[0] == "Passeport biométrique"
    assert reply.parts[1].startswith("Coût : 30") and ids(reply) == ["more", "sms"]
    full = talk(choice="more")
    assert len(full.parts) > len(reply.parts) and ids(full) == ["sms"]


def test_a_question_naming_two_procedures_asks_which_one(build, nlu):
    talk = Talk(build(nlu=nlu))
    reply = talk("passeport ou carte d'identité, combien ?")
    assert reply.parts == ("De quelle démarche parlez-vous ?",)
    assert ids(reply) == ["proc:passeport", "proc:carte-identite"]
    sheet = talk("2")
    assert talk.at == "sheet" and sheet.parts[1].startswith("Coût")


def test_asking_to_file_a_request_opens_its_form_or_says_it_cannot_be_done_here(build, nlu):
    talk = Talk(build(nlu=nlu))
    assert talk("je veux demander un casier judiciaire").parts[0].startswith("Étape 1/6")
    other = Talk(talk.manager)
    reply = other("je veux demander un passeport")
    assert reply.parts[0] == "Cette démarche ne peut pas être faite ici."
    assert other.at == "sheet"


def test_a_reference_in_a_sentence_is_tracked(build, nlu, portal):
    reference = portal.file(CITIZEN)
    talk = Talk(build(nlu=nlu))
    reply = talk(f"suivre ma demande {reference}")
    assert talk.at == "status" and reply.parts[0] == reference


def test_yes_and_no_answer_the_review(build, nlu, effects):
    manager = build(nlu=nlu)
    talk = Talk(manager)
    talk(start="eservices")
    talk(choice="proc:casier-judiciaire")
    for answer in CASIER:
        talk(answer)
    sent = talk("oui")
    assert "pay" in ids(sent) and len(effects.of("submit")) == 1
    assert talk("non").end and not effects.of("pay")  # "no" to paying now: later
    again = Talk(manager)
    again(start="eservices")
    again(choice="proc:casier-judiciaire")
    for answer in CASIER:
        again(answer)
    cancelled = again("non")
    assert cancelled.error == "Demande annulée." and ids(cancelled) == list(HOME_CHOICES)


def test_words_in_a_form_are_answers_never_questions(build, nlu):
    talk = Talk(build(nlu=nlu))
    talk(start="eservices")
    talk(choice="proc:casier-judiciaire")
    talk("1234567890")
    reply = talk("bonjour")  # a surname, however it reads
    assert reply.parts[0].startswith("Étape 3/6")


def test_asking_for_a_person_hands_off(build, nlu, desk):
    talk = Talk(build(nlu=nlu, desk=desk))
    talk("je veux parler à un agent")
    assert talk.at == "with_agent" and desk.queued[0]["reason"] == "asked"
    assert desk.transcript[0].intent == "human_handoff"


def test_twice_not_understood_hands_off_to_a_person(build, nlu, desk):
    talk = Talk(build(nlu=nlu, desk=desk))
    first = talk("xqzj blorp")
    assert first.parts[0].startswith("Je n'ai pas compris.") and talk.at == "home"
    second = talk("xqzj blorp")
    assert second.parts[0] == "Je ne comprends toujours pas. Je vous passe un conseiller du 135."
    assert desk.queued[0]["reason"] == "misunderstood"


def test_greetings_help_thanks_and_goodbye(build, nlu):
    manager = build(nlu=nlu)
    hello = Talk(manager)("bonjour")
    assert hello.parts[0].startswith("Bonjour !") and ids(hello) == list(HOME_CHOICES)
    assert Talk(manager)("aide").parts[0].startswith("Je réponds sur les démarches")
    thanks = Talk(manager)("merci")
    assert thanks.end and thanks.parts == ("Avec plaisir. Bonne journée !",)
    assert Talk(manager)("au revoir").parts == ("Au revoir et merci.",)


def test_asking_for_another_language_switches_the_conversation_and_profile(build, nlu):
    manager = build(nlu=nlu)
    reply = Talk(manager)("en anglais s'il vous plaît")
    assert reply.lang == "en" and ids(reply) == list(HOME_CHOICES)
    assert manager.profile_language(CITIZEN) == "en"
