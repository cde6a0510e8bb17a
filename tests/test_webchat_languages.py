"""The widget's own words per language, a language change that does not repeat the answer, and
a page whose site is not allowed told so (and the operator told which site it was)."""

from __future__ import annotations

import logging

from tests.test_webchat import PORTAL, Visitor, web  # noqa: F401 - the fixture

EVIL = "https://blog.example.org"


def test_config_gives_each_language_its_labels_from_the_catalogues(web):  # noqa: F811
    config = web.test_client().get("/webchat/config", headers={"Origin": PORTAL})
    assert config.status_code == 200 and config.json["origin_allowed"] is True
    assert config.headers["Access-Control-Allow-Origin"] == "*"
    labels = config.json["labels"]
    assert sorted(lang["code"] for lang in config.json["languages"]) == sorted(labels)
    assert labels["fr"]["ph"] == "Écrivez votre question…" and labels["fr"]["send"] == "Envoyer"
    assert labels["en"]["ph"] == "Type your question…" and labels["en"]["menu"] == "Main menu"
    for lang in ("fon", "yo"):  # no French left in the controls of Fon and Yoruba
        for key in ("ph", "send", "menu", "sub", "input", "refused"):
            assert labels[lang][key] != labels["fr"][key], (lang, key)
    assert labels["yo"]["send"] == "Fi ránṣẹ́" and labels["fon"]["menu"] == "Menu ɖaxó"


def test_a_page_of_a_site_not_allowed_learns_it_and_the_operator_sees_which(web, caplog):  # noqa: F811
    client = web.test_client()
    with caplog.at_level(logging.WARNING, logger="channels.webchat.blueprint"):
        config = client.get("/webchat/config", headers={"Origin": EVIL})
        refused = client.post("/webchat/sessions", json={}, headers={"Origin": EVIL})
        preflight = client.options("/webchat/sessions", headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert config.status_code == 200 and config.json["origin_allowed"] is False
    assert config.json["labels"]["fr"]["refused"].startswith(
        "Le service de discussion n'est pas disponible sur ce site")
    assert refused.status_code == 403 and refused.json == {"error": "origin_not_allowed"}
    assert preflight.status_code == 403
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert all(EVIL in w and "WEBCHAT_ORIGINS" in w for w in warnings)


def test_changing_language_repaints_the_buttons_without_a_second_answer(web):  # noqa: F811
    visitor = Visitor(web.test_client(), lang="fr")
    first = visitor.send(start="home", lang="fr")
    assert first["switch"] is None and first["lang"] == "fr"
    switched = visitor.send(lang="en")
    assert switched["switch"] == "en" and switched["lang"] == "en"
    assert "Procedures and costs" in [c["label"] for c in switched["choices"]]
    entries = visitor.history()["entries"]
    assert entries[-1]["switch"] == "en"  # a reload shows it as a switch, not a new answer
    assert [e.get("switch") for e in entries] == [None, "en"]
    answer = visitor.send(text="how much is the criminal record certificate", lang="en")
    assert answer["switch"] is None and answer["lang"] == "en"
