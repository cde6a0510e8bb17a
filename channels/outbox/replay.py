"""Replaying a dead letter: the one thing an outbox record needs from its channel's sender.

A record's ``body`` is what the channel sent (GSM-7 text for SMS, the Graph API message object
as JSON for WhatsApp), not what the dialog said, so only the channel knows how to send it
again.  Each channel's :class:`dialogs.sender.Sender` also implements :class:`Replays`; the
operator's replay finds it through the :class:`dialogs.sender.Senders` router by the record's
channel, and queues the record under its own key (so it is sent once, as recorded).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from channels.outbox.messages import Message


@runtime_checkable
class Replays(Protocol):
    """A sender that can send a recorded message again (an operator's dead-letter replay)."""

    channel: str

    def replay(self, message: Message) -> str:
        """Queue ``message`` (reopened, ``pending``) for sending under its key; a status."""
