"""The shared dialog manager: one state machine behind every channel.

Each state has a ``_show_<state>`` method that builds its :class:`Reply` and an ``_on_<state>``
method that takes the citizen's input.  The conversation (state, stack for "back", language) lives
in the session store; the profile (language, recent requests) outlives sessions; an unfinished
e-service form is kept as a draft for a short while so a dropped USSD session can be resumed.

The manager never formats for a channel and never waits on slow work: submissions and SMS go
through :class:`dialogs.effects.Effects`.  When the portal is slow or down it answers with what
it has (the cached catalogue) or says what will happen next.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable

from dialogs.effects import Effects
from dialogs.forms import check, display
from dialogs.handoff import Desk, Exchange
from dialogs.i18n import LANGUAGE_NAMES, gettext_for, money, when
from dialogs.identity import IdentitySteps, Verifier, owns
from dialogs.model import Choice, Conversation, Handoff, Inbound, Reply
from dialogs.phones import subscriber, to_e164
from dialogs.references import normalise as normalise_reference
from dialogs.store import Store
from dialogs.texts import ASPECTS, fact, heading, sheet_lines, short_title, status_lines
from integrations.portal import PortalClient
from integrations.portal.errors import PortalError, PortalNotFound, PortalUnavailable
from integrations.portal.models import FormField, FormSchema, pick

log = logging.getLogger(__name__)

ENTRY_POINTS = ("home", "procedures", "eservices", "track", "my_requests", "agent", "language")
HOME_CHOICES = ("procedures", "eservices", "track", "my_requests", "agent", "language")
"""Main-menu order; a USSD shortcut ``*202*N#`` opens entry N of this list."""
PROFILE_TTL = 400 * 24 * 3600
MAX_RECENT = 5
MAX_STACK = 12
MIN_CONFIDENCE = 0.45
"""Below this intent confidence the manager says it did not understand rather than guess."""
LANGUAGE_CONFIDENCE = 0.6
NO_NLU_STATES = ("form", "with_agent")
"""States whose free text is an answer (a form field) or is for a person, never for the bot."""
NUMBER_STATES = ("track", "callback_phone", "verify_phone", "verify_code")
"""States waiting for a number (a reference, a phone): text without a digit is a new question."""

Parser = Callable[[str, "str | None"], dict]


