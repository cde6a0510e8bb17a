"""Natural-language understanding for Guichet: language, intent and entities of a message.

``Nlu(rasa_url).parse(text, lang=None)`` returns the shape of Rasa's ``/model/parse`` plus
``language`` (DESIGN.md). It uses the embedded model, or a Rasa server when ``rasa_url`` is given
(``Settings.rasa_url``, from ``RASA_URL``), with the embedded model as fallback.  The composition
root builds one per running application and hands it down; nothing here is a process global.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlu.embedded import EmbeddedNLU
    from nlu.service import NluService


class Nlu:
    """The NLU of one running application, built on first use (loading or training the model
    takes from 10 ms to a few seconds) and thread-safe after that."""

    def __init__(self, rasa_url: str | None = None,
                 loader: Callable[[], EmbeddedNLU] | None = None) -> None:
        self.rasa_url = rasa_url
        self._loader = loader
        self._lock = threading.Lock()
        self._service: NluService | None = None

    @property
    def service(self) -> NluService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    from nlu.service import NluService

                    self._service = NluService(rasa_url=self.rasa_url, loader=self._loader)
        return self._service

    def warm(self) -> None:
        """Load the model now (a start-up thread calls this so the first question is fast)."""
        _ = self.service

    def parse(self, text: str, lang: str | None = None) -> dict:
        """Parse one message; ``lang`` is the user's remembered language, which wins if given."""
        return self.service.parse(text, lang)


__all__ = ["Nlu"]
