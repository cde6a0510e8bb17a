"""A question written in another language than the chosen one: answered in that language when
the message clearly is in it, never because a procedure's name looks French, and French typed
by someone who chose another language keeps their choice."""

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


def test_a_yoruba_question_while_set_to_french_is_answered_in_yoruba(build, nlu, desk):
    talk = Talk(build(nlu=nlu, desk=desk, languages=LANGUAGES), channel="webchat")
    talk(start="language", locale="fr")
    talk(choice="lang:fr", locale="fr")
    reply = talk("Elo ni iwe irinna?")
    assert reply.lang == "yo" and any("30,000" in part for part in reply.parts)


def test_french_typed_after_choosing_another_language_keeps_that_language(build, nlu, desk):
    """Many who chose Fon to read type in French (and every procedure's name is French)."""
    talk = english_web_chat(build, nlu, desk)
    reply = talk("combien coûte le casier judiciaire s'il vous plaît")
    assert reply.lang == "en" and any("1,900" in part for part in reply.parts)
