"""Recording implementations of the dialog core's ports (:mod:`dialogs.effects`,
:mod:`dialogs.handoff`): what the manager asked to be done, kept for the test to read.

They stand in for the queue and the call-centre desk, which are other parts' business; the
manager itself, the store, the portal client and the NLU are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.handoff import Exchange, Ticket


@dataclass
class RecordingEffects:
    """Everything the manager asked to be done later, in order, as ``(what, details)``."""

    done: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send_text(self, user: str, text: str, *, lang: str, key: str) -> None:
        self.done.append(("send_text", {"user": user, "text": text, "lang": lang, "key": key}))

    def submit(self, *, user: str, lang: str, slug: str, answers: dict[str, str],
               key: str, also: str | None = None, channel: str | None = None) -> None:
        self.done.append(("submit", {"user": user, "lang": lang, "slug": slug,
                                     "answers": answers, "key": key, "also": also}))

    def status_later(self, *, user: str, lang: str, reference: str, key: str) -> None:
        self.done.append(("status_later", {"user": user, "lang": lang,
                                           "reference": reference, "key": key}))

    def requests_later(self, *, user: str, lang: str, key: str) -> None:
        self.done.append(("requests_later", {"user": user, "lang": lang, "key": key}))

    def pay(self, *, user: str, lang: str, reference: str | None, operator: str, msisdn: str,
            channel: str, intent: str, after: str | None = None,
            also: str | None = None) -> None:
        self.done.append(("pay", {"user": user, "lang": lang, "reference": reference,
                                  "operator": operator, "msisdn": msisdn, "channel": channel,
                                  "intent": intent, "after": after, "also": also}))

    def of(self, what: str) -> list[dict[str, Any]]:
        return [details for name, details in self.done if name == what]


class DeskDown(RuntimeError):
    """What a desk whose database is unreachable raises."""


@dataclass
class RecordingDesk:
    """A desk whose line, queue and agents the test sets, recording what the manager asked."""

    open: bool = True
    opens_at: str | None = None
    position: int = 1
    wait_minutes: int | None = 4
    down: bool = False
    taken: set[tuple[str, str]] = field(default_factory=set)
    """``(channel, session)`` of conversations a person has (or that wait for one)."""
    rating_asked: set[tuple[str, str]] = field(default_factory=set)
    queued: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[Exchange] = field(default_factory=list)
    ratings: list[tuple[str, str, int]] = field(default_factory=list)

    def hours(self) -> Ticket:
        if self.down:
            raise DeskDown("desk unreachable")
        return Ticket(open=self.open, opens_at=self.opens_at)

    def enqueue(self, *, channel: str, session: str, user: str, lang: str, reason: str,
                topic: str | None) -> Ticket:
        self.queued.append({"channel": channel, "session": session, "user": user,
                            "lang": lang, "reason": reason, "topic": topic})
        self.taken.add((channel, session))
        return Ticket(open=True, position=self.position, wait_minutes=self.wait_minutes)

    def request_callback(self, *, channel: str, session: str, user: str, phone: str,
                         slot: str, lang: str, topic: str | None) -> None:
        self.callbacks.append({"channel": channel, "session": session, "user": user,
                               "phone": phone, "slot": slot, "lang": lang, "topic": topic})

    def with_agent(self, channel: str, session: str) -> bool:
        return (channel, session) in self.taken

    def record(self, *exchanges: Exchange) -> None:
        self.transcript.extend(exchanges)

    def awaiting_rating(self, channel: str, session: str) -> bool:
        return (channel, session) in self.rating_asked

    def record_satisfaction(self, channel: str, session: str, score: int) -> None:
        self.rating_asked.discard((channel, session))
        self.ratings.append((channel, session, score))
