"""SMS keywords, in French and English: the commands a citizen can text besides questions.

``AIDE``/``HELP``, ``STOP``/``ARRET`` (opt out), ``START`` (opt back in), ``LANGUE fon``,
``AGENT``, ``SUIVI SP-2026-000123``/``TRACK ...``, ``PLUS``/``MORE`` (the rest of a long answer).
Accents and case do not matter; anything else is a question for the NLU.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

WORDS = {
    "aide": "help", "help": "help", "menu": "help",
    "stop": "stop", "arret": "stop", "arreter": "stop", "unsubscribe": "stop",
    "start": "start", "debut": "start", "reprendre": "start",
    "langue": "language", "language": "language", "lang": "language",
    "agent": "agent", "conseiller": "agent",
    "suivi": "track", "track": "track",
    "plus": "more", "more": "more", "suite": "more",
}
ARGUMENT_REQUIRED = {"track"}


@dataclass(frozen=True)
class Command:
    name: str
    argument: str = ""


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def parse(text: str) -> Command | None:
    """The keyword command in ``text``, or None when it is a question.

    Only a message that *is* a command counts: "stop" alone opts out, "comment arrêter..." does
    not.  ``LANGUE`` and ``SUIVI`` take one argument; the others stand alone.
    """
    words = text.strip().split()
    if not words or len(words) > 4:
        return None
    name = WORDS.get(_fold(words[0]).strip(".!?:"))
    if name is None:
        return None
    argument = " ".join(words[1:]).strip()
    if name == "language":
        return Command(name, _fold(argument).split()[0]) if argument else Command(name)
    if name == "track":
        return Command(name, argument) if argument else None
    return Command(name) if not argument else None
