"""Portal request references, as citizens type them on a keypad or in a message."""

from __future__ import annotations

import re

REFERENCE = re.compile(r"^\s*(?:s\W*p)?\W*(\d{4})\W*(\d{1,6})\s*$", re.IGNORECASE)


def normalise(text: str) -> str | None:
    """``"sp 2026 000123"``, ``"2026000123"`` or ``"SP-2026-123"`` -> ``"SP-2026-000123"``."""
    found = REFERENCE.match(text or "")
    if not found:
        return None
    year, number = found.groups()
    if not 2020 <= int(year) <= 2099:
        return None
    return f"SP-{year}-{int(number):06d}"
