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

import dataclasses
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
    template: tuple[str, tuple[str, ...]] | None = None
    """What to send instead where the channel may not send free text now: a purpose
    (``news``, ``reopen``) and its parameters.  WhatsApp sends its approved template for the
    purpose in the message's language when the user's 24-hour window has closed; other
    channels ignore it."""


class Sender(Protocol):
    """What a channel implements to send later.  ``send`` must not block on the provider: it
    records the message in the outbox and queues it, or pushes it in memory."""

    channel: str

    def send(self, message: Outgoing) -> str:
        """Accept ``message`` for sending; returns a short status (``queued``, ``pushed``,
        ``opted_out``, ``duplicate``...)."""


class NoRoute(LookupError):
    """No sender is registered for the message's channel."""


WEB = "web:"
"""How a web chat visitor's address starts: ``web:<session>``."""


def channel_for(user: str) -> str:
    """The channel that reaches ``user`` when only their address is known (a notice, a receipt).

    A web chat visitor known only by session is reached in their chat; any other address is a
    phone number, reached by SMS.  A WhatsApp user's address is their number too (``+<wa_id>``):
    what the dialog sends later to it says "by SMS", so it goes by SMS, as it always has.
    """
    return "webchat" if user.startswith(WEB) else "sms"


def address(channel: str, user: str, session: str) -> str:
    """Where a later message for one conversation goes on its own channel.

    A web chat is reached through its session (its user may be a number the visitor proved,
    which would mean SMS); every other channel through the conversation's user.
    """
    return f"{WEB}{session}" if channel == "webchat" else user


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

    def route(self, channel: str) -> Sender:
        """The sender for ``channel`` (an alias resolved); :class:`NoRoute` when there is none."""
        sender = self._senders.get(self._aliases.get(channel, channel))
        if sender is None:
            raise NoRoute(f"no sender for channel {channel!r}")
        return sender

    def send(self, message: Outgoing) -> str:
        sender = self.route(message.channel)
        channel = self._aliases.get(message.channel, message.channel)
        if channel != message.channel:
            message = dataclasses.replace(message, channel=channel)
        return sender.send(message)
