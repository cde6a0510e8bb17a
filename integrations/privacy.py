"""Masking of personal data (phone numbers, NPI, names) before anything reaches a log line.

One place for every layer: the portal client, the sandbox's request log, the JSON logs of the
app and the channels all mask the same way (every digit of a long run but the last two; the
value of a field called like a name).  Tracebacks and stack traces are formatted here and masked
like the message, so an exception carrying a citizen's data (a form, a failed SQL statement)
cannot print it; SQL engines are also built with ``hide_parameters`` so statements never carry
their values into an exception text in the first place.
"""

from __future__ import annotations

import logging
import re

_DIGIT_RUN = re.compile(r"\d[\d ]{6,}\d")
_NAME_FIELD = re.compile(
    r"""(?P<key>['"]?\b(?:first_?name|last_?name|full_?name|given_?name|family_?name|surname|"""
    r"""name|nom|noms|nom_complet|prenoms?|prénoms?|nom_naissance|mother|father|pere|mere)\b"""
    r"""['"]?\s*[:=]\s*)(?P<quote>['"]?)(?P<value>[^'",;}\]\n&]+)""",
    re.IGNORECASE)


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
    """Mask any run of 8 or more digits (phones, NPI, including URL-encoded ``%2B229...``) and
    the value of any ``name=...``/``'nom': '...'`` field (a form or a record in a repr)."""
    text = _DIGIT_RUN.sub(lambda m: mask_digits(m.group(0)), text)
    return _NAME_FIELD.sub(lambda m: f"{m.group('key')}{m.group('quote')}***", text)


def redact_value(value: object) -> object:
    """:func:`redact_text` through strings, dicts, lists and tuples (structured ``extra``)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    return value


_STANDARD = set(vars(logging.makeLogRecord({})))


_FORMATTER = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Mask personal data in each record's message, its ``extra`` fields, its traceback
    (``exc_info``, formatted here and replaced by the masked text) and its ``stack_info``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logger's problem, not ours to hide
            message = None
        if message is not None:
            redacted = redact_text(message)
            if redacted != message:
                record.msg = redacted
                record.args = ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, redact_value(value))
        if record.exc_info:
            # the formatters print exc_text when exc_info is gone: only the masked text remains
            record.exc_text = redact_text(_FORMATTER.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def install_urllib3_filter() -> None:
    """urllib3 logs full URLs at DEBUG (``?phone=%2B229...``): mask them. Idempotent."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
