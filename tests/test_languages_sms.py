"""Fon and Yoruba by SMS and in chat: chosen with LANGUE, or guessed from the question itself.

SMS answers are GSM-7 and within the 3-segment budget; chat replies (WhatsApp, web) keep the
real letters.  A question written in Fon or Yoruba is answered in that language.
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from channels.gsm7 import is_gsm7, segments, to_gsm7
from channels.sms import keywords
from dialogs.i18n import gettext_for
from dialogs.model import Inbound
from tests.conftest import wait_for

_ids = itertools.count(1)


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class Texter:
    def __init__(self, client, fake, number: str) -> None:
        self.client, self.fake, self.number = client, fake, number

    def text(self, body: str) -> str:
        seen = len(self.fake.messages_to(self.number))
        response = self.client.post("/sms/inbound", data={
            "from": self.number, "to": "1350", "text": body, "date": "2026-11-22 10:00:00",
            "id": f"ATXid_lang_{next(_ids)}", "linkId": "link-1"})
        assert response.status_code == 200
        reply = wait_for(lambda: self.fake.messages_to(self.number)[seen:] or None)[0]
        assert is_gsm7(reply), reply
        assert segments(reply) <= 3, f"{segments(reply)} segments: {reply!r}"
        return reply


def said(reply: str, lang: str, text: str) -> bool:
    """``reply`` (GSM-7) contains the catalogue text ``text`` translated into ``lang``."""
    wanted = to_gsm7(gettext_for(lang)(text).split("{")[0].strip())
    return plain(wanted) in plain(reply)


@pytest.fixture
def texter(app, at_fake):
    fake, _ = at_fake
    return lambda number: Texter(app.test_client(), fake, number)


@pytest.mark.parametrize(("command", "code"), [
    ("LANGUE FON", "fon"), ("langue fongbé", "fon"), ("LANGUE yo", "yo"),
    ("Langue Yoruba", "yo"), ("gbe fon", "fon"), ("Èdè yorùbá", "yo"), ("LANGUE en", "en"),
])
def test_language_keyword_takes_a_code_or_a_name(command, code):
    assert keywords.parse(command) == keywords.Command("language", code)


def test_local_words_are_commands_only_when_they_stand_as_one():
    assert keywords.parse("alɔdó") == keywords.Command("help")
    assert keywords.parse("ìrànlọ́wọ́") == keywords.Command("help")
    assert keywords.parse("gbè") is None  # a bare word: a question for the NLU


def test_langue_fon_then_every_answer_is_in_fon_within_three_segments(texter):
    citizen = texter("+2290197000300")
    chosen = citizen.text("LANGUE FON")
    assert "Fongbe" in chosen and said(chosen, "fon", "Langue choisie : {name}.")
    for question in ("combien coute le casier judiciaire", "jiji wémá", "tout sur le passeport",
                     "aide", "SUIVI SP-2026-999999"):
        answer = citizen.text(question)
        assert "Repondez" not in plain(answer) and "Service momentan" not in plain(answer)
    sheet = citizen.text("prix du passeport")
    assert said(sheet, "fon", "Coût : {cost}") and "30 000 F CFA" in sheet
    assert said(sheet, "fon", "Répondez par le numéro.")
    help_text = citizen.text("aide")
    assert said(help_text, "fon", "Service Public par SMS : posez votre question "
                "(ex : prix du passeport). Mots-clés : SUIVI <référence>, AGENT, "
                "LANGUE <{codes}>, PLUS, STOP.")
    assert "LANGUE <fr/en/fon/yo>" in help_text  # the languages actually offered
    queued = citizen.text("agent")  # last: a person has the conversation from here on
    assert said(queued, "fon", "Un conseiller va vous répondre.")


def test_a_long_fon_answer_waits_behind_plus_in_fon(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   SMS_MAX_SEGMENTS="1")
    citizen = Texter(app.test_client(), fake, "+2290197000301")
    citizen.text("LANGUE FON")
    first = citizen.text("tout sur le passeport")
    assert segments(first) == 1 and said(first, "fon", "PLUS pour la suite")
    assert citizen.text("PLUS") != first


@pytest.mark.parametrize(("question", "lang", "title"), [
    ("jiji wémá", "fon", "Jiji wémá"),
    ("Nɛ̌ mɛdógesiwéma ɖò?", "fon", "Mɛdógesiwéma"),
    ("Mo fẹ́ gba ìwé ìrìnnà", "yo", "Ìwé ìrìnnà"),
])
def test_a_question_in_fon_or_yoruba_is_answered_in_that_language(app, at_fake, question,
                                                                  lang, title):
    fake, _ = at_fake
    answer = Texter(app.test_client(), fake, f"+22901970004{next(_ids):02d}").text(question)
    assert plain(to_gsm7(title)) in plain(answer)
    assert not said(answer, lang, "Recevoir par SMS")  # it is an SMS already

    manager = app.extensions["guichet"].manager  # chat: the same answer, real letters
    reply = manager.handle(Inbound("whatsapp", f"+22901970005{next(_ids):02d}", "wa-1",
                                   text=question))
    assert reply.lang == lang
    assert any(part.startswith(title) for part in reply.parts), reply.parts
    labels = [choice.label for choice in reply.choices]
    assert gettext_for(lang)("Recevoir par SMS") in labels
    assert gettext_for(lang)("Recevoir par SMS") != "Recevoir par SMS"


def test_a_sheet_without_a_fon_text_says_so_in_fon(app):
    manager = app.extensions["guichet"].manager
    assert manager.remember_language("+2290197000600", "fon")
    reply = manager.handle(Inbound("whatsapp", "+2290197000600", "wa-2",
                                   text="permis de construire"))
    assert reply.lang == "fon"
    assert gettext_for("fon")("(Texte disponible en français seulement)") in reply.parts
