"""JSON logs in which phone numbers and NPIs never appear in clear.

Masking happens in a logging filter (:class:`integrations.privacy.RedactingFilter`) applied to
the message and every extra field, so a careless ``log.info(f"... {phone}")`` anywhere is still
masked: runs of 8+ digits (phone numbers, NPIs) keep only their last two digits.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from integrations.privacy import RedactingFilter


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
