"""One WhatsApp message through the dialog manager, in the background.

Each user has one conversation (session ``wa:<wa_id>``).  A message id Meta redelivers is handled
once (``wa:msg:<id>`` in the store for 24 hours); the user's 24-hour window is moved on; two
messages of the same user are never stepped at the same time (``wa:lock:<wa_id>``), so a quick
second tap cannot overwrite the first one's state.  The reply is rendered and queued for sending.

A list of more than 10 choices is paged here: the reply is kept in the conversation's ``edge``
and the "more" row (``wa:more``) shows its next page without asking the manager again, the
"previous" row (``wa:prev``) the page before.  Text typed on a list searches the catalogue (the
dialog does it, for every channel); a question still goes to the NLU.
"""

from __future__ import annotations

import contextlib
import logging
import time

from channels import metrics
from channels.whatsapp import window
from channels.whatsapp.render import MORE, PREV, page_count, render
from channels.whatsapp.sender import send_messages
from dialogs.i18n import gettext_for
from dialogs.manager import DialogManager
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.phones import mask
from dialogs.store import StoreUnavailable
from dialogs.workflows import RetryLater

log = logging.getLogger(__name__)
CHANNEL = "whatsapp"
SEEN_TTL = 24 * 3600
LOCK_TTL = 30
"""Seconds a user's lock lasts if a worker dies holding it."""
REPLY_KEY = "wa:reply:"
"""Outbox keys of the answers to a message (``wa:reply:<message id>:<part>``)."""


def handle(rt, message: dict, *, final: bool = False) -> list[dict] | None:
    """Answer one parsed message; return the messages queued (None if it was a repeat).

    Raises :class:`RetryLater` while the user's previous message is being handled or the store
    is down (the queue tries again); on the last try the citizen gets an apology instead.
    """
    started = time.perf_counter()
    user = f"+{message['wa_id']}"
    try:
        answered = _once(rt, message, user, final)
    except StoreUnavailable as exc:
        if not final:
            raise RetryLater("session store unavailable") from exc
        log.error("whatsapp message not handled: session store unavailable")
        answered = _apology()
    except RetryLater:
        raise
    except Exception:
        log.exception("whatsapp message failed", extra={"user": mask(user)})
        answered = _apology()
    if answered is None:
        return None
    outgoing, lang = answered
    if outgoing:
        rt.queue.enqueue(send_messages, user=user, lang=lang, messages=outgoing,
                         key=f"{REPLY_KEY}{message['id']}")
    metrics.HOPS.labels(CHANNEL).inc()
    metrics.HOP_SECONDS.labels(CHANNEL).observe(time.perf_counter() - started)
    return outgoing


def _once(rt, message: dict, user: str, final: bool) -> tuple[list[dict], str] | None:
    """Answer the message under the user's lock, unless its id was already handled."""
    lock, seen = f"wa:lock:{message['wa_id']}", f"wa:msg:{message['id']}"
    locked = rt.store.first_time(lock, LOCK_TTL)
    if not locked and not final:
        raise RetryLater("another message of this user is being handled")
    try:
        if not rt.store.first_time(seen, SEEN_TTL):
            log.info("whatsapp message redelivered: ignored", extra={"user": mask(user)})
            return None
        try:
            return _answer(rt, message, user)
        except StoreUnavailable:
            with contextlib.suppress(StoreUnavailable):  # not answered: let a retry answer it
                rt.store.put_many({seen: (None, None)})
            raise
    finally:
        if locked:
            with contextlib.suppress(StoreUnavailable):
                rt.store.put_many({lock: (None, None)})


def _apology(lang: str = "fr") -> tuple[list[dict], str]:
    _ = gettext_for(lang)
    text = _("Service momentanément indisponible. Réessayez dans quelques minutes.")
    return render(Reply(parts=(text,), lang=lang, end=True)), lang


def _answer(rt, message: dict, user: str) -> tuple[list[dict], str]:
    window.opened(rt.store, message["wa_id"], message["timestamp"])
    manager = rt.manager  # its channel_ttls keep a chat's state longer than a USSD session
    session = f"wa:{message['wa_id']}"
    conv = manager.load(CHANNEL, session, user)
    text, choice = message.get("text"), message.get("choice")
    kept = conv.edge.get("paged")
    if choice in (MORE, PREV) and kept:
        reply = _reply_from(kept["reply"])
        step = 1 if choice == MORE else -1
        page = max(0, min(kept["page"] + step, page_count(reply) - 1))
    elif text is None and choice is None:
        reply, page = _text_only(manager, conv), 0
    else:
        reply = manager.step(conv, Inbound(CHANNEL, user, session, text=text, choice=choice))
        page = 0
    conv.edge.clear()
    if page_count(reply) > 1 and not reply.end:
        conv.edge["paged"] = {"reply": _reply_to(reply), "page": page}
    manager.save(conv, end=reply.end)
    return render(reply, page), reply.lang


def _text_only(manager: DialogManager, conv: Conversation) -> Reply:
    """A voice note, a photo, a location...: say politely that only text is read for now."""
    lang = manager.lang(conv)
    _ = gettext_for(lang)
    sorry = _("Je ne lis que les messages écrits pour le moment. Écrivez votre question, "
              "par exemple : prix du passeport.")
    if manager.at(conv):
        return manager.show(conv).with_error(sorry)  # and what was on screen, to go on
    return Reply(parts=(sorry,), lang=lang, expects="text", navigable=False)


def _reply_to(reply: Reply) -> dict:
    return {"parts": list(reply.parts), "lang": reply.lang, "navigable": reply.navigable,
            "choices": [[c.id, c.label] for c in reply.choices]}


def _reply_from(data: dict) -> Reply:
    return Reply(parts=tuple(data["parts"]), lang=data["lang"], navigable=data["navigable"],
                 choices=tuple(Choice(i, label) for i, label in data["choices"]))
