"""An SMS conversation: keywords, opt-outs, flood control, then the shared dialog manager.

Runs in the background for each recorded incoming SMS (the webhook has already answered 200).
Replies are rendered as numbered GSM-7 text within the segment budget; the rest of a long
answer is kept for ``PLUS``.  Every reply goes out through the queued, idempotent SMS sender.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from channels.sms import keywords, more
from channels.sms.inbox import Inbox, IncomingSms
from channels.sms.render import SKIP, numbered, skip_choice, split, text_of
from dialogs.i18n import LANGUAGE_NAMES, N_, gettext_for
from dialogs.journeys import payment
from dialogs.manager import DialogManager
from dialogs.model import Inbound, Reply
from dialogs.references import normalise as normalise_reference
from dialogs.store import Store

log = logging.getLogger(__name__)
RATE_WINDOW = 60

Send = Callable[..., None]
"""``send(user, text, lang=..., key=..., force=False)``: queue one SMS."""


class SmsConversation:
    def __init__(self, manager: DialogManager, inbox: Inbox, store: Store, send: Send, *,
                 max_segments: int = 3, rate_limit: int = 10, track_code: str = "*202#") -> None:
        self.manager = manager
        self.inbox = inbox
        self.store = store
        self.send = send
        self.max_segments = max_segments
        self.rate_limit = rate_limit
        self.track_code = track_code

    def session(self, user: str) -> str:
        return f"sms:{user}"

    def lang(self, user: str) -> str:
        return self.manager.profile_language(user)

    def handle(self, message: IncomingSms) -> str:
        """Answer one incoming SMS; returns what was done (for logs and tests)."""
        user, text = message.sender, message.text.strip()
        command = keywords.parse(text)
        key = f"sms:reply:{message.provider_id}"
        if command and command.name == "stop":
            if self.inbox.opt_out(user):
                self._notice(user, N_("Vous ne recevrez plus de SMS de Service Public. "
                                      "Envoyez START pour reprendre."),
                             key=f"{key}:stop", force=True)
            return "opted_out"
        if command and command.name == "start":
            self.inbox.opt_in(user)
            self._notice(user, N_("Vous recevrez de nouveau nos SMS. Envoyez AIDE pour l'aide."),
                         key=f"{key}:start")
            return "opted_in"
        if self.inbox.opted_out(user):
            return "ignored_opted_out"
        count = self.store.incr(f"sms:rate:{user}", RATE_WINDOW)
        if count > self.rate_limit:
            if count == self.rate_limit + 1:  # one polite notice, then silence for the window
                self._notice(user, N_("Vous envoyez beaucoup de messages. Réessayez dans une "
                                      "minute."), key=f"{key}:flood")
            return "rate_limited"
        if command and command.name == "more":
            return self._more(user, key)
        reply = self._dialog(user, text, command)
        self._reply(user, reply, key)
        return "answered"

    def _notice(self, user: str, text: str, *, key: str, force: bool = False) -> None:
        """A service notice in the citizen's language (``text`` is a catalogue msgid)."""
        lang = self.lang(user)
        self.send(user, gettext_for(lang)(text), lang=lang, key=key, force=force)

    def _dialog(self, user: str, text: str, command: keywords.Command | None) -> Reply:
        session = self.session(user)
        lang = self.lang(user)
        _ = gettext_for(lang)
        if command is None:
            conv = self.manager.load("sms", session, user)
            if conv.is_new and text.isdigit():  # a reply to a question that has expired
                return Reply(parts=(_("Ce choix a expiré. Posez votre question ou envoyez "
                                      "AIDE."),), lang=lang, end=True)
            inbound = Inbound("sms", user, session, text=text)
            skip = skip_choice(text, self.manager.show(conv)) if self._may_skip(conv, text) \
                else None
            if skip is not None:
                inbound = Inbound("sms", user, session, choice=skip.id)
            else:  # the numbers the citizen read leave out "receive it by SMS"
                picked = self._numbered_choice(conv, text)
                if picked is not None:
                    inbound = Inbound("sms", user, session, choice=picked)
            reply = self.manager.step(conv, inbound)
            self.manager.save(conv, end=reply.end)
            return reply
        if command.name == "help":
            return Reply(parts=(_(
                "Service Public par SMS : posez votre question (ex : prix du passeport). "
                "Mots-clés : SUIVI <référence>, AGENT, LANGUE <{codes}>, PLUS, STOP."
            ).format(codes="/".join(self.manager.languages)),), lang=lang, end=True)
        if command.name == "language":
            if command.argument in self.manager.languages:
                return self._switch_language(user, session, command.argument)
            codes = ", ".join(self.manager.languages)
            return Reply(parts=(_("Langues disponibles : {codes}. Ex : LANGUE en").format(
                codes=codes),), lang=lang, end=True)
        conv = self.manager.load("sms", session, user)
        if command.name == "pay":
            reply = self._pay(conv, user, session, command.argument)
            self.manager.save(conv, end=reply.end)
            return reply
        start = {"agent": "agent", "track": "track"}[command.name]
        reply = self.manager.step(conv, Inbound("sms", user, session, start=start))
        if command.name == "track":
            reply = self.manager.step(conv, Inbound("sms", user, session, text=command.argument))
        self.manager.save(conv, end=reply.end)
        return reply

    def _pay(self, conv, user: str, session: str, argument: str) -> Reply:
        """``PAYER <reference> [operator]``: the payment journey for that request, only for
        the number that filed it (the network vouches for an SMS's sender)."""
        words = argument.split()
        reference = normalise_reference(words[0]) if words else None
        lang = self.lang(user)
        if reference is None:
            return Reply(parts=(gettext_for(lang)(
                "Référence invalide. Exemple : PAYER SP-2026-000123 MTN"),), lang=lang,
                end=True)
        self.manager.step(conv, Inbound("sms", user, session, start="home"))
        reply = payment.offer(self.manager, conv, reference)
        operator = payment.sms_operator(words[1]) if len(words) > 1 else None
        if operator and self.manager.at(conv) == "pay":
            reply = self.manager.step(conv, Inbound("sms", user, session, choice=f"op:{operator}"))
        return reply

    def _numbered_choice(self, conv, text: str) -> str | None:
        """The id of the choice numbered ``text`` in the SMS the citizen read, when that SMS
        numbered its choices otherwise than the screen (it left out "receive it by SMS");
        None when the screen's own numbering applies."""
        text = text.strip()
        if not (text.isdigit() and len(text) <= 2):  # cheap test first: a choice number
            return None
        screen = self.manager.show(conv)
        shown = numbered(screen)
        if not any(c.kind == "sms" for c in screen.choices) or not 1 <= int(text) <= len(shown):
            return None
        return shown[int(text) - 1].id

    def _may_skip(self, conv, text: str) -> bool:
        """Cheap test first: only a form question may be skipped, only by "99" or a word."""
        return (self.manager.at(conv) == "form"
                and (text.strip() == SKIP or not any(ch.isdigit() for ch in text)))

    def _switch_language(self, user: str, session: str, lang: str) -> Reply:
        """``LANGUE xx``: the live conversation and the profile switch now.

        In the middle of a dialog the current question is shown again in the new language,
        so the citizen can answer it; otherwise the choice is confirmed.
        """
        conv = self.manager.load("sms", session, user)
        self.manager.set_language(conv, lang)
        confirmed = gettext_for(lang)("Langue choisie : {name}.").format(
            name=LANGUAGE_NAMES.get(lang, lang))
        if conv.is_new or not self.manager.at(conv):
            self.manager.save(conv, end=True)  # the profile only: no session to keep
            return Reply(parts=(confirmed,), lang=lang, end=True)
        current = self.manager.show(conv)
        self.manager.save(conv, end=current.end)
        return dataclasses.replace(current, parts=(confirmed, *current.parts))

    def _reply(self, user: str, reply: Reply, key: str) -> None:
        if not (reply.parts or reply.choices or reply.error):
            return  # a person has the conversation: the bot stays quiet
        chunks = split(text_of(reply), reply.lang, self.max_segments)
        self.send(user, chunks[0], lang=reply.lang, key=key)
        more.keep(self.store, user, chunks[1:], reply.lang)

    def _more(self, user: str, key: str) -> str:
        chunks, lang = more.pending(self.store, user)
        if not chunks:
            lang = self.lang(user)
            self.send(user, gettext_for(lang)("Rien de plus pour le moment."), lang=lang,
                      key=key)
            return "nothing_more"
        self.send(user, chunks[0], lang=lang or self.lang(user), key=key)
        more.keep(self.store, user, chunks[1:], lang or self.lang(user))
        return "more"
