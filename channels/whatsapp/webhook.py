"""Meta's webhook: ``GET /whatsapp/webhook`` (verification) and ``POST /whatsapp/webhook``.

A POST is answered at once: the signature is checked over the raw body (401 when missing, 403
when wrong, 503 while no app secret is configured: unsigned events are never accepted), the
payload is parsed into small events and queued for :func:`channels.whatsapp.tasks.handle_events`.
A payload that is not JSON or not shaped as expected gets a 200 and is dropped with a log line:
Meta redelivers anything but a 2xx, and a malformed payload will never get better.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from channels import jsonbody
from channels.whatsapp import events, signature
from channels.whatsapp.tasks import handle_events

log = logging.getLogger(__name__)
bp = Blueprint("whatsapp", __name__)


@bp.get("/whatsapp/webhook")
def verify() -> Response:
    """Meta's subscription handshake: echo ``hub.challenge`` when the verify token matches."""
    expected = current_app.extensions["guichet"].settings.whatsapp_verify_token
    given = request.args.get("hub.verify_token", "")
    if (request.args.get("hub.mode") == "subscribe" and expected
            and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))):
        return Response(request.args.get("hub.challenge", ""), status=200, mimetype="text/plain")
    log.warning("whatsapp webhook verification refused")
    return Response("forbidden", status=403, mimetype="text/plain")


@bp.post("/whatsapp/webhook")
def receive():
    rt = current_app.extensions["guichet"]
    secret = rt.settings.whatsapp_app_secret
    if not secret:
        log.error("whatsapp event refused: WHATSAPP_APP_SECRET is not set")
        return jsonify(error="whatsapp webhook not configured"), 503
    body = request.get_data(cache=True)
    header = request.headers.get("X-Hub-Signature-256", "")
    if not header:
        log.warning("whatsapp event without a signature: refused")
        return jsonify(error="missing signature"), 401
    if not signature.valid(secret, body, header):
        log.warning("whatsapp event with a wrong signature: refused")
        return jsonify(error="invalid signature"), 403
    try:
        payload = jsonbody.loads(body)
    except ValueError:  # includes bad UTF-8 and a body nested too deep
        log.warning("whatsapp event is not JSON: dropped", extra={"size": len(body)})
        return jsonify(status="ignored"), 200
    found = events.parse(payload, rt.settings.whatsapp_phone_number_id)
    if found.skipped:
        log.warning("whatsapp event parts not understood: dropped",
                    extra={"skipped": found.skipped})
    if not found:
        return jsonify(status="ignored"), 200
    try:
        rt.queue.enqueue(handle_events, messages=found.messages, statuses=found.statuses)
    except Exception:
        # Nothing was done: a 503 makes Meta deliver it again later (handled once by message id).
        log.exception("whatsapp event could not be queued")
        return jsonify(error="temporarily unavailable"), 503
    return jsonify(status="received"), 200
