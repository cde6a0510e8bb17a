"""The anonymous record of one exchange, and the port the dialog manager hands it to.

Every hop of every channel passes through :meth:`dialogs.manager.DialogManager.step`; after the
step it builds one :class:`Event` from what it already holds (the NLU's reading, the screen and
form step of the state table, the reply) and gives it to a :class:`Recorder`, which must
return at once: writing happens later, in batches, off the hop's path.

Anonymous by construction: an event has no phone number, NPI, name or citizen id.  The
session is kept only as a keyed hash (the recorder's, so a USSD session's hops served by
different workers still count as one caller in a funnel); the text of a question is kept only
when the bot could not answer it, masked (:mod:`dialogs.insights.mask`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dialogs.journeys.core import Dialog
    from dialogs.model import Conversation, Inbound, Reply

KINDS = ("question", "choice", "answer", "start", "end")
"""What the citizen did: typed a question the NLU read, picked a choice, answered a form
question (or typed a number asked for), started a session, or the session ended."""

HANDOFF_STATES = ("with_agent", "callback", "line_closed", "agent")
"""Screens that mean the conversation is going to a person (queue, callback, closed line, the
135's number)."""


@dataclass(slots=True)
class Event:
    """One exchange as the insights count it; every field is a bounded label or a masked text.

    Built on every hop: slots and not frozen, because a frozen dataclass sets each of its 17
    fields through ``object.__setattr__`` (four times the cost, measured).  Nothing changes an
    event after it is handed to the recorder."""

    channel: str
    lang: str
    kind: str
    session: str
    """The channel's session id; the recorder stores only a keyed hash of it."""
    at: float = 0.0
    intent: str | None = None
    procedure: str | None = None
    aspect: str | None = None
    state: str | None = None
    eservice: str | None = None
    step: str | None = None
    step_no: int | None = None
    answered: bool | None = None
    handoff: str | None = None
    outcome: str | None = None
    text: str | None = None
    """Set only by the recorder, for an unanswered question: the masked text."""
    raw: str | None = None
    """The question as typed, for the recorder to mask; never stored as it is."""


class Recorder(Protocol):
    def record(self, event: Event) -> None:
        """Keep ``event``; must return at once and never raise into the hop."""


class NullRecorder:
    """Records nothing (insights off, tests of the dialog core)."""

    def record(self, event: Event) -> None:
        return None


def form_position(d: Dialog, conv: Conversation) -> tuple[str | None, str | None, int | None]:
    """The e-service and step the conversation is on: ``(slug, field name, 1-based number)``
    on a form question, ``(slug, "confirm", None)`` on its review, else ``(None, None, None)``."""
    at = conv.state.get("at")
    data = conv.state.get("data") or {}
    slug = data.get("slug") if isinstance(data, dict) else None
    if at == "form" and slug:
        index = int(data.get("i", 0))
        try:
            schema = d.portal.form(slug)  # the cached catalogue: a dictionary look-up
        except Exception:  # an event must never cost the citizen their answer
            schema = None
        name = (schema.fields[index].name if schema is not None and 0 <= index < len(schema.fields)
                else f"step-{index + 1}")
        return slug, name, index + 1
    if at == "confirm" and slug:
        return slug, "submitted" if conv.state.get("submit_key") else "confirm", None
    return None, None, None


def observe(d: Dialog, conv: Conversation, inbound: Inbound, reply: Reply,
            before: str | None, understood: dict) -> Event:
    """The event of the step just taken: ``before`` is the screen it was taken on,
    ``understood`` what the NLU read in it (empty when it read nothing)."""
    at = conv.state.get("at")
    if understood and not understood.get("screen_answer"):
        kind = "question"
    elif inbound.choice:
        kind = "choice"
    elif (inbound.text or "").strip():
        kind = "answer"
    else:
        kind = "start"
    eservice, step, step_no = form_position(d, conv)
    outcome = None
    if before == "confirm" and conv.state.get("submit_key") and (reply.end or at == "submitted"):
        # Sent: the reply ends the session, or (a fee to pay) moves on to the "submitted"
        # screen that offers to pay now, where form_position sees no form any more.
        data = conv.state.get("data") or {}
        eservice = eservice or (data.get("slug") if isinstance(data, dict) else None)
        step, step_no, outcome = "submitted", None, "submitted"
    elif reply.end:
        outcome = "end"
    handoff = None
    if at in HANDOFF_STATES and before != at:
        data = conv.state.get("data") or {}
        handoff = (data.get("reason") if isinstance(data, dict) else None) \
            or (reply.handoff.reason if reply.handoff else None) or "asked"
    answered = None
    raw = None
    if kind == "question":
        answered = bool(understood.get("answered", True))
        if not answered:
            raw = inbound.text
    return Event(
        channel=conv.channel, lang=reply.lang or d.lang(conv), kind=kind, session=conv.session,
        at=time.time(), intent=understood.get("intent"), procedure=understood.get("procedure"),
        aspect=understood.get("aspect"), state=at, eservice=eservice, step=step, step_no=step_no,
        answered=answered, handoff=handoff, outcome=outcome, raw=raw)
