"""Intent classification: TF-IDF character and word n-grams, logistic regression.

Character n-grams (within word boundaries) carry most of the signal for SMS spellings, typos and
words run together; word n-grams add phrase cues ("ou en est", "how much"). Entity mentions are
masked before classification (see :func:`nlu.embedded.mask_entities`), so the model learns
"combien coute le zproc" once instead of once per procedure. Logistic regression gives usable
probabilities directly, which the fallback threshold needs. scikit-learn is imported only to
train: the saved model keeps the compiled form (:mod:`nlu.fastlinear`).
"""

from __future__ import annotations

import numpy as np

from nlu.fastlinear import CompiledLinear, compile_pipeline

OUT_OF_SCOPE = "out_of_scope"


def build_pipeline(c: float = 10.0):
    """The untrained scikit-learn pipeline (kept separate so evaluation can cross-validate it)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                        dtype=np.float32),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"[a-z0-9?]+",
                        sublinear_tf=True, dtype=np.float32),
    )
    return make_pipeline(features, LogisticRegression(C=c, max_iter=3000,
                                                      class_weight="balanced"))


class IntentClassifier:
    """Ranks intents for a normalised, entity-masked text, with an out-of-scope fallback."""

    def __init__(self, threshold: float = 0.3, c: float = 10.0) -> None:
        self.threshold = threshold
        """Below this top probability the message is treated as out of scope."""
        self.c = c
        self.model = None
        """The fitted scikit-learn pipeline; not saved with the model (see __getstate__)."""
        self._fast: CompiledLinear | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "model": None}

    def fit(self, texts: list[str], intents: list[str]) -> IntentClassifier:
        self.model = build_pipeline(self.c).fit(texts, intents)
        self._fast = compile_pipeline(self.model)
        return self

    def _compiled(self) -> CompiledLinear:
        if self._fast is None:
            raise RuntimeError("the model is not fitted: call fit() or load a trained model")
        return self._fast

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Intents with probabilities, best first, after the fallback rule."""
        fast = self._compiled()
        probs = fast.predict_proba(text)
        order = np.argsort(-probs)
        ranking = [(fast.classes[i], float(probs[i])) for i in order]
        name, top = ranking[0]
        if top < self.threshold and name != OUT_OF_SCOPE:
            # Not sure enough of anything: out of scope, with the model's doubt as confidence.
            rest = [r for r in ranking if r[0] != OUT_OF_SCOPE]
            ranking = [(OUT_OF_SCOPE, 1.0 - top), *rest]
        return ranking
