"""Meta's status notifications (sent, delivered, read, failed) kept on the outbound message.

A status names the message by the id the Graph API returned when it was sent (the record's
``provider_id``).  Notifications can arrive out of order: a status never moves a message back
(``delivered`` after ``read`` is ignored).  A failure keeps its first error code and title.
"""

from __future__ import annotations

import datetime as dt
import logging

from channels.outbox import MessageLog, outbound

log = logging.getLogger(__name__)
BEFORE = {
    "sent": ("pending", "retrying"),
    "delivered": ("pending", "retrying", "sent"),
    "read": ("pending", "retrying", "sent", "delivered"),
    "failed": ("pending", "retrying", "sent", "delivered"),
}
"""For each status Meta reports, the recorded statuses it may replace."""
def error_text(errors: list[dict]) -> str | None:
    """``131026 Message undeliverable`` from a status's ``errors``."""
    if not errors:
        return None
    first = errors[0]
    return " ".join(str(part) for part in (first.get("code"), first.get("title")) if part)[:500]


def apply(messages: MessageLog, status: dict) -> bool:
    """Record one status notification; True if a message changed."""
    new = status.get("status")
    if new not in BEFORE or not status.get("id"):
        return False
    values: dict = {"status": new, "updated_at": dt.datetime.now(dt.UTC)}
    if new == "failed":
        values["error"] = error_text(status.get("errors") or []) or "failed"
    query = (outbound.update()
             .where(outbound.c.provider_id == status["id"], outbound.c.channel == "whatsapp",
                    outbound.c.status.in_(BEFORE[new]))
             .values(**values))
    with messages.engine.begin() as db:
        changed = db.execute(query).rowcount
    if new == "failed":
        log.warning("whatsapp message failed", extra={"error": values["error"]})
    return bool(changed)
