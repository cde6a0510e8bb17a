"""Phone numbers: parse to E.164 with phonenumbers and mask them for logs and screens."""

from __future__ import annotations

import phonenumbers


def to_e164(raw: str, region: str = "BJ") -> str | None:
    """Return the number in E.164 (``+2290197000000``), or None if it is not a valid number."""
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(value: str) -> str:
    """Keep the first four and the last two characters: ``+229*******00``."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]
