"""The learning loop end to end: a supervisor labels last week's unanswered questions, the
export writes them as Rasa NLU YAML with the procedure and aspect annotated, the project's
loader and the embedded trainer read the file, and once retrained the model answers a question
it did not: the page says so."""

from __future__ import annotations

import re
import shutil

import pytest

from channels.agent import labelled as labelled_cli
from dialogs.insights import labels as learning
from nlu.embedded import EmbeddedNLU, training_files
from nlu.trainingdata import Span, load_file
from tests.test_insights import Console, sms, supervised_app


@pytest.fixture
def ins_app(make_app, at_fake):
    return supervised_app(make_app, at_fake)


HELP_QUESTION = "ya kelk1 pr m'aider"
"""Texting shorthand for "is there someone to help me": today's model reads it as out of
scope (the service does not answer it)."""


def label(supervisor: Console, text: str, intent: str, procedure: str = "",
          aspect: str = "") -> None:
    done = supervisor.client.post("/agent/insights/label", data={
        "text": text, "lang": "fr", "intent": intent, "procedure": procedure,
        "aspect": aspect, "csrf_token": supervisor.token}, headers={"Accept": "application/json"})
    assert done.status_code == 200, done.text


def test_labels_become_annotated_training_data_and_the_new_model_answers(
        ins_app, at_fake, tmp_path, monkeypatch, capsys):
    fake, _ = at_fake
    sms(ins_app, fake, "+2290197000401", HELP_QUESTION)
    supervisor = Console(ins_app, "eve")
    before = supervisor.json("/agent/insights.json?learning=1").get_json()["learning"]
    assert before["last_week_unanswered"] == 1 and before["now_answered"] == 0
    masked = supervisor.json("/agent/insights.json").get_json()["unanswered"][0]["text"]
    assert masked == "ya kelk# pr m'aider"
    # three labels: the unanswered question, a procedure question, a label whose words are
    # not in its text (kept with the intent only, and the export says so)
    label(supervisor, masked, "help")
    label(supervisor, "combien pour le casier judiciaire svp", "ask_procedure",
          "casier-judiciaire", "cost")
    label(supervisor, "le passeport ca prend cb de temps", "ask_procedure", "passeport", "delay")
    label(supervisor, "et pour mon cousin aussi", "ask_procedure", "passeport", "cost")
    label(supervisor, "recette du gateau", "out_of_scope")

    data = tmp_path / "data"
    data.mkdir()
    for path in training_files():
        if path.name != "labelled.yml":
            shutil.copy(path, data)
    engine = ins_app.extensions["guichet"].desk.engine
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert labelled_cli.main(["--out", str(data / "labelled.yml")]) == 0
    said = capsys.readouterr().out
    assert "'et pour mon cousin aussi': procedure=passeport, aspect=cost not found" in said
    assert "5 labelled questions written" in said and "(4 with every entity annotated)" in said
    body = (data / "labelled.yml").read_text(encoding="utf-8")
    assert ('- [combien]{"entity": "aspect", "value": "cost"} pour le [casier judiciaire]'
            '{"entity": "procedure", "value": "casier-judiciaire"} svp') in body
    assert "- le [passeport](procedure) ca [" in body
    # the project's Rasa loader reads it: intents, languages, entity spans
    examples = {e.text: e for e in load_file(data / "labelled.yml")}
    assert {t: e.intent for t, e in examples.items()} == {
        "ya kelk# pr m'aider": "help", "combien pour le casier judiciaire svp": "ask_procedure",
        "le passeport ca prend cb de temps": "ask_procedure",
        "et pour mon cousin aussi": "ask_procedure", "recette du gateau": "out_of_scope"}
    assert examples["combien pour le casier judiciaire svp"].entities == (
        Span("aspect", "cost", 0, 7), Span("procedure", "casier-judiciaire", 16, 33))
    passport = examples["le passeport ca prend cb de temps"]
    assert [(s.entity, s.value) for s in passport.entities] == [("procedure", "passeport"),
                                                                ("aspect", "delay")]
    assert examples["et pour mon cousin aussi"].entities == ()
    assert all(e.language == "fr" and e.style == "labelled" for e in examples.values())

    # the embedded trainer picks the file up (every *.yml of the data directory), and the
    # retrained model answers last week's question: the page shows it
    assert data / "labelled.yml" in training_files(data)
    model = EmbeddedNLU.train(data_dir=data)
    ins_app.extensions["guichet"].nlu.service.embedded = model
    page = supervisor.client.get("/agent/insights?days=7")
    assert re.search(r'<strong data-figure="last-week-unanswered">1</strong>.*'
                     r'<strong data-figure="now-answered">1</strong> \(1 étiquetées\)',
                     page.text, re.S)
    after = supervisor.json("/agent/insights.json?learning=1").get_json()["learning"]
    assert after["now_answered"] == 1 and after["labelled"] == 1
    assert (after["from"], after["to"]) == (before["from"], before["to"])


def test_annotation_finds_the_words_or_says_it_did_not():
    extract = learning.default_extractor()
    line, missing = learning.annotate("[nom][nom] veut le passeport", "passeport", None,
                                      extract)
    assert line == "[nom] [nom] veut le [passeport](procedure)" and missing == []
    line, missing = learning.annotate("bonjour", "passeport", "cost", extract)
    assert line == "bonjour" and missing == ["procedure=passeport", "aspect=cost"]
