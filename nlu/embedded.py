"""The embedded NLU model: language, intent and entities in-process, in well under a millisecond.

It trains in a few seconds from the Rasa-format data in ``nlu/data`` and needs no download, so
it is the default on every channel and the fallback when a Rasa server is down. ``make
nlu-train`` writes it to ``var/nlu-model.pkl`` with a fingerprint of the data and code it was
built from; :func:`load_or_train` reuses that file only while the fingerprint still matches, and
otherwise trains in memory (and rewrites the file when it can).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nlu.entities import Entity, EntityExtractor
from nlu.intents import IntentClassifier
from nlu.langid import LanguageIdentifier
from nlu.languages import normalise_code
from nlu.lexicon import DATA_DIR, NLU_DIR, REPO_DIR, read_lexicon
from nlu.matcher import TOKEN
from nlu.normalize import classifier_text, strip_diacritics
from nlu.trainingdata import Example, load_examples

log = logging.getLogger(__name__)

ARTEFACT = REPO_DIR / "var" / "nlu-model.pkl"

# Placeholders that replace entity mentions before intent classification.
_MASKS = {"procedure": " zproc ", "reference": " zref ", "npi": " znpi ", "language": " zlang "}

# Source files whose change changes what training produces.
_CODE = ("normalize.py", "matcher.py", "entities.py", "intents.py", "langid.py", "embedded.py",
         "lexicon.py", "trainingdata.py")


def training_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The Rasa YAML files the model learns from (all of ``nlu/data``)."""
    return sorted(data_dir.glob("*.yml"))


def fingerprint(data_dir: Path = DATA_DIR) -> str:
    """A hash of the training data, the lexicon resources, our code and scikit-learn's version."""
    digest = hashlib.sha256(importlib.metadata.version("scikit-learn").encode())
    paths = training_files(data_dir) + sorted((NLU_DIR / "resources").glob("*.yml"))
    paths += [NLU_DIR / name for name in _CODE]
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def mask_entities(text: str, entities: list[Entity]) -> str:
    """Replace entity mentions by placeholders so the intent model generalises across values."""
    out, pos = [], 0
    spans = sorted((e.start, e.end, e.entity) for e in entities
                   if e.start is not None and e.end is not None and e.entity in _MASKS)
    for start, end, kind in spans:
        if start < pos:
            continue
        out += [text[pos:start], _MASKS[kind]]
        pos = end
    out.append(text[pos:])
    return "".join(out)


NAMED = ("procedure", "reference", "npi")
"""Entities written the same whatever the language of the message around them."""


def names(entities: list[Entity]) -> list[tuple[int, int]]:
    """Spans of the names in a message that say nothing of its language (see :data:`NAMED`)."""
    return [(e.start, e.end) for e in entities
            if e.entity in NAMED and e.start is not None and e.end is not None]


def ordinary_words(examples: list[Example]) -> frozenset[str]:
    """Words of 4+ letters the training data uses outside procedure and language annotations:
    they are ordinary words, so a near miss on them ("passer") must not read as a procedure."""
    words: set[str] = set()
    for ex in examples:
        text, pos = [], 0
        for span in sorted(ex.entities, key=lambda s: s.start):
            if span.entity in ("procedure", "language"):
                text.append(ex.text[pos:span.start])
                pos = span.end
        text.append(ex.text[pos:])
        words.update(w for w in TOKEN.findall(strip_diacritics(" ".join(text))) if len(w) >= 4)
    return frozenset(words)


@dataclass
class EmbeddedNLU:
    """Everything needed to parse a message, trained together."""

    extractor: EntityExtractor
    langid: LanguageIdentifier
    intents: IntentClassifier
    fingerprint: str = ""
    train_seconds: float = 0.0
    info: dict = field(default_factory=dict)

    @classmethod
    def train(cls, examples: list[Example] | None = None, data_dir: Path = DATA_DIR,
              threshold: float = 0.3) -> EmbeddedNLU:
        """Train from ``examples`` (default: every example of ``data_dir``)."""
        started = time.perf_counter()
        if examples is None:
            examples = load_examples(training_files(data_dir))
        extractor = EntityExtractor(read_lexicon(data_dir / "lexicon.yml"),
                                    ordinary_words(examples))
        texts = [classifier_text(mask_entities(ex.text, extractor.extract(ex.text)))
                 for ex in examples]
        intents = IntentClassifier(threshold=threshold).fit(texts, [ex.intent for ex in examples])
        langid = LanguageIdentifier().fit([ex.text for ex in examples],
                                          [ex.language for ex in examples])
        model = cls(extractor, langid, intents)
        model.train_seconds = time.perf_counter() - started
        model.info = {"examples": len(examples)}
        return model

    def parse(self, text: str, lang: str | None = None) -> dict:
        """The contract's parse result for ``text``.

        ``lang`` is the language the user chose and we remembered (USSD menu, "LANGUE"): it wins
        over identification and is returned with confidence 1.0, since it is the user's word,
        not a guess. An unknown code raises ``ValueError`` (the HTTP layer answers 400).
        """
        language: dict = {}
        if lang is not None:
            code = normalise_code(lang)
            if code is None:
                raise ValueError(f"unknown language code: {lang!r}")
            language = {"code": code, "confidence": 1.0}
        entities = self.extractor.extract(text)
        if lang is None:
            code, confidence = self.langid.identify(text, names(entities))
            language = {"code": code, "confidence": confidence}
        ranking = self.intents.rank(classifier_text(mask_entities(text, entities)))
        name, confidence = ranking[0]
        return {
            "text": text,
            "intent": {"name": name, "confidence": round(confidence, 4)},
            "intent_ranking": [{"name": n, "confidence": round(c, 4)} for n, c in ranking],
            "entities": [e.as_dict() for e in entities],
            "language": language,
        }

    def save(self, path: Path = ARTEFACT) -> None:
        """Write the model atomically (a worker may be reading the old one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)


def load_or_train(path: Path = ARTEFACT, data_dir: Path = DATA_DIR,
                  train: Callable[..., EmbeddedNLU] | None = None) -> EmbeddedNLU:
    """The artefact at ``path`` if it was built from the current data and code, else a model
    trained now by ``train`` (default :meth:`EmbeddedNLU.train`) and saved to ``path`` when the
    directory is writable."""
    current = fingerprint(data_dir)
    if path.exists():
        try:
            with path.open("rb") as fh:
                model = pickle.load(fh)  # our own artefact, written by save()
            if isinstance(model, EmbeddedNLU) and model.fingerprint == current:
                return model
            log.info("nlu: %s is stale, retraining", path)
        except Exception as exc:  # a truncated or incompatible file must not stop the service
            log.warning("nlu: cannot load %s (%s), retraining", path, exc)
    model = (train or EmbeddedNLU.train)(data_dir=data_dir)
    model.fingerprint = current
    try:
        model.save(path)
    except OSError as exc:
        log.warning("nlu: cannot write %s (%s); the model stays in memory", path, exc)
    return model
