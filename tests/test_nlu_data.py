"""The training data and the held-out set: formats, coverage, and that they never overlap."""

import yaml

from nlu.embedded import training_files
from nlu.evaluate import HELDOUT
from nlu.lexicon import DATA_DIR, build_lexicon
from nlu.normalize import strip_diacritics
from nlu.trainingdata import load_examples, load_file, parse_annotated

INTENTS = {"ask_procedure", "start_eservice", "track_request", "human_handoff",
           "change_language", "greet", "goodbye", "thanks", "help", "affirm", "deny",
           "out_of_scope"}
SLUGS = {"casier-judiciaire", "passeport", "cip", "carte-identite", "carte-npi", "acte-naissance",
         "certificat-nationalite", "certificat-residence", "creation-entreprise",
         "permis-conduire", "acte-mariage", "acte-deces", "visa", "ifu", "legalisation",
         "permis-construire"}


def _key(text: str) -> str:
    return " ".join(strip_diacritics(text).split()).strip(" ?!.")


def test_heldout_never_appears_in_training_data():
    trained = {_key(ex.text) for ex in load_examples(training_files())}
    leaked = [ex.text for ex in load_file(HELDOUT) if _key(ex.text) in trained]
    assert leaked == []


def test_files_are_rasa_3_1_nlu_yaml():
    for path in [*training_files(), HELDOUT]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["version"] == "3.1", path
        assert isinstance(doc["nlu"], list) and doc["nlu"], path


def test_every_intent_language_and_slug_is_covered():
    examples = load_examples(training_files())
    assert {ex.intent for ex in examples} == INTENTS
    assert {ex.language for ex in examples} >= {"fr", "en", "fon", "yo"}
    annotated = {s.value for ex in examples for s in ex.entities if s.entity == "procedure"}
    assert annotated == SLUGS
    assert {s.entity for ex in examples for s in ex.entities} == {
        "procedure", "aspect", "reference", "language"}
    assert len(examples) >= 800
    assert len({_key(ex.text) for ex in examples}) >= 0.95 * len(examples)  # no template mills


def test_fon_and_yoruba_are_marked_unreviewed():
    for ex in load_examples(training_files()):
        if ex.language in ("fon", "yo"):
            assert ex.reviewed is False, ex.text


def test_no_generated_lexicon_is_committed():
    assert not (DATA_DIR / "lexicon.yml").exists()


def test_lexicon_of_the_shipped_catalogue_covers_every_slug():
    lexicon = build_lexicon()
    assert set(lexicon.procedures) == SLUGS
    assert all(len(names) >= 3 for names in lexicon.procedures.values())
    assert set(lexicon.languages) >= {"fr", "en", "fon", "yo"}


def test_annotation_parser():
    text, spans = parse_annotated(
        'le [cip]{"entity": "procedure", "value": "cip"} [cb]{"entity": "aspect", "value": "cost"}')
    assert text == "le cip cb"
    assert [(s.entity, s.value, text[s.start:s.end]) for s in spans] == [
        ("procedure", "cip", "cip"), ("aspect", "cost", "cb")]
