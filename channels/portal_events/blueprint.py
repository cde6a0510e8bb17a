"""``POST /portal/events``: the portal's signed events.

The signature is checked over the raw body before anything is read: a missing one is 401, a
wrong one 403, and nothing is recorded or sent.  Then the JSON is checked (400 malformed, 422
against the contract) and the event accepted (202) or recognised as already had (200).  Without
``PORTAL_WEBHOOK_SECRET`` nothing posted is believed (403): in development the in-process
sandbox hands its events over directly (:func:`channels.portal_events.intake.accept`).
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, jsonify, request

from channels import metrics
from channels.portal_events import signature
from channels.portal_events.intake import Invalid, receive

log = logging.getLogger(__name__)
bp = Blueprint("portal_events", __name__)


@bp.post("/portal/events")
def events():
    rt = current_app.extensions["guichet"]
    secret = rt.settings.portal_webhook_secret
    header = request.headers.get(signature.HEADER)
    if not secret:
        metrics.PORTAL_EVENTS.labels("refused").inc()
        return jsonify(error="events are not configured (PORTAL_WEBHOOK_SECRET)"), 403
    if not header:
        metrics.PORTAL_EVENTS.labels("refused").inc()
        return jsonify(error=f"missing {signature.HEADER}"), 401
    body = request.get_data(cache=False)
    if not signature.valid(secret, body, header):
        metrics.PORTAL_EVENTS.labels("refused").inc()
        log.warning("portal event with a bad signature refused")
        return jsonify(error="bad signature"), 403
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        metrics.PORTAL_EVENTS.labels("invalid").inc()
        return jsonify(error="the body must be JSON"), 400
    try:
        outcome = receive(rt, data)
    except Invalid as exc:
        metrics.PORTAL_EVENTS.labels("invalid").inc()
        return jsonify(error=str(exc)), 422
    except Exception:
        log.exception("portal event not queued")
        return jsonify(error="try again later"), 503
    return jsonify(status=outcome), 202 if outcome == "accepted" else 200
