"""SMS keywords, in French and English: the commands a citizen can text besides questions.

``AIDE``/``HELP``, ``STOP``/``ARRET`` (opt out), ``START`` (opt back in), ``LANGUE fon``,
``AGENT``, ``SUIVI SP-2026-000123``/``TRACK ...``, ``PAYER SP-2026-000123 [MTN]``/``PAY ...``
(mobile money), ``PLUS``/``MORE`` (the rest of a long answer).
Fon and Yoruba speakers use the French keywords (the help texts say so), and may also write
"language" and "help" in their language: ``GBE fon``/``EDE yo``, ``ALODO``/``IRANLOWO``.
A language is named by its code or its name (``LANGUE fongbe``, ``LANGUE yoruba``).
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
    "payer": "pay", "pay": "pay", "paiement": "pay",
    # Fon and Yoruba (unreviewed): gbè / èdè "language", alɔdó / ìrànlọ́wọ́ "help"
    "gbe": "language", "ede": "language", "alodo": "help", "alɔdo": "help", "iranlowo": "help",
}
ARGUMENT_REQUIRED = {"track", "pay"}
LOCAL_WORDS = {"gbe", "ede"}
"""Ordinary words in their language: a command only with an argument ("gbe fon")."""
LANGUAGE_ALIASES = {
    "francais": "fr", "french": "fr", "flansegbe": "fr", "flansɛgbe": "fr",
    "anglais": "en", "english": "en",
    "fongbe": "fon", "fɔngbe": "fon",
    "yoruba": "yo", "yorouba": "yo", "nago": "yo", "nagot": "yo",
}
"""Language names a citizen may type after ``LANGUE``, folded, to their codes."""


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
    word = _fold(words[0]).strip(".!?:")
    name = WORDS.get(word)
    if name is None:
        return None
    argument = " ".join(words[1:]).strip()
    if word in LOCAL_WORDS and not argument:
        return None
    if name == "language":
        if not argument:
            return Command(name)
        code = _fold(argument).split()[0].strip(".!?:")
        return Command(name, LANGUAGE_ALIASES.get(code, code))
    if name in ARGUMENT_REQUIRED:
        return Command(name, argument) if argument else None
    return Command(name) if not argument else None
