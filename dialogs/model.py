"""The channel-neutral message types every channel speaks to the dialog manager.

A channel parses its provider's webhook into an :class:`Inbound` and renders the :class:`Reply`
it gets back.  Nothing here knows about screens, buttons or character sets: a USSD screen, an SMS,
a WhatsApp list and a web bubble are all renderings of the same Reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Expect = Literal["choice", "text", "nothing"]


@dataclass(frozen=True)
class Inbound:
    """One thing a citizen did: typed ``text``, or picked the choice whose id is ``choice``.

    ``start`` asks for a fresh conversation at an entry point (``"home"``, ``"procedures"``,
    ``"eservices"``, ``"track"``, ``"my_requests"``, ``"agent"``, ``"language"``): this is how a
    USSD shortcut code or a web deep link lands directly on a menu.  A conversation that starts
    without one first asks the language (once per user) or offers to resume a dropped form.
    """

    channel: str
    user: str
    session: str
    text: str | None = None
    choice: str | None = None
    locale: str | None = None
    start: str | None = None
    client: str | None = None
    """The network address it came from, where the channel knows one (web chat): sends of
    one-time codes are counted per address."""
    can_wait: bool = True
    """The citizen can stay in the conversation while waiting for a person (SMS, WhatsApp,
    web chat): a hand-off joins the agents' queue.  A USSD session cannot: it leaves a
    callback request instead, and its hops are not kept in the desk's transcript."""
    shows_later: bool = False
    """An outcome known only later (a submitted request's reference) can still be shown in
    this conversation (the web chat log), not only sent by SMS."""
    compact: bool = False
    """A small screen that pages a long list a few lines at a time (USSD): long lists of the
    catalogue are cut into alphabetical ranges sooner."""


ChoiceKind = Literal["sms", "later", "skip"]


@dataclass(frozen=True)
class Choice:
    """An option offered to the citizen.  ``id`` is stable; ``label`` is in the user's language.

    ``kind`` tells channels what the option does when they render it their own way: ``sms``
    sends what is on the screen by SMS (a web visitor without a number is not offered it, nor
    is a citizen reading an SMS already), ``later`` sends it by SMS once it can be had (offered
    on SMS too), ``skip`` leaves an optional answer empty (keypads show it as ``99``, after
    the numbered ones).
    """

    id: str
    label: str
    kind: ChoiceKind | None = None


@dataclass(frozen=True)
class Handoff:
    """The conversation should go to a person.  ``reason`` says why, for the agent."""

    reason: str
    topic: str | None = None


@dataclass(frozen=True)
class Reply:
    """What to show next.

    ``parts`` are paragraphs in the user's language, ``choices`` the options (channels number them
    or turn them into buttons), ``expects`` whether the next input is a choice or free text,
    ``end`` closes the session, ``navigable`` says whether "back" and "home" make sense here.
    ``error`` is a short reason why the last input was not accepted; channels show it first.
    A reply with no parts, choices or error means "say nothing" (an agent has the
    conversation): channels send nothing.
    """

    parts: tuple[str, ...]
    lang: str
    choices: tuple[Choice, ...] = ()
    expects: Expect = "choice"
    end: bool = False
    navigable: bool = True
    handoff: Handoff | None = None
    error: str | None = None
    input: Literal["tel", "code"] | None = None
    """What kind of text is expected, for a keyboard that fits (a phone number, an SMS code)."""

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.parts if p)

    def with_error(self, error: str) -> Reply:
        return replace(self, error=error)


@dataclass
class Conversation:
    """The state the manager keeps for one session plus the user's long-lived profile.

    ``edge`` belongs to the channel (what it numbered, which page it showed); the manager stores it
    with the session without reading it, so a hop costs one read and one write of the store.
    """

    channel: str
    session: str
    user: str
    state: dict = field(default_factory=dict)
    profile: dict = field(default_factory=dict)
    draft: dict | None = None
    edge: dict = field(default_factory=dict)
    is_new: bool = True
    profile_dirty: bool = False
    draft_dirty: bool = False
    via: Inbound | None = field(default=None, compare=False)
    """The input of the hop being handled (what its channel can do); never stored."""
