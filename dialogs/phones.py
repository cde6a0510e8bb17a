"""Phone numbers: parse to E.164 with phonenumbers, and mask them for logs."""

from __future__ import annotations

import phonenumbers

from integrations.privacy import mask_digits


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
    """``+***********01``: what may appear of a number in a log line."""
    return mask_digits(value)
