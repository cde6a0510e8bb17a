"""WhatsApp's task functions, run by the queue (RQ workers import them by name).

Thin shells like :mod:`channels.tasks`: read the running app's runtime, ask whether this is the
last try, and call the conversation handler.  The sending jobs live in
:mod:`channels.whatsapp.sender`; their names here keep jobs queued before working.
"""

from __future__ import annotations

from channels.queue import final_attempt
from channels.tasks import current_runtime
from channels.whatsapp import conversation
from channels.whatsapp import statuses as status_log
from channels.whatsapp.sender import send_message, send_messages, send_text

__all__ = ["handle_events", "send_message", "send_messages", "send_text"]


def handle_events(*, messages: list[dict], statuses: list[dict]) -> None:
    """Record status notifications, then answer messages in the order they came."""
    rt = current_runtime()
    for status in statuses:
        status_log.apply(rt.messages, status)
    final = final_attempt()
    for message in messages:
        conversation.handle(rt, message, final=final)
