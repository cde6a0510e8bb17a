"""The portal events' task functions, run by the queue (RQ workers import them by name)."""

from __future__ import annotations

from channels import metrics
from channels.queue import final_attempt
from channels.tasks import current_runtime
from dialogs.sender import Outgoing


def handle_event(*, event: dict) -> str:
    """Tell the citizen what one event means (retried while the portal cannot say more)."""
    rt = current_runtime()
    outcome: str = rt.news.on_event(event, final=final_attempt())
    rt.news.records.done(event["id"])
    metrics.NEWS_SENT.labels(event["type"], outcome).inc()
    return outcome


def send_held(*, message: dict) -> str:
    """News held through quiet hours, sent now (its key still makes it go once)."""
    template = message.get("template")
    outgoing = Outgoing(message["channel"], message["user"], message["text"], message["lang"],
                        message["key"], author=message.get("author", "bot"),
                        template=(template[0], tuple(template[1])) if template else None)
    status: str = current_runtime().senders.send(outgoing)
    return status


def poll_round() -> int:
    """One round of the polling fallback (see :mod:`channels.portal_events.polling`)."""
    from channels.portal_events import polling

    return polling.round_(current_runtime())
