"""Reading Africa's Talking's USSD ``text``: what is new in this hop, and shortcut codes.

The gateway sends every input of the session joined by ``*`` ("1*2*0197000000").  Splitting it
blindly breaks as soon as a citizen types a ``*``; instead the previous ``text`` is remembered and
only what follows it is read.  A ``text`` that does not extend the previous one (a gateway that
sends only the latest input) is taken whole.
"""

from __future__ import annotations


def new_input(text: str, previous: str | None) -> str:
    """The part of ``text`` typed in this hop."""
    if previous is None or previous == "":
        return text
    if text.startswith(previous + "*"):
        return text[len(previous) + 1:]
    return text


def shortcut(service_code: str, base_code: str) -> list[str]:
    """Menu numbers dialled inside the code: ``*202*1*3#`` with base ``*202#`` -> ["1", "3"]."""
    code = service_code.strip().rstrip("#")
    base = base_code.strip().rstrip("#")
    if code.startswith(base + "*"):
        return [part for part in code[len(base) + 1:].split("*") if part]
    return []
