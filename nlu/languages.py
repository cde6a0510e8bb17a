"""Language codes the NLU knows, and how a caller's language choice is normalised.

Codes follow DESIGN.md: ISO 639-1 where one exists (fr, en, yo), else ISO 639-3 (fon, guw, bba,
ddn). Language identification covers the first four, for which we have training text; the others
can still be chosen by the user and named in a ``language`` entity.
"""

from __future__ import annotations

IDENTIFIED = ("fr", "en", "fon", "yo")
"""Languages the character n-gram identifier is trained on."""

LANGUAGE_CODES = frozenset({*IDENTIFIED, "guw", "bba", "ddn", "ajg", "gej", "dje", "ee", "ha"})
"""Every code a caller may pass as the remembered language."""

DEFAULT = "fr"
"""The portal's source language, used when a text carries no language evidence at all."""


def normalise_code(code: str) -> str | None:
    """``"fr_BJ"``, ``"yo-BJ"`` or ``" FR "`` -> the bare code, or ``None`` if unknown."""
    base = code.strip().replace("-", "_").split("_", 1)[0].lower()
    return base if base in LANGUAGE_CODES else None
