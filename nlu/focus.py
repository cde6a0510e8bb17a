"""The question inside a long message.

Citizens write letters: "Bonsoir chers agents. Je suis commerçante à Dantokpa, ... Je voudrais
savoir où on le demande exactement." The intent model learnt from short questions, and the
greetings and the story drown the question. A long message is split into sentences; each is
scored on what a question about a procedure carries (a procedure named, an aspect asked, a
question mark, a question word) and the intent is read from the sentences that carry any of
it, with the entities they hold. A short message is read whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.entities import Entity

LONG = 140
"""Messages longer than this (characters) are read sentence by sentence."""

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_QUESTION_WORDS = re.compile(
    r"(?<![a-zà-ÿ])(?:combien|comment|quand|où|ou|quel|quelle|quels|quelles|est-ce|how|what|"
    r"where|when|which|can i|do i|savoir|voudrais|aimerais|veux|want|would like|need)"
    r"(?![a-zà-ÿ])", re.IGNORECASE)
_SIGNALS = {"procedure": 3, "unknown_procedure": 3, "aspect": 2, "reference": 3, "variant": 1}
_ANYWHERE = ("reference", "npi", "language")
"""Entities kept wherever they are: a reference in the greeting is still the reference."""


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (stripped of surrounding blanks)."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


def _inside(entity: Entity, start: int, end: int) -> bool:
    return entity.start is not None and start <= entity.start < end


def focus(text: str, entities: Sequence[Entity]) -> tuple[str, list[Entity]]:
    """The part of ``text`` the intent should be read from, and the entities to keep.

    Sentences with a procedure, an aspect or a reference are kept (a question can name the
    procedure in one sentence and ask in the next); a question mark or a question word only
    break ties. Without any signal the whole message is returned."""
    if len(text) <= LONG:
        return text, list(entities)
    spans = sentences(text)
    if len(spans) < 2:
        return text, list(entities)
    kept = []
    for start, end in spans:
        score = sum(_SIGNALS.get(e.entity, 0) for e in entities if _inside(e, start, end))
        if score:
            kept.append((start, end))
    if not kept:
        asked = [(s, e) for s, e in spans if "?" in text[s:e] or _QUESTION_WORDS.search(text[s:e])]
        if not asked:
            return text, list(entities)
        kept = asked[-1:]
    chosen = [e for e in entities
              if e.entity in _ANYWHERE or any(_inside(e, s, t) for s, t in kept)]
    return " ".join(text[s:t] for s, t in kept), chosen