class DialogManager(IdentitySteps):
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

    # -- persistence -------------------------------------------------------------------------

    @staticmethod
    def _keys(channel: str, session: str, user: str) -> tuple[str, str, str]:
        return (f"gc:s:{channel}:{session}", f"gc:p:{user}", f"gc:d:{user}")

    def load(self, channel: str, session: str, user: str) -> Conversation:
        """Read the session, profile and draft in one round trip."""
        state, profile, draft = self.store.get_many(self._keys(channel, session, user))
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
        skey, pkey, dkey = self._keys(conv.channel, conv.session, conv.user)
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

    def remember_language(self, user: str, lang: str) -> bool:
        """Set a citizen's language outside a conversation (the SMS ``LANGUE`` keyword)."""
        if lang not in self.languages:
            return False
        key = f"gc:p:{user}"
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
        if lang not in self.languages:
            return False
        conv.state["lang"] = lang
        conv.profile["lang"] = lang
        conv.profile_dirty = True
        return True

    # -- dispatch ----------------------------------------------------------------------------

    def lang(self, conv: Conversation) -> str:
        return conv.state.get("lang") or conv.profile.get("lang") or self.default_lang

    def step(self, conv: Conversation, inbound: Inbound) -> Reply:
        """Apply one input to the conversation and return what to show next.

        On live channels every exchange is also kept in the desk's transcript, with what the
        bot understood, so an agent who takes the conversation sees it all.
        """
        reply = self._step(conv, inbound)
        if self.desk is not None and conv.channel != "ussd":
            self._record(conv, inbound, reply)
        return reply

    def _record(self, conv: Conversation, inbound: Inbound, reply: Reply) -> None:
        understood = conv.state.pop("nlu", None) or {}
        said = inbound.text or inbound.choice
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
            self._start(conv, "home")  # a first message that is a question: answer it
            return self._understand(conv, text)
        if inbound.start is not None or not conv.state.get("at"):
            return self._start(conv, inbound.start)
        if inbound.choice == "nav:home":
            return self._goto(conv, "home", reset=True)
        if inbound.choice == "nav:back":
            return self._back(conv)
        handler = getattr(self, f"_on_{conv.state['at']}", None)
        if handler is None:  # a state from an older release: start again rather than fail
            return self._goto(conv, "home", reset=True)
        if (text and not text.isdigit() and not inbound.choice and self.nlu
                and self._is_question(conv, text) and not self._choice(conv, inbound)):
            return self._understand(conv, text)
        return handler(conv, inbound)

    def show(self, conv: Conversation) -> Reply:
        """The reply for the current state, as it was last shown."""
        return getattr(self, f"_show_{conv.state['at']}")(conv)

    def _goto(self, conv: Conversation, at: str, data: dict | None = None, *,
              push: bool = True, reset: bool = False) -> Reply:
        gate = self._gate(conv, at, data)
        if gate is not None:
            return gate
        if at in ("sheet", "form", "confirm") and data and data.get("slug"):
            conv.state["topic"] = data["slug"]  # survives "home" and "back", for the agent
        stack = [] if reset else conv.state.get("stack", [])
        if push and not reset and conv.state.get("at"):
            stack = (stack + [[conv.state["at"], conv.state.get("data", {})]])[-MAX_STACK:]
        conv.state.update(at=at, data=data or {}, stack=stack)
        return self.show(conv)

    def _back(self, conv: Conversation) -> Reply:
        if conv.state["at"] == "form" and conv.state["data"].get("i", 0) > 0:
            conv.state["data"]["i"] -= 1
            return self.show(conv)
        stack = conv.state.get("stack", [])
        if not stack:
            return self._goto(conv, "home", reset=True)
        at, data = stack.pop()
        conv.state.update(at=at, data=data, stack=stack)
        return self.show(conv)

    def _start(self, conv: Conversation, entry: str | None) -> Reply:
        conv.state = {"lang": conv.state.get("lang") or conv.profile.get("lang")}
        if entry is None:  # a plain start: first ask the language, or offer to resume
            if not conv.state["lang"] and len(self.languages) > 1:
                return self._goto(conv, "language", {"first": True}, reset=True)
            if self._draft(conv):
                return self._goto(conv, "resume", reset=True)
        if entry not in ENTRY_POINTS or entry is None:
            entry = "home"
        if entry != "home":
            self._goto(conv, "home", reset=True)
            if entry == "agent":
                return self._handoff(conv, "asked")
            return self._goto(conv, entry)
        return self._goto(conv, "home", reset=True)

    def _draft(self, conv: Conversation) -> dict | None:
        draft = conv.draft
        if draft and self.clock() - draft.get("saved_at", 0) <= self.resume_window:
            return draft
        return None

    def _t(self, conv: Conversation):
        return gettext_for(self.lang(conv))

    def _reply(self, conv: Conversation, parts: list[str] | tuple[str, ...], **kw) -> Reply:
        return Reply(parts=tuple(parts), lang=self.lang(conv), **kw)

    def _unavailable(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self._reply(
            conv,
            [_("Service momentanément indisponible. Réessayez plus tard ou appelez le 135.")],
            choices=(Choice("nav:home", _("Menu principal")),),
        )

    # -- language ----------------------------------------------------------------------------

    def _show_language(self, conv: Conversation) -> Reply:
        choices = tuple(Choice(f"lang:{code}", LANGUAGE_NAMES.get(code, code))
                        for code in self.languages)
        first = conv.state.get("data", {}).get("first")
        title = "Service Public" if first else self._t(conv)("Choisissez votre langue")
        return self._reply(conv, [title], choices=choices, navigable=not first)

    def _on_language(self, conv: Conversation, inbound: Inbound) -> Reply:
        code = (inbound.choice or "").removeprefix("lang:")
        if not self.set_language(conv, code):
            return self._invalid(conv)
        if self._draft(conv):
            return self._goto(conv, "resume", reset=True)
        return self._goto(conv, "home", reset=True)

    # -- home --------------------------------------------------------------------------------

    def _show_home(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        labels = {
            "procedures": _("Démarches et coûts"),
            "eservices": _("Faire une demande"),
            "track": _("Suivre une demande"),
            "my_requests": _("Mes demandes"),
            "agent": _("Parler à un agent"),
            "language": _("Langue / Language"),
        }
        return self._reply(
            conv,
            [_("Service Public du Bénin")],
            choices=tuple(Choice(key, labels[key]) for key in HOME_CHOICES),
            navigable=False,
        )

    def _on_home(self, conv: Conversation, inbound: Inbound) -> Reply:
        choice = self._choice(conv, inbound)
        if choice not in HOME_CHOICES:
            return self._invalid(conv)
        if choice == "agent":
            return self._handoff(conv, "asked")
        return self._goto(conv, choice)

    # -- catalogue ---------------------------------------------------------------------------

    def _show_procedures(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        try:
            categories = self.portal.categories()
        except PortalError:
            return self._unavailable(conv)
        lang = self.lang(conv)
        return self._reply(
            conv,
            [_("Démarches par thème")],
            choices=tuple(Choice(f"cat:{c.slug}", pick(c.title, lang)[0] or c.slug)
                          for c in categories),
        )

    def _on_procedures(self, conv: Conversation, inbound: Inbound) -> Reply:
        slug = self._picked(conv, inbound, "cat:")
        return self._invalid(conv) if slug is None else self._goto(conv, "category", {"slug": slug})

    def _show_category(self, conv: Conversation) -> Reply:
        slug = conv.state["data"]["slug"]
        try:
            procedures = self.portal.procedures(category=slug)
            categories = {c.slug: c for c in self.portal.categories()}
        except PortalError:
            return self._unavailable(conv)
        lang = self.lang(conv)
        title = pick(categories[slug].title, lang)[0] if slug in categories else slug
        return self._reply(
            conv,
            [title or slug],
            choices=tuple(Choice(f"proc:{p.slug}", short_title(p, lang)) for p in procedures),
        )

    def _on_category(self, conv: Conversation, inbound: Inbound) -> Reply:
        slug = self._picked(conv, inbound, "proc:")
        return self._invalid(conv) if slug is None else self._goto(conv, "sheet", {"slug": slug})

    def _show_sheet(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        try:
            proc = self.portal.procedure(conv.state["data"]["slug"])
        except PortalNotFound:
            return self._goto(conv, "home", reset=True)
        except PortalError:
            return self._unavailable(conv)
        lang = self.lang(conv)
        aspects = conv.state["data"].get("aspects") or []
        choices = []
        if aspects:  # a question about one fact gets that fact, and the rest on request
            lines = heading(proc, lang)[:1] + [fact(proc, a, lang) for a in aspects]
            choices.append(Choice("more", _("Toute la fiche")))
        else:
            lines = sheet_lines(proc, lang)
        choices.append(Choice("sms", _("Recevoir par SMS")))
        if proc.eservice:
            choices.append(Choice("apply", _("Faire la demande")))
        return self._reply(conv, lines, choices=tuple(choices))

    def _on_sheet(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)
        choice = self._choice(conv, inbound)
        slug = conv.state["data"]["slug"]
        if choice == "sms":
            try:
                proc = self.portal.procedure(slug)
            except PortalError:
                return self._unavailable(conv)
            text = "\n".join(sheet_lines(proc, self.lang(conv)))
            self.effects.send_text(conv.user, text, lang=self.lang(conv),
                                   key=f"sheet:{conv.session}:{slug}")
            return self._reply(
                conv, [_("Vous allez recevoir la fiche par SMS. Merci.")], end=True,
                expects="nothing",
            )
        if choice == "apply":
            return self._start_form(conv, slug)
        if choice == "more":
            return self._goto(conv, "sheet", {"slug": slug})
        return self._invalid(conv)

    # -- e-services --------------------------------------------------------------------------

    def _show_eservices(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        try:
            procedures = [p for p in self.portal.procedures() if p.eservice]
        except PortalError:
            return self._unavailable(conv)
        lang = self.lang(conv)
        return self._reply(
            conv,
            [_("Demandes en ligne")],
            choices=tuple(Choice(f"proc:{p.slug}", short_title(p, lang)) for p in procedures),
        )

    def _on_eservices(self, conv: Conversation, inbound: Inbound) -> Reply:
        slug = self._picked(conv, inbound, "proc:")
        return self._invalid(conv) if slug is None else self._start_form(conv, slug)

    def _form(self, slug: str) -> FormSchema | None:
        return self.portal.form(slug)

    def _start_form(self, conv: Conversation, slug: str) -> Reply:
        try:
            schema = self._form(slug)
        except PortalError:
            return self._unavailable(conv)
        if schema is None or not schema.fields:
            return self._goto(conv, "sheet", {"slug": slug})
        return self._goto(conv, "form", {"slug": slug, "i": 0, "answers": {}})

    def _current_form(self, conv: Conversation) -> FormSchema | Reply:
        """The schema of the form being filled, or the reply to show when it cannot be had."""
        try:
            schema = self._form(conv.state["data"]["slug"])
        except PortalError:
            return self._unavailable(conv)
        if schema is None:  # the portal withdrew the e-service meanwhile
            return self._goto(conv, "home", reset=True)
        return schema

    def _show_form(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        data = conv.state["data"]
        schema = self._current_form(conv)
        if isinstance(schema, Reply):
            return schema
        lang = self.lang(conv)
        field = schema.fields[data["i"]]
        label = pick(field.label, lang)[0] or field.name
        hint = pick(field.hint, lang)[0]
        head = _("Étape {n}/{total}").format(n=data["i"] + 1, total=len(schema.fields))
        parts = [f"{head}: {label}"]
        if hint and field.type != "choice":
            parts.append(hint)
        if field.type == "choice":
            return self._reply(conv, parts, choices=tuple(
                Choice(f"opt:{o.value}", pick(o.label, lang)[0] or o.value)
                for o in field.options))
        choices = () if field.required else (Choice("skip", _("Passer")),)
        return self._reply(conv, parts, choices=choices, expects="text")

    def _on_form(self, conv: Conversation, inbound: Inbound) -> Reply:
        data = conv.state["data"]
        schema = self._current_form(conv)
        if isinstance(schema, Reply):
            return schema
        field: FormField = schema.fields[data["i"]]
        if inbound.choice == "skip" and not field.required:
            checked_value = ""
        else:
            checked = check(field, inbound.text, inbound.choice, self.lang(conv))
            if not checked.ok:
                return self.show(conv).with_error(checked.reason or "")
            checked_value = checked.value or ""
        data["answers"][field.name] = checked_value
        data["i"] += 1
        self._keep_draft(conv)
        if data["i"] >= len(schema.fields):
            data["i"] = len(schema.fields) - 1
            return self._goto(conv, "confirm", {"slug": data["slug"], "answers": data["answers"]})
        return self.show(conv)

    def _keep_draft(self, conv: Conversation) -> None:
        data = conv.state["data"]
        conv.draft = {"slug": data["slug"], "i": data["i"], "answers": data["answers"],
                      "saved_at": self.clock(), "lang": self.lang(conv)}
        conv.draft_dirty = True

    def _drop_draft(self, conv: Conversation) -> None:
        if conv.draft is not None:
            conv.draft = None
            conv.draft_dirty = True

    def _show_confirm(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        data = conv.state["data"]
        lang = self.lang(conv)
        try:
            schema = self._form(data["slug"])
            proc = self.portal.procedure(data["slug"])
        except PortalError:
            return self._unavailable(conv)
        if schema is None:
            return self._goto(conv, "home", reset=True)
        lines = [_("Vérifiez : {title}").format(title=short_title(proc, lang))]
        for field in schema.fields:
            value = display(field, data["answers"].get(field.name, ""), lang)
            lines.append(f"{pick(field.label, lang)[0] or field.name}: {value or '-'}")
        fee = schema.fee_xof if schema.fee_xof is not None else proc.cost_xof
        if fee:  # last, right above "1 Confirmer": a USSD page keeps them together
            lines.append(_("Frais : {amount}").format(amount=money(fee, lang)))
        return self._reply(conv, lines, choices=(
            Choice("confirm", _("Confirmer")),
            Choice("restart", _("Corriger")),
            Choice("cancel", _("Annuler")),
        ))

    def _on_confirm(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)
        choice = self._choice(conv, inbound)
        data = conv.state["data"]
        if choice == "restart":
            return self._goto(conv, "form", {"slug": data["slug"], "i": 0,
                                             "answers": data["answers"]}, push=False)
        if choice == "cancel":
            self._drop_draft(conv)
            reply = self._goto(conv, "home", reset=True)
            return reply.with_error(_("Demande annulée."))
        if choice != "confirm":
            return self._invalid(conv)
        key = conv.state.setdefault("submit_key", uuid.uuid4().hex)
        chat = f"web:{conv.session}" if conv.channel == "webchat" else None
        self.effects.submit(user=conv.user, lang=self.lang(conv), slug=data["slug"],
                            answers=dict(data["answers"]), key=key, also=chat)
        self._drop_draft(conv)
        if subscriber(conv.user) is None:  # a web visitor known only by session
            sent = _("Demande envoyée. Sa référence et comment payer s'afficheront ici.")
        elif chat:
            sent = _("Demande envoyée. Sa référence et comment payer s'afficheront ici et "
                     "vous seront envoyés par SMS.")
        else:
            sent = _("Demande envoyée. Vous recevrez par SMS sa référence et comment payer.")
        return self._reply(conv, [sent], end=True, expects="nothing")

    def _show_resume(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        draft = conv.draft or {}
        try:
            title = short_title(self.portal.procedure(draft.get("slug", "")), self.lang(conv))
        except PortalError:
            title = draft.get("slug", "")
        return self._reply(
            conv,
            [_("Reprendre votre demande ?"), title],
            choices=(Choice("yes", _("Oui, reprendre")), Choice("no", _("Non, menu"))),
            navigable=False,
        )

    def _on_resume(self, conv: Conversation, inbound: Inbound) -> Reply:
        choice = self._choice(conv, inbound)
        draft = self._draft(conv)
        if choice == "yes" and draft:
            self._goto(conv, "home", reset=True)
            return self._goto(conv, "form", {"slug": draft["slug"], "i": draft["i"],
                                             "answers": draft["answers"]})
        if choice in ("yes", "no"):
            self._drop_draft(conv)
            return self._goto(conv, "home", reset=True)
        return self._invalid(conv)

    # -- tracking ----------------------------------------------------------------------------

    def _show_track(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self._reply(
            conv, [_("Entrez la référence de la demande"), _("Exemple : 2026000123")],
            expects="text",
        )

    def _on_track(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)
        reference = normalise_reference(inbound.text or inbound.choice or "")
        if reference is None:
            return self.show(conv).with_error(_("Référence invalide."))
        return self._status(conv, reference)

    def _status(self, conv: Conversation, reference: str) -> Reply:
        _ = self._t(conv)
        lang = self.lang(conv)
        try:
            req = self.portal.status(reference)
        except PortalNotFound:
            reply = self.show(conv) if conv.state["at"] == "track" else self._goto(conv, "track")
            return reply.with_error(_("Aucune demande {ref}.").format(ref=reference))
        except PortalUnavailable:
            self.effects.status_later(user=conv.user, lang=lang, reference=reference,
                                      key=f"status:{conv.session}:{reference}")
            return self._reply(conv, [_(
                "Le service est lent. Nous vous enverrons le statut de {ref} par SMS."
            ).format(ref=reference)], end=True, expects="nothing")
        try:
            title = short_title(self.portal.procedure(req.procedure), lang)
        except PortalError:
            title = req.procedure
        mine = not req.note or owns(self.portal, conv.user, reference, conv.profile)
        return self._goto(conv, "status", {"lines": status_lines(req, lang, title, private=mine),
                                           "ref": reference})

    def _show_status(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self._reply(conv, conv.state["data"]["lines"],
                           choices=(Choice("sms", _("Recevoir par SMS")),))

    def _on_status(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)
        if self._choice(conv, inbound) != "sms":
            return self._invalid(conv)
        data = conv.state["data"]
        self.effects.send_text(conv.user, "\n".join(data["lines"]), lang=self.lang(conv),
                               key=f"status-sms:{conv.session}:{data['ref']}")
        return self._reply(conv, [_("Vous allez recevoir le statut par SMS. Merci.")],
                           end=True, expects="nothing")

    def _show_my_requests(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        lang = self.lang(conv)
        data = conv.state["data"]
        try:
            if data.get("unavailable"):  # the screen shown stays the one answered
                raise PortalUnavailable("shown unavailable", kind="shown")
            found = [(r.reference, r.procedure) for r in self.portal.requests_for(conv.user)]
        except PortalError:
            found = [(r["reference"], r["procedure"]) for r in conv.profile.get("requests", [])]
            if not found:  # not "none": the portal could not say
                data["unavailable"] = True
                return self._reply(conv, [_("Vos demandes sont indisponibles pour le moment.")],
                                   choices=(Choice("sms", _("Recevoir par SMS")),))
        if not found:
            return self._reply(conv, [_("Aucune demande pour ce numéro.")],
                               choices=(Choice("eservices", _("Faire une demande")),))
        choices = []
        for reference, slug in found[:MAX_RECENT]:
            try:
                title = short_title(self.portal.procedure(slug), lang)
            except PortalError:
                title = slug
            choices.append(Choice(f"ref:{reference}", f"{reference[3:]} {title}"))
        return self._reply(conv, [_("Vos demandes")], choices=tuple(choices))

    def _on_my_requests(self, conv: Conversation, inbound: Inbound) -> Reply:
        choice = self._choice(conv, inbound)
        if choice == "eservices":
            return self._goto(conv, "eservices")
        if choice == "sms":
            _ = self._t(conv)
            self.effects.requests_later(user=conv.user, lang=self.lang(conv),
                                        key=f"requests:{conv.session}")
            return self._reply(conv, [_("Nous vous enverrons la liste de vos demandes par SMS.")],
                               end=True, expects="nothing")
        if choice.startswith("ref:"):
            return self._status(conv, choice[4:])
        return self._invalid(conv)

    # -- people ------------------------------------------------------------------------------

    def _topic(self, conv: Conversation) -> str | None:
        """The procedure the citizen last looked at in this session, for routing and the agent."""
        return conv.state.get("topic")

    def _handoff(self, conv: Conversation, reason: str) -> Reply:
        """Hand the conversation to a person, the way this channel can."""
        if self.desk is None:
            return self._goto(conv, "agent")
        topic = self._topic(conv)
        if conv.channel == "ussd":  # a USSD session cannot wait in a queue: call back
            return self._goto(conv, "callback", {"topic": topic, "reason": reason})
        try:
            hours = self.desk.hours()
            if not hours.open:
                return self._goto(conv, "line_closed", {"topic": topic, "reason": reason,
                                                        "opens_at": hours.opens_at})
            ticket = self.desk.enqueue(channel=conv.channel, session=conv.session,
                                       user=conv.user, lang=self.lang(conv), reason=reason,
                                       topic=topic)
        except Exception:  # the desk is down: the 135 line still works
            log.exception("hand-off failed")
            return self._goto(conv, "agent")
        return self._goto(conv, "with_agent", {"position": ticket.position,
                                               "wait": ticket.wait_minutes, "reason": reason,
                                               "topic": topic})

    def _show_agent(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self._reply(
            conv,
            [_("Pour parler à un conseiller, appelez le 135 (Allo Service Public).")],
            end=True, expects="nothing", handoff=Handoff(reason="asked"),
        )

    def _show_with_agent(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        data = conv.state["data"]
        lines = [_("Un conseiller va vous répondre.")]
        if data.get("position"):
            lines.append(_("Vous êtes n°{position} dans la file.").format(
                position=data["position"]))
        if data.get("wait"):
            lines.append(_("Attente estimée : {minutes} min.").format(minutes=data["wait"]))
        lines.append(_("Écrivez votre message : il lui sera transmis."))
        return self._reply(conv, lines, expects="text", navigable=False,
                           handoff=Handoff(reason=data.get("reason", "asked"),
                                           topic=data.get("topic")))

    def _on_with_agent(self, conv: Conversation, inbound: Inbound) -> Reply:
        """While a person has the conversation, the bot stays quiet; the desk shows the text."""
        if self.desk is not None and self.desk.with_agent(conv.channel, conv.session):
            return self._reply(conv, [], expects="text", navigable=False)
        self._goto(conv, "home", reset=True)  # the agent handed back: the bot answers again
        return self._step(conv, inbound)

    def _show_line_closed(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        opens = conv.state["data"].get("opens_at")
        lines = [_("Le 135 est fermé pour le moment.")]
        if opens:
            lines.append(_("Il ouvre {when}.").format(when=when(opens, self.lang(conv))))
        lines.append(_("Voulez-vous être rappelé ?"))
        return self._reply(conv, lines, choices=(Choice("yes", _("Oui, rappelez-moi")),
                                                 Choice("no", _("Non, merci"))))

    def _on_line_closed(self, conv: Conversation, inbound: Inbound) -> Reply:
        choice = self._choice(conv, inbound)
        if choice == "yes":
            return self._goto(conv, "callback", dict(conv.state["data"]))
        if choice == "no":
            return self._goto(conv, "home", reset=True)
        return self._invalid(conv)

    def _show_callback(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        choices = [Choice("other", _("Sur un autre numéro"))]
        if to_e164(conv.user):
            choices.insert(0, Choice("self", _("Sur ce numéro")))
        return self._reply(conv, [_("Un conseiller du 135 peut vous rappeler.")],
                           choices=tuple(choices))

    def _on_callback(self, conv: Conversation, inbound: Inbound) -> Reply:
        choice = self._choice(conv, inbound)
        data = dict(conv.state["data"])
        if choice == "self" and to_e164(conv.user):
            return self._goto(conv, "callback_slot", {**data, "phone": conv.user})
        if choice == "other":
            return self._goto(conv, "callback_phone", data)
        return self._invalid(conv)

    def _show_callback_phone(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self._reply(conv, [_("Numéro à rappeler ?"), _("Exemple : 0197000000")],
                           expects="text")

    def _on_callback_phone(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)
        phone = to_e164(inbound.text or "")
        if phone is None:
            return self.show(conv).with_error(_("Numéro invalide. Exemple : 0197000000"))
        return self._goto(conv, "callback_slot", {**conv.state["data"], "phone": phone})

    def _show_callback_slot(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self._reply(conv, [_("Quand ?")], choices=tuple(
            Choice(f"slot:{slot}", label) for slot, label in self._slots(conv).items()))

    def _slots(self, conv: Conversation) -> dict[str, str]:
        _ = self._t(conv)
        return {"asap": _("Dès que possible"), "morning": _("Le matin"),
                "afternoon": _("L'après-midi")}

    def _on_callback_slot(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)
        slot = self._picked(conv, inbound, "slot:")
        if slot not in self._slots(conv):
            return self._invalid(conv)
        data, lang = conv.state["data"], self.lang(conv)
        try:
            if self.desk is None:
                raise LookupError("no desk to call back from")
            self.desk.request_callback(
                channel=conv.channel, session=conv.session, user=conv.user,
                phone=data["phone"], slot=slot, lang=lang, topic=data.get("topic"))
        except Exception:
            log.exception("callback request failed")
            return self._goto(conv, "agent")
        label = self._slots(conv)[slot].lower()
        self.effects.send_text(conv.user, _(
            "Service Public : un conseiller du 135 vous rappellera ({slot}) au {phone}."
        ).format(slot=label, phone=data["phone"]), lang=lang,
            key=f"callback:{conv.channel}:{conv.session}")
        return self._reply(conv, [_(
            "C'est noté : un conseiller vous rappellera ({slot}). Un SMS vous le confirme."
        ).format(slot=label)], end=True, expects="nothing",
            handoff=Handoff(reason=data.get("reason", "asked"), topic=data.get("topic")))

    def _rating(self, conv: Conversation, inbound: Inbound) -> Reply | None:
        """A 1-5 answer to the desk's satisfaction question, after an agent closed."""
        text = (inbound.text or "").strip()
        desk = self.desk
        if not (text in ("1", "2", "3", "4", "5") and desk is not None
                and desk.awaiting_rating(conv.channel, conv.session)):
            return None
        desk.record_satisfaction(conv.channel, conv.session, int(text))
        _ = self._t(conv)
        return self._reply(conv, [_("Merci pour votre avis.")], end=True, expects="nothing")

    # -- free text ---------------------------------------------------------------------------

    def _understand(self, conv: Conversation, text: str) -> Reply:
        """Answer a message written in the citizen's own words (SMS, WhatsApp, web chat)."""
        try:
            result = self.nlu(text[:1000], conv.profile.get("lang"))  # type: ignore[misc]
        except Exception:  # the NLU must never take a conversation down
            log.exception("nlu failed")
            return self._misunderstood(conv)
        language = result.get("language") or {}
        if (not conv.profile.get("lang") and language.get("code") in self.languages
                and language.get("confidence", 0) >= LANGUAGE_CONFIDENCE):
            conv.state["lang"] = language["code"]  # answer in the language of the question
        intent = result.get("intent") or {}
        name = intent.get("name") or "out_of_scope"
        if intent.get("confidence", 0) < MIN_CONFIDENCE:
            name = "out_of_scope"
        procedures = [e.get("value") for e in result.get("entities") or []
                      if e.get("entity") == "procedure"]
        conv.state["nlu"] = {"intent": name, "procedure": procedures[0] if procedures else None}
        found: dict[str, list[str]] = {}
        for entity in result.get("entities") or []:
            values = found.setdefault(entity.get("entity", ""), [])
            if entity.get("value") not in values:
                values.append(entity.get("value"))
        handler = getattr(self, f"_intent_{name}", None)
        if handler is None:
            return self._misunderstood(conv)
        reply = handler(conv, found)
        if reply is None:
            return self._misunderstood(conv)
        conv.state["misses"] = 0
        return reply

    def _misunderstood(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        conv.state["misses"] = conv.state.get("misses", 0) + 1
        if conv.state["misses"] >= 2:  # two in a row: a person will do better
            conv.state["misses"] = 0
            return self._prefixed(self._handoff(conv, "misunderstood"), _(
                "Je ne comprends toujours pas. Je vous passe un conseiller du 135."))
        home = self._goto(conv, "home", reset=True)
        return self._prefixed(home, _(
            "Je n'ai pas compris. Posez une question courte (ex : prix du passeport) "
            "ou choisissez :"))

    @staticmethod
    def _prefixed(reply: Reply, line: str) -> Reply:
        return dataclasses.replace(reply, parts=(line, *reply.parts))

    def _intent_ask_procedure(self, conv: Conversation, found: dict) -> Reply | None:
        _ = self._t(conv)
        slugs = found.get("procedure", [])
        aspects = [a for a in found.get("aspect", []) if a in ASPECTS]
        if len(slugs) > 1:
            return self._goto(conv, "clarify", {"slugs": slugs[:5], "aspects": aspects})
        if not slugs:
            return self._prefixed(self._goto(conv, "procedures"),
                                  _("De quelle démarche s'agit-il ?"))
        return self._goto(conv, "sheet", {"slug": slugs[0], "aspects": aspects})

    def _intent_start_eservice(self, conv: Conversation, found: dict) -> Reply | None:
        _ = self._t(conv)
        slugs = found.get("procedure", [])
        if not slugs:
            return self._goto(conv, "eservices")
        try:
            schema = self._form(slugs[0])
        except PortalError:
            return self._unavailable(conv)
        if schema is None:
            reply = self._goto(conv, "sheet", {"slug": slugs[0], "aspects": ["online", "where"]})
            return self._prefixed(reply, _("Cette démarche ne peut pas être faite ici."))
        return self._start_form(conv, slugs[0])

    def _intent_track_request(self, conv: Conversation, found: dict) -> Reply | None:
        references = found.get("reference", [])
        if references and normalise_reference(references[0]):
            return self._status(conv, normalise_reference(references[0]) or "")
        return self._goto(conv, "track")

    def _intent_human_handoff(self, conv: Conversation, found: dict) -> Reply | None:
        return self._handoff(conv, "asked")

    def _intent_change_language(self, conv: Conversation, found: dict) -> Reply | None:
        wanted = [code for code in found.get("language", []) if code in self.languages]
        if not wanted:
            return self._goto(conv, "language")
        return self._on_language(conv, Inbound(conv.channel, conv.user, conv.session,
                                               choice=f"lang:{wanted[0]}"))

    def _intent_greet(self, conv: Conversation, found: dict) -> Reply | None:
        _ = self._t(conv)
        return self._prefixed(self._goto(conv, "home", reset=True), _(
            "Bonjour ! Posez votre question (ex : prix du passeport) ou choisissez :"))

    def _intent_help(self, conv: Conversation, found: dict) -> Reply | None:
        _ = self._t(conv)
        return self._prefixed(self._goto(conv, "home", reset=True), _(
            "Je réponds sur les démarches : coût, délai, pièces, où aller. "
            "Vous pouvez aussi faire ou suivre une demande."))

    def _intent_thanks(self, conv: Conversation, found: dict) -> Reply | None:
        _ = self._t(conv)
        return self._reply(conv, [_("Avec plaisir. Bonne journée !")], end=True,
                           expects="nothing")

    def _intent_goodbye(self, conv: Conversation, found: dict) -> Reply | None:
        _ = self._t(conv)
        return self._reply(conv, [_("Au revoir et merci.")], end=True, expects="nothing")

    def _intent_affirm(self, conv: Conversation, found: dict) -> Reply | None:
        answer = {"confirm": "confirm", "resume": "yes"}.get(conv.state.get("at", ""))
        if answer is None:
            return None
        return self.step(conv, Inbound(conv.channel, conv.user, conv.session, choice=answer))

    def _intent_deny(self, conv: Conversation, found: dict) -> Reply | None:
        answer = {"confirm": "cancel", "resume": "no"}.get(conv.state.get("at", ""))
        if answer is None:
            return None
        return self.step(conv, Inbound(conv.channel, conv.user, conv.session, choice=answer))

    def _show_clarify(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        lang = self.lang(conv)
        choices = []
        for slug in conv.state["data"]["slugs"]:
            try:
                choices.append(Choice(f"proc:{slug}", short_title(self.portal.procedure(slug),
                                                                  lang)))
            except PortalError:
                continue
        return self._reply(conv, [_("De quelle démarche parlez-vous ?")], choices=tuple(choices))

    def _on_clarify(self, conv: Conversation, inbound: Inbound) -> Reply:
        slug = self._picked(conv, inbound, "proc:")
        if slug is None:
            return self._invalid(conv)
        return self._goto(conv, "sheet", {"slug": slug,
                                          "aspects": conv.state["data"].get("aspects", [])})

    # -- helpers -----------------------------------------------------------------------------

    def _choice(self, conv: Conversation, inbound: Inbound) -> str:
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

    @staticmethod
    def _is_question(conv: Conversation, text: str) -> bool:
        at = conv.state["at"]
        if at in NO_NLU_STATES:
            return False
        return at not in NUMBER_STATES or not any(ch.isdigit() for ch in text)

    def _picked(self, conv: Conversation, inbound: Inbound, prefix: str) -> str | None:
        """The rest of the picked choice id when it starts with ``prefix`` (``proc:<slug>``)."""
        choice = self._choice(conv, inbound)
        return choice[len(prefix):] if choice.startswith(prefix) else None

    def _invalid(self, conv: Conversation) -> Reply:
        _ = self._t(conv)
        return self.show(conv).with_error(_("Choix invalide."))


def record_request(store: Store, user: str, reference: str, slug: str, at: float) -> None:
    """Remember a submitted request in the citizen's profile ("my requests" when portal is down)."""
    (profile,) = store.get_many([f"gc:p:{user}"])
    profile = profile or {}
    recent = [r for r in profile.get("requests", []) if r.get("reference") != reference]
    profile["requests"] = ([{"reference": reference, "procedure": slug, "at": at}]
                           + recent)[:MAX_RECENT]
    store.put_many({f"gc:p:{user}": (profile, PROFILE_TTL)})
