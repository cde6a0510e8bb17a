"""POST /api/v1/parse: the contract's response, and 400 (never 5xx) for bad input."""

import pytest
from flask import Flask

from channels.parse import bp
from nlu import Nlu
from nlu.testing import shared_model


@pytest.fixture(scope="module")
def client():
    app = Flask(__name__)
    app.register_blueprint(bp)
    app.extensions["nlu"] = Nlu(loader=shared_model)
    return app.test_client()


def test_parse_answers_the_contract_shape(client):
    response = client.post("/api/v1/parse", json={"text": "combien coute le casier"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"text", "intent", "intent_ranking", "entities", "language"}
    assert body["intent"]["name"] == "ask_procedure"
    assert {"entity": "aspect", "value": "cost"}.items() <= body["entities"][0].items()
    assert any(e["entity"] == "procedure" and e["value"] == "casier-judiciaire"
               and (e["start"], e["end"]) == (17, 23) for e in body["entities"])
    assert body["language"]["code"] == "fr"


def test_lang_given_wins(client):
    body = client.post("/api/v1/parse", json={"text": "passeport", "lang": "yo"}).get_json()
    assert body["language"] == {"code": "yo", "confidence": 1.0}
    body = client.post("/api/v1/parse", json={"text": "passeport", "lang": None}).get_json()
    assert body["language"]["code"] in {"fr", "en", "fon", "yo"}


@pytest.mark.parametrize("kwargs", [
    {"data": "text=bonjour", "content_type": "application/x-www-form-urlencoded"},
    {"data": "{not json", "content_type": "application/json"},
    {"json": ["bonjour"]},
    {"json": {}},
    {"json": {"text": ""}},
    {"json": {"text": "   "}},
    {"json": {"text": 42}},
    {"json": {"text": None}},
    {"json": {"text": "x" * 1001}},
    {"json": {"text": "bonjour", "lang": "klingon"}},
    {"json": {"text": "bonjour", "lang": 3}},
])
def test_bad_input_is_a_400_with_an_error(client, kwargs):
    response = client.post("/api/v1/parse", **kwargs)
    assert response.status_code == 400
    assert isinstance(response.get_json()["error"], str)


def test_text_of_exactly_1000_characters_is_accepted(client):
    assert client.post("/api/v1/parse", json={"text": "a " * 500}).status_code == 200
