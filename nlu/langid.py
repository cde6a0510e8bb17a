"""Language identification for fr, en, fon and yo with character n-grams.

Off-the-shelf identifiers do not know Fon (facts/languages.md), so we train our own on the NLU
examples, whose language is in their metadata. Each line is also seen without diacritics, because
many users type "a fon a" for "a fɔn à". Short texts carry little evidence, so the confidence is
scaled down for one- or two-word messages; the caller decides what to do with a low confidence
(a remembered user choice always wins, see :meth:`nlu.embedded.EmbeddedNLU.parse`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from nlu.fastlinear import CompiledLinear, compile_pipeline
from nlu.languages import DEFAULT, IDENTIFIED
from nlu.normalize import fold, strip_diacritics

_WORD = re.compile(r"[^\W\d_]+")
_PUNCTUATION = re.compile(r"[^\w\s\u0300-\u036f]+")


def _length_factor(text: str) -> float:
    """1.0 from three words on; 0.6 for one word, 0.8 for two; less for very short words."""
    words = _WORD.findall(text)
    letters = sum(len(w) for w in words)
    factor = min(1.0, 0.4 + 0.2 * len(words))
    return factor * min(1.0, 0.5 + letters / 16)


class LanguageIdentifier:
    """A TF-IDF character n-gram logistic regression over folded text."""

    def __init__(self) -> None:
        self.model = None
        """The fitted scikit-learn pipeline; not saved with the model (see __getstate__)."""
        self._fast: CompiledLinear | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "model": None}

    def fit(self, texts: list[str], languages: list[str]) -> LanguageIdentifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        pairs = [(t, lang) for t, lang in zip(texts, languages, strict=True) if lang in IDENTIFIED]
        x = [fold(t) for t, _ in pairs] + [strip_diacritics(t) for t, _ in pairs]
        y = [lang for _, lang in pairs] * 2
        self.model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True,
                            dtype=np.float32),
            LogisticRegression(C=20.0, max_iter=2000),
        ).fit(x, y)
        self._fast = compile_pipeline(self.model)
        return self

    def _compiled(self) -> CompiledLinear:
        if self._fast is None:
            raise RuntimeError("the model is not fitted: call fit() or load a trained model")
        return self._fast

    def identify(self, text: str,
                 ignore: Iterable[tuple[int, int]] = ()) -> tuple[str, float]:
        """``(code, confidence)``; a text without letters gets the default language at 0.

        ``ignore``: spans of names that are written the same in every language (a procedure's
        name is French in a Fon or English question).  The language is read from the other
        words when there are any, the confidence still scaled by the whole message's length:
        "Nɛ̌ nú casier judiciaire ?" is Fon words around a French name, not French.
        """
        if not _WORD.search(text):
            return DEFAULT, 0.0
        rest = text
        for start, end in sorted(ignore, reverse=True):
            rest = rest[:start] + " " + rest[end:]
        rest = _PUNCTUATION.sub(" ", rest).strip()
        fast = self._compiled()
        probs = fast.predict_proba(fold(rest if _WORD.search(rest) else text))
        best = int(np.argmax(probs))
        code = fast.classes[best]
        return code, round(float(probs[best]) * _length_factor(text), 3)
