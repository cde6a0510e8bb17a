"""With RASA_URL set, Rasa answers; when it is down, slow or garbled, the embedded model does."""

import socket
import time

import pytest

from nlu.rasa_client import RasaError, to_contract
from nlu.service import NluService
from nlu.testing import fake_rasa, shared_model


def rasa_body(text: str) -> dict:
    return {
        "text": text,
        "intent": {"name": "ask_procedure", "confidence": 0.88},
        "intent_ranking": [{"name": "ask_procedure", "confidence": 0.88},
                           {"name": "greet", "confidence": 0.1}],
        "entities": [
            {"entity": "procedure", "value": "passeport", "start": 0, "end": 7,
             "confidence_entity": 0.97, "extractor": "DIETClassifier"},
            {"entity": "reference", "value": "sp 2026 000123", "start": 8, "end": 22},
            {"entity": "something_else", "value": "x", "start": 0, "end": 1},
        ],
    }


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service(url: str, **kwargs) -> NluService:
    return NluService(rasa_url=url, timeout=kwargs.pop("timeout", 0.3),
                      retry_after=kwargs.pop("retry_after", 0.0), loader=shared_model)


def test_rasa_answer_is_used_with_our_language():
    with fake_rasa(rasa_body) as url:
        svc = service(url)
        r = svc.parse("pasport sp 2026 000123 combien")
    assert r["intent"] == {"name": "ask_procedure", "confidence": 0.88}
    assert r["entities"][0] == {"entity": "procedure", "value": "passeport", "start": 0,
                                "end": 7, "confidence": 0.97}
    assert r["entities"][1]["value"] == "SP-2026-000123"
    assert len(r["entities"]) == 2
    assert r["language"]["code"] == "fr"
    assert svc.fallbacks == 0


def test_closed_port_falls_back_to_embedded():
    svc = service(f"http://127.0.0.1:{closed_port()}")
    r = svc.parse("pasport prix")
    assert r["intent"]["name"] == "ask_procedure"
    assert {"passeport"} == {e["value"] for e in r["entities"] if e["entity"] == "procedure"}
    assert svc.fallbacks == 1


def test_slow_rasa_falls_back_within_the_timeout():
    with fake_rasa(rasa_body, delay=1.0) as url:
        svc = service(url, timeout=0.2)
        started = time.perf_counter()
        r = svc.parse("kmt avoir mon cazier stp")
        elapsed = time.perf_counter() - started
    assert elapsed < 0.8
    assert r["entities"][0]["value"] == "casier-judiciaire"
    assert svc.fallbacks == 1


@pytest.mark.parametrize("kwargs", [
    {"raw": b"<html>oops</html>"},
    {"body": {"intent": {"name": "weird_intent", "confidence": 0.9}}},
    {"body": {"intent": "greet"}},
    {"body": [1, 2, 3]},
    {"body": {"error": "model not ready"}, "status": 500},
])
def test_garbled_rasa_falls_back(kwargs):
    with fake_rasa(**kwargs) as url:
        svc = service(url)
        r = svc.parse("bonjour")
    assert r["intent"]["name"] == "greet"
    assert svc.fallbacks == 1


def test_after_a_failure_rasa_is_left_alone_for_a_while():
    svc = service(f"http://127.0.0.1:{closed_port()}", retry_after=60.0)
    svc.parse("bonjour")
    with fake_rasa(rasa_body) as url:
        svc.rasa.url = url + "/model/parse"
        r = svc.parse("bonjour")
    assert r["intent"]["name"] == "greet"  # the embedded model answered, Rasa was skipped
    assert svc.fallbacks == 2


def test_nlu_fallback_becomes_out_of_scope():
    body = {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": []}
    assert to_contract("zzz", body)["intent"]["name"] == "out_of_scope"
    with pytest.raises(RasaError):
        to_contract("zzz", {"intent": {"name": "greet"}})


def test_the_application_nlu_reads_rasa_url(make_app):
    """RASA_URL reaches the NLU through Settings (validated once), not a module global."""
    app = make_app(RASA_URL=f"http://127.0.0.1:{closed_port()}")
    understanding = app.extensions["nlu"]
    assert understanding is app.extensions["guichet"].nlu
    svc = understanding.service
    assert svc.rasa is not None and understanding.service is svc
    assert understanding.parse("merci beaucoup")["intent"]["name"] == "thanks"
    assert svc.fallbacks == 1
