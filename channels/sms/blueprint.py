"""Africa's Talking SMS callbacks: ``POST /sms/inbound`` and ``POST /sms/delivery``.

An incoming SMS is recorded durably (its provider ``id`` is unique: a redelivery is answered
once) and handed to the queue; the callback answers 200 at once.  Understanding and replying
happen in the background (:mod:`channels.sms.conversation`).  Delivery reports update the
outbound message they are about.
"""

from __future__ import annotations

import hashlib
import logging
import time

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request

from channels import metrics
from channels.tasks import handle_raw_sms, handle_sms
from dialogs.phones import mask, subscriber

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__)
MAX_TEXT = 1600
DELIVERY_STATUS = {
    "success": "delivered", "failed": "failed", "rejected": "rejected",
    "buffered": "buffered", "sent": "submitted", "submitted": "submitted",
}


def _ok(text: str = "OK") -> Response:
    return Response(text, status=200, mimetype="text/plain")


@bp.post("/sms/inbound")
def inbound() -> Response:
    started = time.perf_counter()
    rt = current_app.extensions["guichet"]
    form = request.form
    sender = subscriber(form.get("from") or "", rt.settings.default_region)
    text = (form.get("text") or "")[:MAX_TEXT]
    if sender is None or not text.strip():
        log.warning("sms without a sender or a text", extra={"sender": mask(form.get("from", ""))})
        return _ok("ignored")
    provider_id = (form.get("id") or "").strip()[:100] or hashlib.sha256(
        f"{sender}|{form.get('date')}|{text}".encode()).hexdigest()[:40]
    try:
        message, created = rt.inbox.record(provider_id=provider_id, sender=sender,
                                           recipient=(form.get("to") or "")[:32] or None,
                                           text=text, link_id=form.get("linkId") or None)
    except sa.exc.SQLAlchemyError:
        # The database is down: keep the message in the queue itself rather than lose it.
        log.exception("sms inbox unavailable, queueing the raw message")
        try:
            rt.queue.enqueue(handle_raw_sms, provider_id=provider_id, sender=sender, text=text)
        except Exception:  # kept nowhere: an error, so that the provider may deliver it again
            log.exception("sms lost: neither the inbox nor the queue is available")
            return Response("unavailable", status=503, mimetype="text/plain")
        created, message = False, None
    if created and message is not None:
        try:
            rt.queue.enqueue(handle_sms, message_id=message.id)
        except Exception:  # recorded: the sweep (channels.sms.sweep) answers it once Redis is back
            log.exception("sms recorded but not queued", extra={"sender": mask(sender)})
    metrics.HOPS.labels("sms").inc()
    metrics.HOP_SECONDS.labels("sms").observe(time.perf_counter() - started)
    return _ok()


@bp.post("/sms/delivery")
def delivery() -> Response:
    rt = current_app.extensions["guichet"]
    form = request.form
    provider_id = (form.get("id") or "").strip()
    status = DELIVERY_STATUS.get((form.get("status") or "").strip().lower())
    if not provider_id or status is None:
        return _ok("ignored")
    error = form.get("failureReason") or None
    try:
        known = rt.messages.update_by_provider_id(provider_id, status=status, error=error)
    except sa.exc.SQLAlchemyError:
        log.exception("could not record a delivery report")
        known = False
    if not known:
        log.info("delivery report for an unknown message", extra={"id": provider_id})
    return _ok()
