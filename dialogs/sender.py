"""The Sender port: how anything in Guichet sends a citizen a message *later*.

A reply to what the citizen just did goes back through the channel's own response (the USSD
screen, the web chat answer, the SMS answer).  Everything sent later - a receipt, a status
change, an agent's reply, a one-time code - goes through this port instead, so that the dialog
core and the desk never know how a channel sends: each channel implements :class:`Sender` for
itself (SMS through Africa's Talking, WhatsApp through the Graph API, web chat into the open
widget), every send is recorded in one outbox (claim, send, status, dead letters, replay) and
the composition root hands a :class:`Senders` router down.

Modelled on RapidPro, where courier sends for every channel and mailroom only says what to send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from dialogs.model import Choice


@dataclass(frozen=True)
class Outgoing:
    """One message to one citizen on one channel."""

    channel: str
    """The channel to send on: ``sms``, ``whatsapp``, ``webchat`` (a USSD caller is sent SMS)."""
    user: str
    """The citizen's address there: an E.164 number, or ``web:<session>`` for web chat."""
    text: str
    lang: str
    key: str
    """Idempotency key: two sends with the same key reach the citizen once."""
    choices: tuple[Choice, ...] = field(default=())
    """Buttons where the channel can show them (WhatsApp, web chat); numbered text elsewhere."""
    author: str = "bot"
    """``bot`` or ``agent``: who speaks (the web chat shows it; templates may depend on it)."""


class Sender(Protocol):
    """What a channel implements to send later.  ``send`` must not block on the provider: it
    records the message in the outbox and queues it, or pushes it in memory."""

    channel: str

    def send(self, message: Outgoing) -> str:
        """Accept ``message`` for sending; returns a short status (``queued``, ``pushed``,
        ``opted_out``, ``duplicate``...)."""


class NoRoute(LookupError):
    """No sender is registered for the message's channel."""


class Senders:
    """The router the composition root builds: one :class:`Sender` per channel."""

    def __init__(self, senders: dict[str, Sender] | None = None,
                 aliases: dict[str, str] | None = None) -> None:
        self._senders: dict[str, Sender] = dict(senders or {})
        self._aliases = {"ussd": "sms", **(aliases or {})}

    def register(self, sender: Sender) -> None:
        self._senders[sender.channel] = sender

    def channels(self) -> list[str]:
        return sorted(set(self._senders) | {a for a, t in self._aliases.items()
                                             if t in self._senders})

    def send(self, message: Outgoing) -> str:
        channel = self._aliases.get(message.channel, message.channel)
        sender = self._senders.get(channel)
        if sender is None:
            raise NoRoute(f"no sender for channel {message.channel!r}")
        if channel != message.channel:
            message = Outgoing(channel, message.user, message.text, message.lang, message.key,
                               message.choices, message.author)
        return sender.send(message)
