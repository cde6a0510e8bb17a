"""What every journey step stands on: the state table's types and the moves between states.

A state is a :class:`State` in one table (``dialogs.journeys.table.TABLE``): a ``show``
function that builds its :class:`Reply` and an ``on`` function that takes the citizen's input.
Journeys are plain functions of a :class:`Dialog` (the manager, seen through the few things a
step needs), so each journey module has one job and reads top to bottom; nothing is looked up
by building a method name from a string.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from dialogs.effects import Effects
from dialogs.handoff import Desk
from dialogs.i18n import gettext_for
from dialogs.identity import Verifier, proven
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.store import Store
from integrations.portal import PortalClient

MAX_STACK = 12
MAX_RECENT = 5
PROFILE_TTL = 400 * 24 * 3600

Reads = Literal["choice", "answer", "number"]
Parser = Callable[[str, "str | None"], dict]


@dataclass(frozen=True)
class State:
    """One screen of the conversation.

    ``reads`` says what free text means there: ``choice`` (a question for the NLU unless it
    names a choice), ``answer`` (a form field, or words for a person: never for the bot),
    ``number`` (a reference or a phone: text without a digit is a new question).
    ``personal`` states show or file something of a person's: reached only with a proven
    number.  ``topic`` states remember their procedure for the agent (it survives "home").
    """

    show: Callable[[Dialog, Conversation], Reply]
    on: Callable[[Dialog, Conversation, Inbound], Reply]
    reads: Reads = "choice"
    personal: bool = False
    topic: bool = False


def keys(channel: str, session: str, user: str) -> tuple[str, str, str]:
    """Store keys of a session, a citizen's profile and their unfinished form."""
    return (f"gc:s:{channel}:{session}", f"gc:p:{user}", f"gc:d:{user}")


