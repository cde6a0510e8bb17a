"""The embedded model end to end: what citizens write, and the contract's shape."""

import time

import numpy as np
import pytest

from nlu.embedded import EmbeddedNLU, fingerprint, load_or_train
from nlu.evaluate import HELDOUT, score
from nlu.testing import shared_model
from nlu.trainingdata import load_file

INTENTS = {"ask_procedure", "start_eservice", "track_request", "human_handoff",
           "change_language", "greet", "goodbye", "thanks", "help", "affirm", "deny",
           "out_of_scope"}


@pytest.fixture(scope="module")
def model() -> EmbeddedNLU:
    return shared_model()


def entity_values(result: dict, name: str) -> list[str]:
    return [e["value"] for e in result["entities"] if e["entity"] == name]


def test_contract_shape(model):
    text = "combien coute le casier"
    r = model.parse(text)
    assert set(r) == {"text", "intent", "intent_ranking", "entities", "language"}
    assert r["text"] == text
    assert set(r["intent"]) == {"name", "confidence"}
    assert r["intent"]["name"] in INTENTS
    assert 0.0 <= r["intent"]["confidence"] <= 1.0
    assert r["intent_ranking"][0] == r["intent"]
    assert {i["name"] for i in r["intent_ranking"]} == INTENTS
    assert set(r["language"]) == {"code", "confidence"}
    proc = next(e for e in r["entities"] if e["entity"] == "procedure")
    assert proc == {"entity": "procedure", "value": "casier-judiciaire", "start": 17, "end": 23,
                    "confidence": proc["confidence"]}
    assert text[proc["start"]:proc["end"]] == "casier"


def test_cost_question_gets_the_cost(model):
    r = model.parse("Combien coûte un extrait d'acte de naissance ?")
    assert r["intent"]["name"] == "ask_procedure"
    assert entity_values(r, "procedure") == ["acte-naissance"]
    assert entity_values(r, "aspect") == ["cost"]
    assert r["language"]["code"] == "fr"


def test_sms_french(model):
    r = model.parse("kmt avoir mon cazier stp")
    assert r["intent"]["name"] == "ask_procedure"
    assert entity_values(r, "procedure") == ["casier-judiciaire"]
    r = model.parse("pasport prix")
    assert entity_values(r, "procedure") == ["passeport"]
    assert entity_values(r, "aspect") == ["cost"]


def test_yoruba_passport(model):
    r = model.parse("Mo fẹ́ gba ìwé ìrìnnà")
    assert r["language"]["code"] == "yo"
    assert entity_values(r, "procedure") == ["passeport"]
    assert r["intent"]["name"] == "ask_procedure"


def test_fon_birth_certificate(model):
    r = model.parse("jiji wémá")
    assert r["language"]["code"] == "fon"
    assert entity_values(r, "procedure") == ["acte-naissance"]


@pytest.mark.parametrize("text,intent", [
    ("Où en est ma demande SP-2026-000123 ?", "track_request"),
    ("je veux parler à un agent", "human_handoff"),
    ("en anglais svp", "change_language"),
    ("Bonjour", "greet"), ("A fɔn à", "greet"), ("Ẹ kú àárọ̀", "greet"),
    ("merci beaucoup", "thanks"), ("Ẹ ṣé", "thanks"),
    ("au revoir", "goodbye"), ("aide", "help"), ("oui", "affirm"), ("non", "deny"),
    ("Je veux faire ma demande de casier maintenant", "start_eservice"),
])
def test_intents(model, text, intent):
    assert model.parse(text)["intent"]["name"] == intent


def test_reference_in_a_tracking_question(model):
    r = model.parse("ma demande sp 2026 000123 c pret ?")
    assert r["intent"]["name"] == "track_request"
    assert entity_values(r, "reference") == ["SP-2026-000123"]


@pytest.mark.parametrize("junk", ["asdfghjkl", "qsdfqsdf zzz", "!!!", "123", "xkcd wqpz"])
def test_junk_is_out_of_scope(model, junk):
    assert model.parse(junk)["intent"]["name"] == "out_of_scope"


def test_remembered_language_wins(model):
    r = model.parse("passeport", lang="fon")
    assert r["language"] == {"code": "fon", "confidence": 1.0}
    assert model.parse("passeport", lang="yo_BJ")["language"]["code"] == "yo"
    with pytest.raises(ValueError):
        model.parse("passeport", lang="xx")


def test_short_text_has_lower_language_confidence(model):
    short = model.parse("ok")["language"]["confidence"]
    long = model.parse("Bonjour, je voudrais savoir combien coûte le passeport")["language"]
    assert long["code"] == "fr" and short < long["confidence"]


def test_heldout_accuracy():
    """Generalisation: the held-out set is never trained on (see test_nlu_data)."""
    report = score(shared_model().parse, load_file(HELDOUT), rounds=1)
    assert report.intent_accuracy >= 0.92, report.errors
    assert report.procedure_accuracy >= 0.92, report.errors
    assert report.language_accuracy >= 0.9, report.errors


def test_parse_latency(model):
    texts = ["bonjour je voudrais savoir combien coute le passeport et ou le faire svp",
             "kmt avoir mon cazier stp", "Mo fẹ́ gba ìwé ìrìnnà", "SP-2026-000123"]
    timings = []
    for _ in range(100):
        for text in texts:
            started = time.perf_counter()
            model.parse(text)
            timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] <= 0.002  # p50 <= 2 ms (the budget)


def test_fast_inference_agrees_with_scikit_learn(model):
    for text in ["combien coute le zproc ?", "", "bonjour", "je veux zproc s il vous plait"]:
        fast = model.intents._fast.predict_proba(text)
        slow = model.intents.model.predict_proba([text])[0]
        assert np.allclose(fast, slow, atol=1e-6)
        fast = model.langid._fast.predict_proba(text)
        slow = model.langid.model.predict_proba([text])[0]
        assert np.allclose(fast, slow, atol=1e-6)


def test_artefact_is_reused_then_rebuilt_when_stale(tmp_path):
    trainings = []

    def train(**kwargs):  # the trained model of this test process, counted
        trainings.append(kwargs)
        return shared_model()

    path = tmp_path / "nlu-model.pkl"
    first = load_or_train(path, train=train)
    assert path.exists() and first.fingerprint == fingerprint() and len(trainings) == 1
    again = load_or_train(path, train=train)
    assert len(trainings) == 1  # loaded, not retrained
    assert again.intents.model is None  # the saved form holds no scikit-learn object
    assert again.parse("pasport prix") == first.parse("pasport prix")
    first.fingerprint = "stale"
    first.save(path)
    assert load_or_train(path, train=train).fingerprint == fingerprint() and len(trainings) == 2
    path.write_bytes(b"not a pickle")
    assert load_or_train(path, train=train).parse("bonjour")["intent"]["name"] == "greet"
    assert len(trainings) == 3


def test_parse_is_thread_safe(model):
    from concurrent.futures import ThreadPoolExecutor

    texts = ["pasport prix", "Mo fẹ́ gba ìwé ìrìnnà", "où en est SP-2026-000123", "bonjour"] * 50
    expected = [model.parse(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(model.parse, texts)) == expected


def test_a_worker_loads_the_model_without_scikit_learn_in_little_memory(model):
    from nlu.evaluate import worker_footprint

    megabytes, sklearn_loaded = worker_footprint(model)
    assert not sklearn_loaded
    assert megabytes < 100
