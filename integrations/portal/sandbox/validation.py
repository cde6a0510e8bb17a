"""Check e-service answers against a form schema, as the portal would.

Reasons are short codes, not sentences, so each channel words them in the user's language:
``required``, ``type``, ``too_long``, ``pattern``, ``npi``, ``date``, ``future_date``,
``phone``, ``choice``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
NPI = re.compile(r"^\d{10}$")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def is_e164(value: Any) -> bool:
    return isinstance(value, str) and bool(E164.match(value))


def parse_date(value: str) -> date | None:
    """``DD/MM/YYYY`` or ISO ``YYYY-MM-DD``; ``None`` when neither or not a real day."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _check_field(field: Mapping[str, Any], value: str, today: date) -> str | None:
    """Reason the (trimmed, non-empty) ``value`` is wrong for ``field``, or ``None``."""
    max_length = field.get("max_length")
    if max_length and len(value) > max_length:
        return "too_long"
    kind = field.get("type") or "text"
    if kind == "npi" and not NPI.match(value):
        return "npi"
    if kind == "phone" and not E164.match(value):
        return "phone"
    if kind == "date":
        day = parse_date(value)
        if day is None:
            return "date"
        if field.get("not_future") and day > today:
            return "future_date"
    if kind == "choice" and value not in {o["value"] for o in field.get("options") or ()}:
        return "choice"
    pattern = field.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        return "pattern"
    return None


def validate_answers(
    form: Mapping[str, Any], answers: Mapping[str, Any], today: date
) -> dict[str, str]:
    """Return ``{field name: reason}`` for every wrong answer (empty when all are fine).

    Answers for names the form does not know are ignored, so a client built against an older
    form keeps working when the portal drops a field.
    """
    problems: dict[str, str] = {}
    for field in form["fields"]:
        name = field["name"]
        raw = answers.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if field.get("required", True):
                problems[name] = "required"
            continue
        if not isinstance(raw, str):
            problems[name] = "type"
            continue
        reason = _check_field(field, raw.strip(), today)
        if reason:
            problems[name] = reason
    return problems
