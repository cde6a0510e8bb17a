"""The call-centre desk as the dialog manager sees it: a port, implemented by :mod:`dialogs.desk`.

When the bot cannot help, the manager hands the conversation to the desk: live channels (SMS,
WhatsApp, web chat) join a queue and learn their position and wait; USSD, which cannot wait,
leaves a callback request.  While a person has the conversation, the citizen's messages go to
the desk instead of the bot.  The manager records every exchange through :meth:`Desk.record`
so an agent sees everything the bot already knows; the composition root makes that recording
happen off the request path (:class:`dialogs.desk.RecordLater`).

Every method the manager calls is declared here, so any desk given to it is checked whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Ticket:
    """Where a citizen stands in the queue, or when the line opens if it is closed."""

    open: bool
    position: int = 0
    wait_minutes: int | None = None
    opens_at: str | None = None
    """When the line opens next (ISO 8601, Africa/Porto-Novo), if it is closed now."""


@dataclass(frozen=True)
class Exchange:
    """One message of a conversation, with what the bot understood of it."""

    channel: str
    session: str
    user: str
    direction: str
    """``in`` (from the citizen), ``out`` (from the bot), ``agent`` (from a person)."""
    text: str
    lang: str
    intent: str | None = None
    procedure: str | None = None
    at: dt.datetime | None = None
    """When it was said (aware UTC); None: when the desk records it."""


class Desk(Protocol):
    """The hand-off desk, every method the dialog manager calls."""

    def hours(self) -> Ticket:
        """Whether the line is open now (``position`` unused), and when it opens if not."""

    def enqueue(self, *, channel: str, session: str, user: str, lang: str, reason: str,
                topic: str | None) -> Ticket:
        """Put a live conversation in the agents' queue (idempotent per channel+session)."""

    def request_callback(self, *, channel: str, session: str, user: str, phone: str,
                         slot: str, lang: str, topic: str | None) -> None:
        """Record a callback request (from USSD, or outside office hours)."""

    def with_agent(self, channel: str, session: str) -> bool:
        """True while the conversation is waiting for or talking with a person."""

    def record(self, *exchanges: Exchange) -> None:
        """Keep messages in the conversation's transcript, in this order."""

    def awaiting_rating(self, channel: str, session: str) -> bool:
        """True when the citizen was asked for a 1-5 rating of a hand-off and has not given
        it yet (so a lone digit is that rating, not a menu choice)."""

    def record_satisfaction(self, channel: str, session: str, score: int | str) -> bool:
        """Keep the citizen's 1-5 rating of their last hand-off; False if none awaits one."""


RATE = "rate:"
"""Choice ids of the satisfaction buttons the desk sends after a hand-back: ``rate:1`` ..
``rate:5``."""


def rating_of(text: str | None, choice: str | None) -> int | None:
    """The score in a typed digit or a pressed rating button, else None."""
    said = choice[len(RATE):] if choice and choice.startswith(RATE) else (text or "").strip()
    return int(said) if said in ("1", "2", "3", "4", "5") else None
