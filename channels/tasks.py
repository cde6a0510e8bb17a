"""Task functions run by the queue (RQ workers import them by name).

Each is a thin shell: read the running application's runtime (the worker and the thread queue
run every task inside the app's context), ask whether this is the last try, and call the
workflow in ``dialogs.workflows``.  Whatever a task sends a citizen goes through the
:class:`dialogs.sender.Senders` router on the runtime: this module knows no channel.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import redis
import sqlalchemy as sa
from flask import current_app

from channels.queue import TaskQueue, final_attempt
from dialogs import workflows
from dialogs.handoff import Exchange
from dialogs.payments import PaymentLedger
from dialogs.sender import WEB, Outgoing, Senders, channel_for
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)


def current_runtime() -> Any:
    """The running application's runtime (``app.extensions["guichet"]``).

    Tasks run inside the app's context (:meth:`channels.queue.ThreadQueue.bind`,
    :mod:`channels.worker`); outside one, Flask says so clearly.
    """
    return current_app.extensions["guichet"]


def handle_sms(*, message_id: int) -> str:
    """Answer one recorded incoming SMS, once (retried when Redis or the database is down).

    The message is claimed first: a sweep may have queued it again meanwhile.  A failure that
    will pass gives it back (``received``) for the retry or the next sweep; any other failure
    leaves it ``failed`` for an operator rather than retrying a bug forever.
    """
    rt = current_runtime()
    message = rt.inbox.get(message_id)
    if message is None or message.status != "received" or not rt.inbox.claim(message_id):
        return "done"
    try:
        outcome = rt.sms_conversation.handle(message)
    except (StoreUnavailable, redis.RedisError, sa.exc.SQLAlchemyError) as exc:
        rt.inbox.release(message_id)
        raise workflows.RetryLater(str(exc)) from exc
    except Exception:
        rt.inbox.mark(message_id, "failed")
        raise
    rt.inbox.mark(message_id, outcome)
    if rt.events is not None:  # an SMS is not a USSD hop: its event can be written now
        try:
            rt.events.flush()
        except Exception:  # the background thread tries again
            log.exception("could not write insight events after an SMS")
    return str(outcome)


def handle_raw_sms(*, provider_id: str, sender: str, text: str) -> str:
    """An SMS that arrived while the database was down: record it now, then answer it."""
    rt = current_runtime()
    message, created = rt.inbox.record(provider_id=provider_id, sender=sender, recipient=None,
                                       text=text, link_id=None)
    return handle_sms(message_id=message.id) if created else "duplicate"


def resume_unfinished(inbox: Any, queue: TaskQueue) -> int:
    """Queue again every incoming SMS still waiting for an answer; returns how many."""
    waiting = inbox.unfinished()
    for message in waiting:
        queue.enqueue(handle_sms, message_id=message.id)
    return len(waiting)


class Notifier:
    """Tells a citizen the outcome of background work, on the channel their address names.

    ``also`` (``web:<sid>``): the web chat the work came from sees the same text, beside the
    SMS; the chat's push is keyed like the SMS, so a retried job does not show it twice.
    """

    def __init__(self, senders: Senders, also: str | None = None,
                 channel: str | None = None) -> None:
        self.senders = senders
        self.also = also
        self.channel = channel

    def send(self, user: str, text: str, *, lang: str, key: str) -> str:
        # a WhatsApp citizen reads the receipt on WhatsApp; anyone else by SMS or in the chat
        channel = "whatsapp" if self.channel == "whatsapp" and not user.startswith(WEB) \
            else channel_for(user)
        status = self.senders.send(Outgoing(channel, user, text, lang, key))
        if self.also and self.also != user:
            self.senders.send(Outgoing(channel_for(self.also), self.also, text, lang,
                                       f"{key}:also"))
        return status


def submit_request(*, user: str, lang: str, slug: str, answers: dict[str, str],
                   key: str, also: str | None = None, channel: str | None = None) -> str | None:
    rt = current_runtime()
    news = getattr(rt, "news", None)

    def follow(reference: str) -> None:
        if news is not None:
            news.follow(reference=reference, channel=channel, user=user, also=also, lang=lang)

    return workflows.submit_request(
        rt.portal, Notifier(rt.senders, also, channel), rt.store, user=user, lang=lang,
        slug=slug, answers=answers, key=key, final=final_attempt(),
        track_code=rt.settings.ussd_service_code, desk=rt.desk, follow=follow,
    )


def send_status(*, user: str, lang: str, reference: str, key: str) -> bool:
    rt = current_runtime()
    return workflows.send_status(rt.portal, Notifier(rt.senders), user=user, lang=lang,
                                 reference=reference, key=key, final=final_attempt())


def send_requests(*, user: str, lang: str, key: str) -> bool:
    rt = current_runtime()
    return workflows.send_requests(rt.portal, Notifier(rt.senders), user=user, lang=lang,
                                   key=key, final=final_attempt())


def start_payment(*, user: str, lang: str, reference: str | None, operator: str, msisdn: str,
                  channel: str, intent: str, after: str | None = None,
                  also: str | None = None) -> str:
    rt = current_runtime()
    news = getattr(rt, "news", None)

    def follow(ref: str) -> None:
        if news is not None:
            news.follow(reference=ref, channel=channel, user=user, also=also, lang=lang)

    return workflows.start_payment(
        rt.portal, Notifier(rt.senders, also, channel), PaymentLedger(rt.messages.engine),
        rt.store, user=user, lang=lang, reference=reference, operator=operator, msisdn=msisdn,
        channel=channel, intent=intent, after=after, final=final_attempt(),
        track_code=rt.settings.ussd_service_code, follow=follow,
        tell=news.payment_settled if news is not None else None)


def send_sms(*, user: str, text: str, lang: str, key: str, force: bool = False) -> str:
    """Jobs queued under this name before the Sender port: through the router now."""
    return current_runtime().senders.send(Outgoing("sms", user, text, lang, key))


def push_web(*, session_id: str, text: str, lang: str) -> str:
    """Jobs queued under this name before the Sender port: through the router now."""
    return current_runtime().senders.send(
        Outgoing("webchat", f"web:{session_id}", text, lang, f"web:{session_id}"))


def record_exchanges(*, exchanges: list[dict]) -> int:
    """Keep the exchanges of one hop in the desk's transcript (or its recent exchanges), off
    the citizen's request, in order; retried while the database is unreachable.

    When the database fails after some were written, only the rest is queued again (a retry of
    this job would write the first ones twice in the agent's transcript)."""
    rt = current_runtime()
    if rt.desk is None:
        return 0
    done = 0
    for item in exchanges:
        try:
            rt.desk.record(Exchange(**item))
        except sa.exc.OperationalError as exc:
            if not done:
                raise workflows.RetryLater(str(exc)) from exc
            rt.queue.enqueue(record_exchanges, exchanges=exchanges[done:])
            return done
        done += 1
    return done


def record_later(queue, exchanges: list[Exchange]) -> None:
    """Queue :func:`record_exchanges`: one task per hop, so its messages keep their order."""
    queue.enqueue(record_exchanges, exchanges=[dataclasses.asdict(e) for e in exchanges])


class QueuedEffects:
    """The dialog manager's :class:`dialogs.effects.Effects`: sends through the router,
    slow work through the task queue."""

    def __init__(self, queue: TaskQueue, senders: Senders) -> None:
        self.queue = queue
        self.senders = senders

    def send_text(self, user: str, text: str, *, lang: str, key: str) -> None:
        """By SMS to a phone number; into the chat for a web visitor known only by session."""
        self.senders.send(Outgoing(channel_for(user), user, text, lang, key))

    def submit(self, *, user: str, lang: str, slug: str, answers: dict[str, str],
               key: str, also: str | None = None, channel: str | None = None) -> None:
        self.queue.enqueue(submit_request, user=user, lang=lang, slug=slug, answers=answers,
                           key=key, also=also, channel=channel)

    def status_later(self, *, user: str, lang: str, reference: str, key: str) -> None:
        self.queue.enqueue(send_status, user=user, lang=lang, reference=reference, key=key)

    def requests_later(self, *, user: str, lang: str, key: str) -> None:
        self.queue.enqueue(send_requests, user=user, lang=lang, key=key)

    def pay(self, *, user: str, lang: str, reference: str | None, operator: str, msisdn: str,
            channel: str, intent: str, after: str | None = None,
            also: str | None = None) -> None:
        self.queue.enqueue(start_payment, user=user, lang=lang, reference=reference,
                           operator=operator, msisdn=msisdn, channel=channel, intent=intent,
                           after=after, also=also)
