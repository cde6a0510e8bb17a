"""Free text through the shared dialog manager: the exact thing asked gets answered."""

from __future__ import annotations

import itertools

import pytest

from dialogs.model import Inbound

_sessions = itertools.count()


def plain(text: str) -> str:
    """Babel's narrow and no-break spaces as plain spaces (channels keep the real ones)."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def chat(app):
    manager = app.extensions["guichet"].manager

    class Chat:
        def __init__(self, user: str = "+2290197000050") -> None:
            self.user = user
            self.session = f"chat-{next(_sessions)}"

        def say(self, text: str):
            return manager.handle(Inbound("sms", self.user, self.session, text=text))

        def pick(self, choice: str):
            return manager.handle(Inbound("sms", self.user, self.session, choice=choice))

    return Chat


def test_a_cost_question_gets_the_cost_and_offers_the_rest(chat):
    reply = chat().say("combien coute le casier judiciaire")
    assert "1 900 F CFA" in plain(reply.text)
    assert "Délai" not in reply.text  # only what was asked
    assert [c.id for c in reply.choices] == ["more", "sms", "apply"]


def test_a_delay_question_in_sms_french_gets_the_delay(chat):
    reply = chat().say("kel delai pr le casier stp")
    assert "72 heures" in reply.text and "F CFA" not in reply.text


def test_unknown_fact_is_to_be_confirmed(chat):
    assert "à confirmer" in chat().say("combien coute l'acte de mariage").text


def test_an_english_question_is_answered_in_english(chat):
    reply = chat(user="+2290197000051").say("how much is a passport")
    assert reply.lang == "en" and "30,000 F CFA" in plain(reply.text)


def test_numbered_reply_picks_the_offered_choice(chat):
    c = chat()
    c.say("prix du passeport")
    reply = c.say("1")  # "the whole sheet"
    assert "Validité" in reply.text and "Pièces" in reply.text


def test_tracking_by_reference_in_a_sentence(chat):
    reply = chat().say("ou en est ma demande SP 2026 000999")
    assert reply.error and "SP-2026-000999" in reply.error
    assert reply.expects == "text"  # asks for the reference again


def test_two_misunderstandings_in_a_row_hand_over_to_a_person(chat):
    c = chat()
    first = c.say("zxqv wpl")
    assert "pas compris" in first.text and first.handoff is None
    second = c.say("brrr kkkk")
    assert "135" in second.text and second.handoff is not None


def test_handoff_greeting_and_thanks(chat):
    assert chat().say("je veux parler a un agent").handoff is not None
    assert "Bonjour" in chat().say("bonjour").text
    assert chat().say("merci beaucoup").end


def test_yes_confirms_and_no_cancels_a_confirmation(chat, app):
    c = chat()
    c.say("je veux demander un casier judiciaire")
    for answer in ("1234567890", "Kouassi", "Ama", "25/12/1990", "Cotonou", "1"):
        reply = c.say(answer)
    assert "Vérifiez" in reply.text
    reply = c.say("non")
    assert reply.error == "Demande annulée."


def test_a_question_after_a_failed_tracking_is_answered_not_taken_as_a_reference(chat):
    c = chat()
    assert c.say("ou en est ma demande SP 2026 000999").error
    assert "30 000 F CFA" in plain(c.say("prix du passeport").text)


def test_a_sheet_with_unknown_facts_says_where_to_confirm_them(app):
    """"à confirmer" is never a dead end: the office named by the portal, or the 135."""
    from dialogs.model import Inbound

    manager = app.extensions["guichet"].manager
    naissance = manager.handle(Inbound("whatsapp", "+2290197000811", "wa-n",
                                       text="acte de naissance c combien"))
    text = "\n".join(naissance.parts)
    assert "à confirmer" in text
    assert "Pour confirmer : ANIP et mairie, ou le 135 (Allo Service Public)." in text
    casier = manager.handle(Inbound("whatsapp", "+2290197000812", "wa-c",
                                    text="combien coute le casier judiciaire"))
    assert "Pour confirmer" not in "\n".join(casier.parts)  # its cost is known
