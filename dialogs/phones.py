"""Phone numbers: parse to E.164 with phonenumbers, and mask them for logs."""

from __future__ import annotations

import re
from functools import lru_cache

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


@lru_cache(maxsize=8192)
def subscriber(raw: str, region: str = "BJ") -> str | None:
    """The caller's number as a stable id: E.164 when valid, else ``+digits`` as sent.

    The operator vouches for the number on USSD and SMS, so an old 8-digit Benin number or a
    test range phonenumbers calls invalid must not lock a citizen out; only junk is refused.
    """
    number = to_e164(raw, region)
    if number:
        return number
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if re.fullmatch(r"\+?\d{6,15}", digits):
        return "+" + digits.lstrip("+")
    return None


def mask(value: str) -> str:
    """``+***********01``: what may appear of a number in a log line."""
    return mask_digits(value)
