"""The outbox: one durable log of every message Guichet sends, whatever the channel.

Each channel's sender claims a row under the message's idempotency key before calling its
provider, records what the provider said, and leaves in the dead-letter list what no retry will
send; :mod:`channels.outbox.deadletter` lists and replays them through the channel's
:class:`dialogs.sender.Sender`.  The table is still ``outbound_messages`` (same columns), so an
existing database keeps its history.
"""

from channels.outbox.errors import PermanentSendError, Sent, TransientSendError
from channels.outbox.messages import (
    DEAD_LETTER,
    DONE,
    FINAL_SENT,
    Message,
    MessageLog,
    engine_for,
    insert_once,
    metadata,
    outbound,
    startup_lock,
)
from channels.outbox.replay import Replays

__all__ = [
    "DEAD_LETTER", "DONE", "FINAL_SENT", "Message", "MessageLog", "PermanentSendError",
    "Replays", "Sent", "TransientSendError", "engine_for", "insert_once",
    "metadata", "outbound", "startup_lock",
]
