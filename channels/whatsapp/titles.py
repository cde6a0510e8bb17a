"""Short titles for WhatsApp buttons and list rows, shortened with sense.

A button title holds 20 characters and a list row title 24.  A longer label loses its
parenthesised detail first ("Casier judiciaire (bulletin n°3)" -> "Casier judiciaire"), then whole
words from the end, never a piece of a word, and never ends on a dangling "de", "et" or "of"; an
ellipsis says something was cut.  Titles shown together must differ, so a collision gets a number.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_DETAIL = re.compile(r"\s*\([^)]*\)")
_DANGLING = frozenset({
    "à", "au", "aux", "avec", "d'", "de", "des", "du", "en", "et", "l'", "la", "le", "les", "ou",
    "par", "pour", "sur", "un", "une", "votre", "vos", "a", "an", "and", "at", "by", "for", "in",
    "of", "on", "or", "the", "to", "with", "your",
})
"""Words a shortened title must not end on."""
_TRIM = " ,;:.-–—/(«»\"'"


def shorten(label: str, limit: int) -> str:
    """``label`` in at most ``limit`` characters, cut at a word boundary."""
    text = " ".join(label.split())
    if len(text) <= limit:
        return text
    bare = _DETAIL.sub("", text).strip()
    if bare and len(bare) <= limit:
        return bare
    words = (bare or text).split()
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) + len(ELLIPSIS) > limit:
            break
        kept.append(word)
    while len(kept) > 1 and (kept[-1].casefold() in _DANGLING or not kept[-1].strip(_TRIM)):
        kept.pop()
    head = " ".join(kept).rstrip(_TRIM)
    if head:
        return head + ELLIPSIS
    if len(words[0]) <= limit:  # the first word fits, not its ellipsis: the word alone
        return words[0]
    return words[0][: limit - len(ELLIPSIS)] + ELLIPSIS  # one huge word: the only cut word


def unique_titles(labels: list[str], limit: int) -> list[str]:
    """Shorten every label; a title already used gets " 2", " 3"... (within the limit)."""
    out: list[str] = []
    seen: set[str] = set()
    for label in labels:
        title = shorten(label, limit)
        n = 1
        while title.casefold() in seen:
            n += 1
            suffix = f" {n}"
            title = shorten(label, limit - len(suffix)) + suffix
        seen.add(title.casefold())
        out.append(title)
    return out
