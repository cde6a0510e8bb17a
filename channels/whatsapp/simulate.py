"""What the simulator page needs of the WhatsApp channel, handed to it by the composition root.

The simulator plays a WhatsApp user.  It may not import this channel (channels never import
each other), so the app factory puts a :class:`Simulation` in ``app.extensions["simulate"]``
under ``whatsapp``; a build without WhatsApp has none, and the page shows plain text.
"""

from __future__ import annotations

from typing import Any

from channels.whatsapp import conversation
from channels.whatsapp.outbound import WhatsAppSender
from channels.whatsapp.render import render
from dialogs.model import Reply


class Simulation:
    def __init__(self, sender: WhatsAppSender) -> None:
        self.sender = sender

    def mode(self) -> str:
        """``adapter``: the channel answers and its sender keeps messages in the local outbox;
        ``render``: a Graph API is configured, so the simulator only renders (never sends)."""
        return "adapter" if self.sender.transport.name == "outbox" else "render"

    def answer(self, rt: Any, message: dict) -> list[dict]:
        """Answer ``message`` as the webhook's job would (last try: no retry to wait for)."""
        return conversation.handle(rt, message, final=True) or []

    def answered_in_place(self, key: str) -> bool:
        """True for an outbox message that is part of an answer to a message (what
        :meth:`answer` returned, which the page showed at once); False for what is sent later
        (an agent's message, a request's outcome), which the page finds in the outbox."""
        return key.startswith(conversation.REPLY_KEY)

    def render(self, reply: Reply) -> list[dict]:
        return render(reply)