class Dialog:
    """The moves shared by every journey: go to a state, go back, show, say it was invalid.

    :class:`dialogs.manager.DialogManager` is the one implementation; the journeys only see
    this surface, which keeps them free of loading, saving and dispatch.
    """

    store: Store
    portal: PortalClient
    effects: Effects
    languages: tuple[str, ...]
    default_lang: str
    resume_window: int
    clock: Callable[[], float]
    nlu: Parser | None
    desk: Desk | None
    verifier: Verifier | None
    states: Mapping[str, State]

    # -- overridden by the manager: one hop from the top ------------------------------------

    def step(self, conv: Conversation, inbound: Inbound) -> Reply:
        raise NotImplementedError

    def restep(self, conv: Conversation, inbound: Inbound) -> Reply:
        """Handle ``inbound`` again from the top, without recording it twice."""
        raise NotImplementedError

    # -- language and wording ----------------------------------------------------------------

    def lang(self, conv: Conversation) -> str:
        return conv.state.get("lang") or conv.profile.get("lang") or self.default_lang

    def t(self, conv: Conversation) -> Callable[[str], str]:
        return gettext_for(self.lang(conv))

    def reply(self, conv: Conversation, parts: list[str] | tuple[str, ...], **kw) -> Reply:
        return Reply(parts=tuple(parts), lang=self.lang(conv), **kw)

    def unavailable(self, conv: Conversation) -> Reply:
        _ = self.t(conv)
        return self.reply(
            conv,
            [_("Service momentanément indisponible. Réessayez plus tard ou appelez le 135.")],
            choices=(Choice("nav:home", _("Menu principal")),),
        )

    def invalid(self, conv: Conversation) -> Reply:
        _ = self.t(conv)
        return self.show(conv).with_error(_("Choix invalide."))

    @staticmethod
    def prefixed(reply: Reply, line: str) -> Reply:
        return dataclasses.replace(reply, parts=(line, *reply.parts))

    # -- moving between states ---------------------------------------------------------------

    def show(self, conv: Conversation) -> Reply:
        """The reply for the current state, as it was last shown."""
        return self.states[conv.state["at"]].show(self, conv)

    def goto(self, conv: Conversation, at: str, data: dict | None = None, *,
             push: bool = True, reset: bool = False) -> Reply:
        gate = self.gate(conv, at, data)
        if gate is not None:
            return gate
        if self.states[at].topic and data and data.get("slug"):
            conv.state["topic"] = data["slug"]  # survives "home" and "back", for the agent
        stack = [] if reset else conv.state.get("stack", [])
        if push and not reset and conv.state.get("at"):
            stack = (stack + [[conv.state["at"], conv.state.get("data", {})]])[-MAX_STACK:]
        conv.state.update(at=at, data=data or {}, stack=stack)
        return self.show(conv)

    def home(self, conv: Conversation) -> Reply:
        return self.goto(conv, "home", reset=True)

    def back(self, conv: Conversation) -> Reply:
        if conv.state["at"] == "form" and conv.state["data"].get("i", 0) > 0:
            conv.state["data"]["i"] -= 1
            return self.show(conv)
        stack = conv.state.get("stack", [])
        if not stack:
            return self.home(conv)
        at, data = stack.pop()
        conv.state.update(at=at, data=data, stack=stack)
        return self.show(conv)

    def gate(self, conv: Conversation, at: str, data: dict | None) -> Reply | None:
        """The number step when ``at`` is personal and the user has not proven a number."""
        if not self.states[at].personal or proven(conv.user):
            return None
        if self.verifier is None:  # nothing can prove a number here: the 135 can help
            return self.goto(conv, "agent")
        reply = self.goto(conv, "verify_phone", {"then": [at, data or {}]})
        conv.state["data"]["depth"] = len(conv.state.get("stack", []))
        return reply

    # -- reading the input -------------------------------------------------------------------

    def choice(self, conv: Conversation, inbound: Inbound) -> str:
        """The id picked, also when typed as a number or a label (SMS, chat)."""
        if inbound.choice:
            return inbound.choice
        text = (inbound.text or "").strip()
        if not text:
            return ""
        choices = self.show(conv).choices
        if text.isdigit() and 1 <= int(text) <= len(choices):
            return choices[int(text) - 1].id
        folded = text.casefold()
        return next((c.id for c in choices if c.label.casefold() == folded), "")

    def picked(self, conv: Conversation, inbound: Inbound, prefix: str) -> str | None:
        """The rest of the picked choice id when it starts with ``prefix`` (``proc:<slug>``)."""
        choice = self.choice(conv, inbound)
        return choice[len(prefix):] if choice.startswith(prefix) else None

    def is_question(self, conv: Conversation, text: str) -> bool:
        """Whether free ``text`` typed on the current state is for the NLU."""
        reads = self.states[conv.state["at"]].reads
        if reads == "answer":
            return False
        return reads != "number" or not any(ch.isdigit() for ch in text)

    # -- the unfinished form -----------------------------------------------------------------

    def draft(self, conv: Conversation) -> dict | None:
        draft = conv.draft
        if draft and self.clock() - draft.get("saved_at", 0) <= self.resume_window:
            return draft
        return None

    def keep_draft(self, conv: Conversation) -> None:
        data = conv.state["data"]
        conv.draft = {"slug": data["slug"], "i": data["i"], "answers": data["answers"],
                      "saved_at": self.clock(), "lang": self.lang(conv)}
        conv.draft_dirty = True

    def drop_draft(self, conv: Conversation) -> None:
        if conv.draft is not None:
            conv.draft = None
            conv.draft_dirty = True


def via(conv: Conversation, **changes) -> Inbound:
    """An input the dialog makes on the citizen's behalf (an intent that means "yes"), carrying
    what the channel of the hop can do."""
    base = conv.via or Inbound(conv.channel, conv.user, conv.session)
    fresh: dict = {"text": None, "choice": None, "start": None, "locale": None, **changes}
    return dataclasses.replace(base, **fresh)
