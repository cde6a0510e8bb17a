"""A question written in another language than the chosen one: answered in that language when
the message clearly is in it, never because a procedure's name looks French."""

from __future__ import annotations

from tests.unit.conftest import Talk

LANGUAGES = ("fr", "en", "fon", "yo")


def english_web_chat(build, nlu, desk) -> Talk:
    """A web chat visitor who chose English in the widget's language list."""
    talk = Talk(build(nlu=nlu, desk=desk, languages=LANGUAGES), channel="webchat")
    talk(start="home", locale="fr")
    talk(locale="en", start="language")
    talk(choice="lang:en", locale="en")
    assert talk.conv is not None and talk.conv.profile["lang"] == "en"
    return talk


def test_a_fon_question_while_set_to_english_is_answered_in_fon(build, nlu, desk):
    talk = english_web_chat(build, nlu, desk)
    reply = talk("Nɛ̌ nú casier judiciaire ?")
    assert reply.lang == "fon"
    assert talk.conv is not None and talk.conv.profile["lang"] == "fon"
    # the agent console's transcript tags the question (and the answer) with its language
    said = [e for e in desk.transcript if e.text == "Nɛ̌ nú casier judiciaire ?"]
    assert [e.lang for e in said] == ["fon"]
    assert desk.transcript[-1].direction == "out" and desk.transcript[-1].lang == "fon"


def test_a_procedure_name_alone_while_set_to_english_stays_in_english(build, nlu, desk):
    talk = english_web_chat(build, nlu, desk)
    for text in ("casier judiciaire", "passeport", "acte de naissance"):
        reply = talk(text)
        assert reply.lang == "en", text
    assert talk.conv is not None and talk.conv.profile["lang"] == "en"
    assert {e.lang for e in desk.transcript if e.direction == "in"} == {"en"}


def test_an_english_question_while_set_to_english_stays_in_english(build, nlu, desk):
    talk = english_web_chat(build, nlu, desk)
    reply = talk("how much is the criminal record certificate?")
    assert reply.lang == "en"
    assert any("1,900" in part for part in reply.parts)


def test_a_french_sentence_while_set_to_english_switches_to_french(build, nlu, desk):
    talk = english_web_chat(build, nlu, desk)
    reply = talk("combien coûte le casier judiciaire s'il vous plaît")
    assert reply.lang == "fr" and any("1 900" in p.replace("\u202f", " ") for p in reply.parts)
