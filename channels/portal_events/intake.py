"""One event from the portal: validate it, record its id once, queue it.

:func:`receive` is what a verified ``POST /portal/events`` does; :func:`accept` does the same
for an event handed over in this process (the in-process sandbox's ``on_event``), so both paths
are the one path.  Accepting is quick (a check, one insert, one enqueue): the news is worded and
sent by :func:`channels.portal_events.tasks.handle_event`, off the request.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask

from channels import metrics
from channels.portal_events import polling
from channels.portal_events.tasks import handle_event
from dialogs.news.newsroom import EVENT_TYPES

log = logging.getLogger(__name__)
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
ID = re.compile(r"^[\x21-\x7e]{1,100}$")


class Invalid(ValueError):
    """The event breaks the contract: answered 422 (or 400), never retried into a 5xx."""


def validate(data: Any) -> dict:
    """The event as Guichet keeps it, or :class:`Invalid` saying what is wrong."""
    if not isinstance(data, dict):
        raise Invalid("the event must be a JSON object")
    event_id = data.get("id")
    if isinstance(event_id, int) and not isinstance(event_id, bool):
        event_id = str(event_id)
    if not isinstance(event_id, str) or not ID.match(event_id):
        raise Invalid("id: a string of 1 to 100 visible characters is required")
    kind = data.get("type")
    if kind not in EVENT_TYPES:
        raise Invalid(f"type: one of {', '.join(EVENT_TYPES)}")
    reference = data.get("reference")
    if not isinstance(reference, str) or not REFERENCE.match(reference.strip()):
        raise Invalid("reference: a request reference such as SP-2026-000123 is required")
    event = {"id": event_id, "type": kind, "reference": reference.strip().upper()}
    for name, limit in (("status", 20), ("payment_id", 100)):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > limit:
            raise Invalid(f"{name}: a string of at most {limit} characters")
        event[name] = value
    at, reason = data.get("at"), data.get("reason")
    if isinstance(at, str | int | float) and not isinstance(at, bool):  # ISO text or epoch
        event["at"] = str(at)[:40]
    if isinstance(reason, str) and len(reason) <= 40:  # an extra: why a payment failed
        event["reason"] = reason
    return event


def receive(rt: Any, data: Any) -> str:
    """``accepted`` (queued), ``duplicate`` (already had it: nothing more is done).

    Raises :class:`Invalid`.  When the queue cannot take it the id is forgotten again and the
    error raised, so the portal's next delivery of the same event is acted on.
    """
    event = validate(data)
    if not rt.news.records.first_delivery(event["id"], event["type"], event["reference"]):
        metrics.PORTAL_EVENTS.labels("duplicate").inc()
        return "duplicate"
    try:
        rt.queue.enqueue(handle_event, event=event)
    except Exception:
        rt.news.records.forget(event["id"])
        raise
    polling.heard(rt)
    metrics.PORTAL_EVENTS.labels("accepted").inc()
    return "accepted"


def accept(app: Flask, event: dict) -> str:
    """Process ``event`` exactly as a verified ``POST /portal/events`` would (the in-process
    sandbox hands its events here).  Returns ``accepted``, ``duplicate`` or ``invalid``."""
    with app.app_context():
        try:
            return receive(app.extensions["guichet"], event)
        except Invalid as exc:
            metrics.PORTAL_EVENTS.labels("invalid").inc()
            log.warning("portal event refused", extra={"error": str(exc)})
            return "invalid"
        except Exception:  # the database or the queue is down: polling will find the change
            log.exception("portal event not queued")
            return "error"
