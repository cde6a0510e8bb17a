"""Natural-language understanding for Guichet: language, intent and entities of a message.

``Nlu(rasa_url).parse(text, lang=None)`` returns the shape of Rasa's ``/model/parse`` plus
``language`` (DESIGN.md). It uses the embedded model, or a Rasa server when ``rasa_url`` is given
(``Settings.rasa_url``, from ``RASA_URL``), with the embedded model as fallback.  The composition
root builds one per running application and hands it down; nothing here is a process global.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlu.embedded import EmbeddedNLU
    from nlu.service import NluService

log = logging.getLogger(__name__)


class Nlu:
    """The NLU of one running application, built on first use (loading or training the model
    takes from 10 ms to a few seconds) and thread-safe after that."""

    def __init__(self, rasa_url: str | None = None,
                 loader: Callable[[], EmbeddedNLU] | None = None) -> None:
        self.rasa_url = rasa_url
        self._loader = loader
        self._lock = threading.Lock()
        self._rebuild = threading.Lock()
        self._pending = threading.Lock()
        self._service: NluService | None = None
        self._catalogue: Sequence[dict[str, Any]] | None = None
        self.catalogue_version = 0
        """How many catalogues the word list was rebuilt from (0: the shipped one)."""

    @property
    def service(self) -> NluService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    from nlu.service import NluService

                    self._service = NluService(rasa_url=self.rasa_url, loader=self._loader)
            if self._catalogue is not None:
                self._apply()
        return self._service

    def use_catalogue(self, entries: Sequence[dict[str, Any]]) -> None:
        """Read procedures from this catalogue from now on (``slug``, ``title``,
        ``abbreviations``, ``keywords``; see :data:`nlu.lexicon.CatalogueEntry`).

        Called at start and after each catalogue refresh, on the refreshing thread: the word
        list is rebuilt there and swapped in whole, while parses keep using the previous one.
        Before the model is loaded, the entries wait and are applied when it is."""
        with self._pending:
            self._catalogue = list(entries)
        if self._service is not None:
            self._apply()

    def _apply(self) -> None:
        with self._rebuild:  # one rebuild at a time, ending on the newest catalogue
            while True:
                entries, service = self._catalogue, self._service
                if entries is None or service is None:
                    return
                service.embedded = service.embedded.with_catalogue(entries)
                self.catalogue_version += 1
                log.info("nlu: word list rebuilt for %d procedures in %.3f s", len(entries),
                         service.embedded.lexicon_seconds)
                with self._pending:
                    if self._catalogue is entries:
                        self._catalogue = None

    def warm(self) -> None:
        """Load the model now (a start-up thread calls this so the first question is fast)."""
        _ = self.service

    def parse(self, text: str, lang: str | None = None) -> dict:
        """Parse one message; ``lang`` is the user's remembered language, which wins if given."""
        return self.service.parse(text, lang)


__all__ = ["Nlu"]
