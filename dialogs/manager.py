"""The shared dialog manager: one state machine behind every channel.

A hop is load, step, save.  :meth:`DialogManager.step` looks the current state up in one
table (:data:`dialogs.journeys.table.TABLE`: state -> how it shows, what it takes) and lets
that journey handle the input; free text goes to the NLU's intent table
(:data:`dialogs.journeys.intents.INTENTS`).  The conversation (state, stack for "back",
language) lives in the session store; the profile (language, recent requests) outlives
sessions; an unfinished e-service form is kept as a draft for a short while so a dropped USSD
session can be resumed.

The manager never formats for a channel and never branches on one: an :class:`Inbound` says
what its channel can do (wait for a person, show an outcome later).  It never waits on slow
work: submissions and SMS go through :class:`dialogs.effects.Effects`.  When the portal is
slow or down it answers with what it has (the cached catalogue) or says what will happen next.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from dialogs.effects import Effects
from dialogs.handoff import Desk, Exchange, rating_of
from dialogs.identity import Verifier
from dialogs.insights.events import Recorder, observe
from dialogs.journeys import home, intents, language, search
from dialogs.journeys.core import MAX_RECENT, PROFILE_TTL, Dialog, Parser, State, keys
from dialogs.journeys.home import ENTRY_POINTS, HOME_CHOICES
from dialogs.journeys.table import TABLE
from dialogs.model import Conversation, Inbound, Reply
from dialogs.store import Store
from integrations.portal import PortalClient

__all__ = ["ENTRY_POINTS", "HOME_CHOICES", "DialogManager", "record_request"]

log = logging.getLogger(__name__)


NAVIGATION = {"nav:home": "Menu principal", "nav:back": "Retour"}
"""Keys a channel sends for its own navigation (USSD 00 and 0, the chat's buttons), as the
transcript names them when the screen did not list them."""

class DialogManager(Dialog):
    """Handles one :class:`Inbound` at a time and returns the next :class:`Reply`."""

    def __init__(
        self,
        store: Store,
        portal: PortalClient,
        effects: Effects,
        *,
        languages: tuple[str, ...] = ("fr", "en"),
        default_lang: str = "fr",
        session_ttl: int = 180,
        channel_ttls: dict[str, int] | None = None,
        resume_window: int = 600,
        track_code: str = "*202#",
        clock: Callable[[], float] = time.time,
        nlu: Parser | None = None,
        desk: Desk | None = None,
        verifier: Verifier | None = None,
        states: Mapping[str, State] = TABLE,
        events: Recorder | None = None,
    ) -> None:
        self.store = store
        self.portal = portal
        self.effects = effects
        self.languages = languages
        self.default_lang = default_lang
        self.session_ttl = session_ttl
        self.channel_ttls = channel_ttls or {}
        """Per-channel session lifetimes: a chat waits for a reply longer than a USSD hop."""
        self.resume_window = resume_window
        self.track_code = track_code
        self.clock = clock
        self.nlu = nlu
        self.desk = desk
        self.verifier = verifier
        """Proves a web visitor's number by SMS code before anything personal (None: no way)."""
        self.states = states
        self.events = events
        """Where the anonymous record of each exchange goes (None: not recorded)."""

    # -- persistence -------------------------------------------------------------------------

    def load(self, channel: str, session: str, user: str) -> Conversation:
        """Read the session, profile and draft in one round trip."""
        state, profile, draft = self.store.get_many(keys(channel, session, user))
        conv = Conversation(channel=channel, session=session, user=user)
        if state is not None:
            conv.state = state.get("dialog", {})
            conv.edge = state.get("edge", {})
            conv.is_new = False
        conv.profile = profile or {}
        conv.draft = draft
        return conv

    def save(self, conv: Conversation, *, end: bool = False) -> None:
        """Write back what changed in one round trip; an ended session is deleted."""
        skey, pkey, dkey = keys(conv.channel, conv.session, conv.user)
        items: dict[str, tuple[dict | None, int | None]] = {
            skey: (None if end else {"dialog": conv.state, "edge": conv.edge},
                   self.channel_ttls.get(conv.channel, self.session_ttl))
        }
        if conv.profile_dirty:
            items[pkey] = (conv.profile, PROFILE_TTL)
        if conv.draft_dirty:
            items[dkey] = (conv.draft, self.resume_window or None)
        self.store.put_many(items)

    def handle(self, inbound: Inbound) -> Reply:
        """Load, step and save: the whole hop for channels that keep no state of their own."""
        conv = self.load(inbound.channel, inbound.session, inbound.user)
        reply = self.step(conv, inbound)
        self.save(conv, end=reply.end)
        return reply

    def at(self, conv: Conversation) -> str | None:
        """The screen the conversation is on (None before it started or after it ended)."""
        return conv.state.get("at")

    # -- language, for channels --------------------------------------------------------------

    def profile_language(self, user: str) -> str:
        """The language a citizen chose (kept in their profile), else the default: for what a
        channel says outside a conversation (an SMS notice, the answer to a keyword)."""
        (profile,) = self.store.get_many([keys("", "", user)[1]])
        return (profile or {}).get("lang") or self.default_lang

    def remember_language(self, user: str, lang: str) -> bool:
        """Set a citizen's language outside a conversation (the SMS ``LANGUE`` keyword)."""
        if lang not in self.languages:
            return False
        key = keys("", "", user)[1]
        (profile,) = self.store.get_many([key])
        profile = profile or {}
        profile["lang"] = lang
        self.store.put_many({key: (profile, PROFILE_TTL)})
        return True

    def set_language(self, conv: Conversation, lang: str) -> bool:
        """Switch a live conversation, and the citizen's profile, to ``lang`` at once.

        The session's language wins over the profile's, so changing only the profile (the SMS
        ``LANGUE`` keyword mid-dialog) would go unseen until the session expired.
        """
        return language.set_language(self, conv, lang)

    def chosen_language(self, conv: Conversation) -> str | None:
        """The language this conversation or citizen chose, None while it was never asked."""
        return conv.state.get("lang") or conv.profile.get("lang")

    def assume_default_language(self, conv: Conversation) -> None:
        """Answer this session in the default language without asking (a USSD shortcut skips
        the language screen); the profile stays unset, so a plain start still asks."""
        if not self.chosen_language(conv):
            conv.state["lang"] = self.default_lang

    def switch_language(self, conv: Conversation, lang: str) -> Reply:
        """The web page's language selector: start again in ``lang`` (saved in the profile),
        on the main menu, or on the unfinished form's resume question."""
        conv.state = {"lang": self.chosen_language(conv)}
        return language.chosen(self, conv, lang)

    # -- dispatch ----------------------------------------------------------------------------

    def step(self, conv: Conversation, inbound: Inbound) -> Reply:
        """Apply one input to the conversation and return what to show next.

        Where the citizen can wait for a person, every exchange is also kept in the desk's
        transcript, with what the bot understood, so an agent who takes it sees it all.
        """
        conv.via = inbound
        recording = self.desk is not None and inbound.can_wait
        picked = self._picked_label(conv, inbound) if recording else None
        before = conv.state.get("at")
        reply = self._step(conv, inbound)
        if self.events is not None:
            self._observe(conv, inbound, reply, before)
        if recording:
            self._record(conv, inbound, reply, picked)
        else:
            conv.state.pop("nlu", None)
        return reply

    def _observe(self, conv: Conversation, inbound: Inbound, reply: Reply,
                 before: str | None) -> None:
        """Hand the anonymous record of this exchange to the insights (kept later, in batches)."""
        try:
            event = observe(self, conv, inbound, reply, before, conv.state.get("nlu") or {})
            if self.events is not None:
                self.events.record(event)
        except Exception:  # the insights must never cost the citizen their answer
            log.exception("could not record the exchange's event")

    def _picked_label(self, conv: Conversation, inbound: Inbound) -> str | None:
        """What the citizen saw on the button they pressed (the agent reads "Menu principal",
        not ``nav:home``); read before the step changes the screen."""
        if not inbound.choice or inbound.text or not conv.state.get("at"):
            return None
        try:
            choices = self.show(conv).choices
        except Exception:  # a transcript line must never cost the citizen their answer
            log.exception("could not read the screen's choices for the transcript")
            return None
        return next((c.label for c in choices if c.id == inbound.choice),
                    NAVIGATION.get(inbound.choice))

    def restep(self, conv: Conversation, inbound: Inbound) -> Reply:
        return self._step(conv, inbound)

    def _record(self, conv: Conversation, inbound: Inbound, reply: Reply,
                picked: str | None = None) -> None:
        understood = conv.state.pop("nlu", None) or {}
        said = inbound.text or picked or inbound.choice
        exchanges = []
        if said:
            exchanges.append(Exchange(
                conv.channel, conv.session, conv.user, "in", said, self.lang(conv),
                understood.get("intent"), understood.get("procedure")))
        if reply.parts or reply.error:
            text = "\n".join(([reply.error] if reply.error else []) + list(reply.parts))
            exchanges.append(Exchange(
                conv.channel, conv.session, conv.user, "out", text, reply.lang))
        try:
            if self.desk is not None and exchanges:  # both at once: they stay in order
                self.desk.record(*exchanges)
        except Exception:  # a transcript must never cost the citizen their answer
            log.exception("could not record the exchange")

    def _step(self, conv: Conversation, inbound: Inbound) -> Reply:
        rating = self._rating(conv, inbound)
        if rating is not None:
            return rating
        if inbound.locale in self.languages and not conv.state.get("lang"):
            conv.state["lang"] = inbound.locale
        text = (inbound.text or "").strip()
        if inbound.start is None and not conv.state.get("at") and text and self.nlu:
            home.start(self, conv, "home")  # a first message that is a question: answer it
            return intents.understand(self, conv, text)
        if inbound.start is not None or not conv.state.get("at"):
            return home.start(self, conv, inbound.start)
        if inbound.choice == "nav:home":
            return self.home(conv)
        if inbound.choice == "nav:back":
            return self.back(conv)
        state = self.states.get(conv.state["at"])
        if state is None:  # a state from an older release: start again rather than fail
            return self.home(conv)
        if (text and not text.isdigit() and not inbound.choice
                and self.is_question(conv, text) and not self.choice(conv, inbound)):
            found = search.typed(self, conv, text)  # a name typed on a list: its matches
            if found is not None:
                return found
            if self.nlu:
                return intents.understand(self, conv, text)
        return state.on(self, conv, inbound)

    def _rating(self, conv: Conversation, inbound: Inbound) -> Reply | None:
        """A 1-5 answer to the desk's satisfaction question, after an agent closed."""
        score = rating_of(inbound.text, inbound.choice)
        desk = self.desk
        if not (score is not None and desk is not None
                and desk.awaiting_rating(conv.channel, conv.session)):
            return None
        desk.record_satisfaction(conv.channel, conv.session, score)
        _ = self.t(conv)
        return self.reply(conv, [_("Merci pour votre avis.")], end=True, expects="nothing")


def record_request(store: Store, user: str, reference: str, slug: str, at: float) -> None:
    """Remember a submitted request in the citizen's profile ("my requests" when portal is down)."""
    key = keys("", "", user)[1]
    (profile,) = store.get_many([key])
    profile = profile or {}
    recent = [r for r in profile.get("requests", []) if r.get("reference") != reference]
    profile["requests"] = ([{"reference": reference, "procedure": slug, "at": at}]
                           + recent)[:MAX_RECENT]
    store.put_many({key: (profile, PROFILE_TTL)})
