"""The dialog core, state by state: the language question, the main menu, the catalogue."""

from __future__ import annotations

from dialogs.manager import HOME_CHOICES
from dialogs.model import Conversation, Inbound
from tests.unit.conftest import CITIZEN, Talk, ids


def test_a_first_start_asks_the_language_once_then_remembers_it(build):
    manager = build()
    talk = Talk(manager)
    first = talk()
    assert talk.at == "language" and first.parts == ("Service Public",)
    assert ids(first) == ["lang:fr", "lang:en"] and not first.navigable
    home = talk(choice="lang:en")
    assert talk.at == "home" and home.lang == "en" and home.parts == ("Benin Public Service",)
    again = Talk(manager)()  # another session of the same citizen: no question
    assert again.lang == "en" and ids(again) == list(HOME_CHOICES)


def test_the_language_screen_accepts_only_its_languages(build):
    talk = Talk(build())
    talk()
    wrong = talk(choice="lang:xx")
    assert wrong.error == "Choix invalide." and ids(wrong) == ["lang:fr", "lang:en"]
    assert talk.at == "language"


def test_one_language_only_goes_straight_home(build):
    reply = Talk(build(languages=("fr",)))()
    assert ids(reply) == list(HOME_CHOICES) and reply.lang == "fr"


def test_home_accepts_its_choices_by_id_number_or_label_and_nothing_else(build):
    talk = Talk(build())
    talk(start="home")
    assert talk(choice="nope").error == "Choix invalide."
    assert talk("7").error == "Choix invalide."
    assert talk.at == "home"
    talk("3")  # typed as on SMS: the third entry
    assert talk.at == "track"
    talk(choice="nav:home")
    talk("Démarches et coûts")  # typed as its label
    assert talk.at == "procedures"


def test_back_returns_to_the_screen_before_and_home_resets(build):
    talk = Talk(build())
    talk(start="procedures")
    talk(choice="cat:justice")
    assert talk.at == "category"
    talk(choice="nav:back")
    assert talk.at == "procedures"
    talk(choice="nav:back")
    assert talk.at == "home"
    talk(choice="nav:back")  # nothing left behind home: home again
    assert talk.at == "home"


def test_catalogue_theme_then_procedure_then_sheet(build):
    talk = Talk(build())
    themes = talk(start="procedures")
    assert "cat:justice" in ids(themes) and themes.parts == ("Démarches par thème",)
    justice = talk(choice="cat:justice")
    assert justice.parts == ("Justice",) and "proc:casier-judiciaire" in ids(justice)
    sheet = talk(choice="proc:casier-judiciaire")
    assert "Coût : 1\u202f900\xa0F\u202fCFA" in sheet.parts and "72 heures" in sheet.text
    assert ids(sheet) == ["sms", "apply"]
    assert [c.kind for c in sheet.choices] == ["sms", None]
    assert talk.manager.load("sms", talk.session, CITIZEN).state["topic"] == "casier-judiciaire"


def test_a_sheet_by_sms_is_sent_once_and_ends_the_session(build, effects):
    talk = Talk(build())
    talk(start="procedures")
    talk(choice="cat:justice")
    talk(choice="proc:casier-judiciaire")
    done = talk(choice="sms")
    assert done.end and done.parts == ("Vous allez recevoir la fiche par SMS. Merci.",)
    (sent,) = effects.of("send_text")
    assert sent["user"] == CITIZEN and "Coût : 1\u202f900\xa0F\u202fCFA" in sent["text"]
    assert sent["key"] == f"sheet:{talk.session}:casier-judiciaire"


def test_a_sheet_without_an_e_service_offers_no_request(build):
    talk = Talk(build())
    talk(start="procedures")
    talk(choice="cat:identite-voyage")
    sheet = talk(choice="proc:passeport")
    assert ids(sheet) == ["sms"]  # no e-service for a passport
    assert talk(choice="elsewhere").error == "Choix invalide."


def test_the_catalogue_down_with_nothing_cached_says_so_and_offers_home(build, portal):
    portal.down()
    reply = Talk(build())(start="procedures")
    assert reply.parts == ("Service momentanément indisponible. Réessayez plus tard ou "
                           "appelez le 135.",)
    assert ids(reply) == ["nav:home"]


def test_a_state_left_by_an_older_release_starts_again_at_home(build):
    manager = build()
    conv = Conversation("sms", "old", CITIZEN, state={"at": "retired_screen", "data": {},
                                                      "lang": "fr"})
    reply = manager.step(conv, Inbound("sms", CITIZEN, "old", choice="1"))
    assert manager.at(conv) == "home" and ids(reply) == list(HOME_CHOICES)


def test_a_shortcut_answers_in_the_default_language_without_saving_it(build):
    manager = build()
    conv = manager.load("ussd", "s1", CITIZEN)
    manager.assume_default_language(conv)
    reply = manager.step(conv, Inbound("ussd", CITIZEN, "s1", start="track", can_wait=False))
    manager.save(conv)
    assert reply.lang == "fr" and manager.at(conv) == "track"
    assert manager.chosen_language(manager.load("ussd", "s2", CITIZEN)) is None


def test_the_web_language_selector_starts_again_in_the_new_language(build):
    manager = build()
    talk = Talk(manager, "webchat", user="web:abc")
    talk(start="procedures", locale="fr")
    conv = manager.load("webchat", talk.session, "web:abc")
    reply = manager.switch_language(conv, "en")
    assert reply.lang == "en" and manager.at(conv) == "home"
    assert conv.profile["lang"] == "en" and conv.state["stack"] == []


def test_the_sms_language_keyword_changes_the_profile_seen_by_later_notices(build):
    manager = build()
    assert manager.profile_language(CITIZEN) == "fr"
    assert manager.remember_language(CITIZEN, "en")
    assert not manager.remember_language(CITIZEN, "xx")
    assert manager.profile_language(CITIZEN) == "en"
