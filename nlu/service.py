"""The NLU entry point: Rasa when ``RASA_URL`` is set and answering, the embedded model otherwise.

The embedded model is always loaded: it identifies the language (Rasa does not), and it answers
whenever Rasa is down, slow or garbled. After a failure Rasa is left alone for ``retry_after``
seconds, so that a dead server costs one timeout, not one per message. Every fallback is logged
as a warning, counted on the instance and in the ``guichet_nlu_rasa_fallback_total`` metric.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import Counter

from nlu.embedded import EmbeddedNLU, load_or_train, names
from nlu.languages import normalise_code
from nlu.rasa_client import RasaClient, RasaError

log = logging.getLogger(__name__)

RASA_FALLBACKS = Counter(
    "guichet_nlu_rasa_fallback_total",
    "Messages parsed by the embedded NLU because Rasa failed or was being left alone",
    ["reason"],
)


class NluService:
    """Parses messages; thread-safe (the models are read-only once built)."""

    def __init__(self, rasa_url: str | None = None, timeout: float = 0.3,
                 retry_after: float = 10.0,
                 loader: Callable[[], EmbeddedNLU] | None = None) -> None:
        self.embedded = (loader or load_or_train)()
        self.rasa = RasaClient(rasa_url, timeout) if rasa_url else None
        self.retry_after = retry_after
        self.fallbacks = 0
        self._lock = threading.Lock()
        self._rasa_resting_until = 0.0

    def _fallback(self, reason: str) -> None:
        with self._lock:
            self.fallbacks += 1
            if reason != "skipped":
                self._rasa_resting_until = time.monotonic() + self.retry_after
        RASA_FALLBACKS.labels(reason=reason).inc()

    def parse(self, text: str, lang: str | None = None) -> dict:
        """The contract's parse result. ``lang`` (a remembered user choice) wins over language
        identification; an unknown code raises ``ValueError``."""
        if lang is not None and normalise_code(lang) is None:
            raise ValueError(f"unknown language code: {lang!r}")
        if self.rasa is None:
            return self.embedded.parse(text, lang)
        if time.monotonic() < self._rasa_resting_until:
            self._fallback("skipped")
            return self.embedded.parse(text, lang)
        try:
            result = self.rasa.parse(text)
        except RasaError as exc:
            log.warning("nlu: Rasa unusable (%s), embedded model answers", exc)
            self._fallback(exc.reason)
            return self.embedded.parse(text, lang)
        if lang is not None:
            result["language"] = {"code": normalise_code(lang), "confidence": 1.0}
        else:
            code, confidence = self.embedded.langid.identify(
                text, names(self.embedded.extractor.extract(text)))
            result["language"] = {"code": code, "confidence": confidence}
        return result
