"""JSON logs in which phone numbers and NPIs never appear in clear.

Masking happens in a logging filter applied to the message and every extra field, so a careless
``log.info(f"... {phone}")`` anywhere is still masked.  Phone-like runs of 8+ digits (with an
optional ``+``) and 10-digit NPIs keep only their first and last characters.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from dialogs.phones import mask

PERSONAL = re.compile(r"(?<![\w-])\+?\d[\d ]{6,}\d(?![\w-])")
STANDARD = set(vars(logging.makeLogRecord({})))


def redact(text: str) -> str:
    return PERSONAL.sub(lambda m: mask(m.group(0).replace(" ", "")), text)


class RedactingFilter(logging.Filter):
    """Mask personal data in the message, its arguments and extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def json_handler(stream: TextIO | None = None) -> logging.Handler:
    """A handler writing masked JSON lines to ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                       rename_fields={"levelname": "level", "asctime": "time"}))
    handler.addFilter(RedactingFilter())
    return handler


def configure(level: str = "INFO") -> None:
    """Send JSON lines to stderr; idempotent (the app factory may run more than once)."""
    root = logging.getLogger()
    if any(getattr(h, "_guichet", False) for h in root.handlers):
        return
    handler = json_handler()
    handler._guichet = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
