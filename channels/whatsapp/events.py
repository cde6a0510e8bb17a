"""Reading Meta's webhook payload into plain, small events for the background task.

``entry[].changes[].value`` carries ``messages`` (what users sent) and ``statuses`` (what became
of what we sent).  Each message becomes ``{"id", "wa_id", "timestamp", "type", "text"?,
"choice"?}``: text (``text.body``), a button or list reply (``choice`` = the id we gave it), a
template quick-reply (its text), or another type (audio, image, location...) that gets a "text
only" answer.  Reactions and system notices need no answer and are dropped.  Anything malformed
is skipped and counted, never an error: Meta would redeliver a refused payload forever.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
MAX_TEXT = 2000
"""Longest text read from one message (WhatsApp allows 4096; nothing here needs more)."""
IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral", "request_welcome"})
_WA_ID = re.compile(r"\d{6,15}")


@dataclass
class Events:
    messages: list[dict] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    skipped: int = 0

    def __bool__(self) -> bool:
        return bool(self.messages or self.statuses)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def parse(payload: object, phone_number_id: str | None = None) -> Events:
    """The messages and statuses in a webhook payload (for ``phone_number_id`` when given)."""
    events = Events()
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        events.skipped += 1
        return events
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            value = _dict(change.get("value"))
            if change.get("field") != "messages" or not value:
                events.skipped += 1
                continue
            metadata = _dict(value.get("metadata"))
            if phone_number_id and metadata.get("phone_number_id") not in (None, phone_number_id):
                log.warning("whatsapp event for another phone number id: ignored")
                events.skipped += 1
                continue
            contacts = [_dict(c).get("wa_id") for c in _list(value.get("contacts"))]
            for raw in _list(value.get("messages")):
                message = _message(_dict(raw), contacts)
                if message is None:
                    events.skipped += 1
                elif message:
                    events.messages.append(message)
            for raw in _list(value.get("statuses")):
                status = _status(_dict(raw))
                if status is None:
                    events.skipped += 1
                else:
                    events.statuses.append(status)
    return events


def _message(raw: dict, contacts: list) -> dict | None:
    """One message as a small dict; ``{}`` for one that needs no answer, None if malformed."""
    wa_id = str(raw.get("from") or (contacts[0] if len(contacts) == 1 else "") or "")
    msg_id = raw.get("id")
    kind = raw.get("type")
    if not _WA_ID.fullmatch(wa_id) or not isinstance(msg_id, str) or not msg_id \
            or not isinstance(kind, str):
        return None
    if kind in IGNORED_TYPES:
        return {}
    try:
        timestamp = float(raw.get("timestamp") or time.time())
    except (TypeError, ValueError):
        timestamp = time.time()
    message = {"id": msg_id[:200], "wa_id": wa_id, "timestamp": timestamp, "type": kind}
    if kind == "text":
        body = _dict(raw.get("text")).get("body")
        if not isinstance(body, str):
            return None
        message["text"] = body[:MAX_TEXT]
    elif kind == "interactive":
        interactive = _dict(raw.get("interactive"))
        picked = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        choice = picked.get("id")
        if isinstance(choice, str) and choice:
            message["choice"] = choice[:200]
    elif kind == "button":  # a quick-reply button of a template: its text is what was said
        text = _dict(raw.get("button")).get("text")
        if isinstance(text, str) and text:
            message["text"] = text[:MAX_TEXT]
    return message


def _status(raw: dict) -> dict | None:
    status, msg_id = raw.get("status"), raw.get("id")
    if not isinstance(status, str) or not isinstance(msg_id, str) or not msg_id:
        return None
    errors = [{"code": _dict(e).get("code"), "title": _dict(e).get("title")}
              for e in _list(raw.get("errors"))]
    return {"id": msg_id[:200], "status": status, "errors": errors}
