"""Masking of personal data (phone numbers, NPI) before anything reaches a log line.

One place for every layer: the portal client, the sandbox's request log, the JSON logs of the
app and the channels all mask the same way (every digit of a long run but the last two).
"""

from __future__ import annotations

import logging
import re

_DIGIT_RUN = re.compile(r"\d[\d ]{6,}\d")


def mask_digits(value: str, keep: int = 2) -> str:
    """Replace every digit but the last ``keep`` with ``*`` (keeps a leading ``+`` and length)."""
    digits_seen = sum(ch.isdigit() for ch in value)
    out: list[str] = []
    index = 0
    for ch in value:
        if ch.isdigit():
            index += 1
            out.append(ch if index > digits_seen - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def redact_text(text: str) -> str:
    """Mask any run of 8 or more digits (phones, NPI, including URL-encoded ``%2B229...``)."""
    return _DIGIT_RUN.sub(lambda m: mask_digits(m.group(0)), text)


_STANDARD = set(vars(logging.makeLogRecord({})))


class RedactingFilter(logging.Filter):
    """Mask digit runs in each record's message and in its string ``extra`` fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logger's problem, not ours to hide
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact_text(value))
        return True


def install_urllib3_filter() -> None:
    """urllib3 logs full URLs at DEBUG (``?phone=%2B229...``): mask them. Idempotent."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
