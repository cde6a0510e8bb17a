"""Single-text inference for a fitted TF-IDF + logistic regression pipeline, without sklearn.

scikit-learn does the learning. At run time, though, it costs twice: importing it adds about
70 MB to a worker (the issue allows the model 100 MB), and for one short message its
``transform`` spends most of its time building and validating sparse matrices (about 0.8 ms for
two vectorisers, a good part of the 2 ms budget). :func:`compile_pipeline` copies the fitted
parameters into plain Python and numpy objects: the analyser settings (character n-grams within
word boundaries, or word n-grams from a token pattern, as scikit-learn defines them), the
vocabulary, the idf weights and the coefficients. :class:`CompiledLinear` then applies them: tf
(sublinear), idf, L2 normalisation per vectoriser, a dot product and a softmax. A test checks it
agrees with ``predict_proba``; :func:`compile_pipeline` refuses settings it does not reproduce.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

_WHITESPACES = re.compile(r"\s\s+")


@dataclass
class _Analyser:
    """scikit-learn's ``char_wb`` or ``word`` analyser for the settings we use."""

    kind: str
    min_n: int
    max_n: int
    lowercase: bool
    token_pattern: re.Pattern | None

    def __call__(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        return self._char_wb(text) if self.kind == "char_wb" else self._words(text)

    def _char_wb(self, text: str) -> list[str]:
        grams = []
        for word in _WHITESPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(self.min_n, self.max_n + 1):
                if len(padded) <= n:  # a short word counts once, whole
                    grams.append(padded)
                    break
                grams += [padded[i:i + n] for i in range(len(padded) - n + 1)]
        return grams

    def _words(self, text: str) -> list[str]:
        assert self.token_pattern is not None, "word analyzer without a token pattern"
        tokens = self.token_pattern.findall(text)
        grams = list(tokens) if self.min_n == 1 else []
        for n in range(max(2, self.min_n), self.max_n + 1):
            grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return grams


@dataclass
class _Vectoriser:
    """One fitted TfidfVectorizer's parameters, applied to a single text."""

    analyse: _Analyser
    vocabulary: dict[str, int]
    idf: np.ndarray
    sublinear: bool
    offset: int

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and tf-idf values (L2-normalised) of ``text``."""
        cols, tfs = [], []
        for term, n in Counter(self.analyse(text)).items():
            col = self.vocabulary.get(term)
            if col is not None:
                cols.append(col)
                tfs.append(n)
        if not cols:
            return np.empty(0, dtype=np.intp), np.empty(0)
        idx = np.fromiter(cols, dtype=np.intp, count=len(cols))
        tf = np.fromiter(tfs, dtype=np.float64, count=len(tfs))
        if self.sublinear:
            tf = 1.0 + np.log(tf)
        values = tf * self.idf[idx]
        values /= np.sqrt(values @ values)
        return idx + self.offset, values


@dataclass
class CompiledLinear:
    """``predict_proba`` for one text; holds only Python and numpy objects."""

    parts: list[_Vectoriser]
    classes: list[str]
    coef_t: np.ndarray
    """Coefficients as (features, classes): one row gather per text."""
    intercept: np.ndarray

    def predict_proba(self, text: str) -> np.ndarray:
        scores = self.intercept.copy()
        for part in self.parts:
            idx, values = part.features(text)
            if idx.size:
                scores += values @ self.coef_t[idx]
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()


def _compile_vectoriser(vec, offset: int) -> _Vectoriser:
    supported = (
        vec.analyzer in ("char_wb", "word") and vec.norm == "l2" and vec.use_idf
        and not vec.binary and vec.preprocessor is None and vec.tokenizer is None
        and vec.strip_accents is None and vec.stop_words is None and vec.input == "content"
    )
    if not supported:
        raise ValueError(f"cannot compile this vectoriser: {vec!r}")
    pattern = re.compile(vec.token_pattern) if vec.analyzer == "word" else None
    if pattern is not None and pattern.groups > 1:
        raise ValueError("token_pattern with more than one group")
    analyser = _Analyser(vec.analyzer, vec.ngram_range[0], vec.ngram_range[1], vec.lowercase,
                         pattern)
    return _Vectoriser(analyser, dict(vec.vocabulary_), vec.idf_.astype(np.float64),
                       vec.sublinear_tf, offset)


def compile_pipeline(pipeline) -> CompiledLinear:
    """Compile a fitted ``Pipeline(TfidfVectorizer | FeatureUnion of them, LogisticRegression)``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    features, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    if not isinstance(model, LogisticRegression):
        raise TypeError("the last step must be a LogisticRegression")
    vecs = ([t for _, t in features.transformer_list] if isinstance(features, FeatureUnion)
            else [features])
    parts, offset = [], 0
    for vec in vecs:
        parts.append(_compile_vectoriser(vec, offset))
        offset += len(vec.vocabulary_)
    coef = model.coef_.astype(np.float64)
    intercept = model.intercept_.astype(np.float64)
    if coef.shape[0] == 1:  # binary: one row for the positive class; softmax([0, z]) = sigmoid
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    return CompiledLinear(parts, [str(c) for c in model.classes_],
                          np.ascontiguousarray(coef.T), intercept)
