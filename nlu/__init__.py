"""Natural-language understanding for Guichet: language, intent and entities of a message.

``parse(text, lang=None)`` returns the shape of Rasa's ``/model/parse`` plus ``language``
(DESIGN.md). It uses the embedded model, or a Rasa server when ``RASA_URL`` is set (with the
embedded model as fallback). The service is built once, lazily and thread-safely, on first use.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlu.service import NluService

_lock = threading.Lock()
_service: NluService | None = None


def get_nlu() -> NluService:
    """The process-wide NLU service (first call loads or trains the model: about a second)."""
    global _service
    if _service is None:
        with _lock:
            if _service is None:
                from nlu.service import NluService

                _service = NluService(rasa_url=os.environ.get("RASA_URL") or None)
    return _service


def parse(text: str, lang: str | None = None) -> dict:
    """Parse one message; ``lang`` is the user's remembered language, which wins if given."""
    return get_nlu().parse(text, lang)


__all__ = ["get_nlu", "parse"]
