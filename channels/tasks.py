"""Task functions run by the queue (RQ workers import them by name).

Each is a thin shell: get this process's runtime, ask whether this is the last try, and call the
workflow in ``dialogs.workflows`` or the SMS sender.
"""

from __future__ import annotations

import dataclasses

import redis
import sqlalchemy as sa

from channels.gsm7 import to_gsm7
from channels.queue import final_attempt
from channels.sms import more
from channels.sms.messages import FINAL_SENT
from channels.sms.render import split
from dialogs import workflows
from dialogs.handoff import Exchange
from dialogs.store import StoreUnavailable


def _runtime():
    """This process's runtime (imported late: the runtime module imports this one)."""
    from channels import runtime

    return runtime.current()


def push_web(*, session_id: str, text: str, lang: str) -> bool:
    """A background answer for a web visitor who gave no phone number: into their chat."""
    from channels.webchat import push

    return push(session_id, text, sender="bot", lang=lang, rt=_runtime()) is not None


def _send_fitted(rt, user: str, text: str, *, lang: str, key: str, force: bool = False) -> str:
    """Send ``text`` within ``SMS_MAX_SEGMENTS``: the first part now, the rest behind ``PLUS``.

    Receipts and statuses start with the reference, and the cut falls between lines, so the
    first part always carries it.  A retry sends nothing twice (the key) and keeps the rest
    again if the store was down the first time.
    """
    chunks = split(to_gsm7(text, lang), lang, rt.settings.sms_max_segments)
    status = rt.sms.send(user, chunks[0], lang=lang, key=key, final=final_attempt(),
                         force=force)
    if len(chunks) > 1 and status in FINAL_SENT:
        try:
            more.keep(rt.store, user, chunks[1:], lang)
        except StoreUnavailable as exc:
            raise workflows.RetryLater(str(exc)) from exc
    return status


def send_sms(*, user: str, text: str, lang: str, key: str, force: bool = False) -> str:
    return _send_fitted(_runtime(), user, text, lang=lang, key=key, force=force)


def handle_sms(*, message_id: int) -> str:
    """Answer one recorded incoming SMS, once (retried when Redis or the database is down).

    The message is claimed first: a sweep may have queued it again meanwhile.  A failure that
    will pass gives it back (``received``) for the retry or the next sweep; any other failure
    leaves it ``failed`` for an operator rather than retrying a bug forever.
    """
    rt = _runtime()
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
    return outcome


def handle_raw_sms(*, provider_id: str, sender: str, text: str) -> str:
    """An SMS that arrived while the database was down: record it now, then answer it."""
    rt = _runtime()
    message, created = rt.inbox.record(provider_id=provider_id, sender=sender, recipient=None,
                                       text=text, link_id=None)
    return handle_sms(message_id=message.id) if created else "duplicate"


class _Notifier:
    """Tells a citizen the outcome of background work on a channel that can reach them.

    ``also`` (``web:<sid>``): the web chat the work came from sees the same text, beside the SMS.
    """

    def __init__(self, rt, also: str | None = None) -> None:
        self.rt = rt
        self.also = also if also and also.startswith("web:") else None

    def send(self, user: str, text: str, *, lang: str, key: str) -> str:
        if user.startswith("web:"):
            return "pushed" if push_web(session_id=user[4:], text=text, lang=lang) else "lost"
        status = _send_fitted(self.rt, user, text, lang=lang, key=key)
        if self.also:  # after the SMS: a retried job must not show the text twice
            push_web(session_id=self.also[4:], text=text, lang=lang)
        return status


def submit_request(*, user: str, lang: str, slug: str, answers: dict[str, str],
                   key: str, also: str | None = None) -> str | None:
    rt = _runtime()
    return workflows.submit_request(
        rt.portal, _Notifier(rt, also), rt.store, user=user, lang=lang, slug=slug, answers=answers,
        key=key, final=final_attempt(), track_code=rt.settings.ussd_service_code, desk=rt.desk,
    )


def send_status(*, user: str, lang: str, reference: str, key: str) -> bool:
    rt = _runtime()
    return workflows.send_status(rt.portal, _Notifier(rt), user=user, lang=lang,
                                 reference=reference, key=key, final=final_attempt())


def send_requests(*, user: str, lang: str, key: str) -> bool:
    rt = _runtime()
    return workflows.send_requests(rt.portal, _Notifier(rt), user=user, lang=lang, key=key,
                                   final=final_attempt())


def record_exchanges(*, exchanges: list[dict]) -> int:
    """Keep the exchanges of one hop in the desk's transcript (or its recent exchanges), off
    the citizen's request, in order; retried while the database is unreachable (unless some
    were already written)."""
    rt = _runtime()
    if rt.desk is None:
        return 0
    done = 0
    for item in exchanges:
        try:
            rt.desk.record(Exchange(**item))
        except sa.exc.OperationalError as exc:
            if done:  # a retry would write the first ones twice
                raise
            raise workflows.RetryLater(str(exc)) from exc
        done += 1
    return done


def record_later(queue, exchanges: list[Exchange]) -> None:
    """Queue :func:`record_exchanges`: one task per hop, so its messages keep their order."""
    queue.enqueue(record_exchanges, exchanges=[dataclasses.asdict(e) for e in exchanges])


class QueuedEffects:
    """The dialog manager's :class:`dialogs.effects.Effects`, backed by the task queue."""

    def __init__(self, queue) -> None:
        self.queue = queue

    def send_text(self, user: str, text: str, *, lang: str, key: str,
                  force: bool = False) -> None:
        """By SMS to a phone number; into the chat for a web visitor known only by session."""
        if user.startswith("web:"):
            self.queue.enqueue(push_web, session_id=user[4:], text=text, lang=lang)
            return
        self.queue.enqueue(send_sms, user=user, text=text, lang=lang, key=key, force=force)

    def submit(self, *, user: str, lang: str, slug: str, answers: dict[str, str],
                key: str, also: str | None = None) -> None:
        self.queue.enqueue(submit_request, user=user, lang=lang, slug=slug, answers=answers,
                           key=key, also=also)

    def status_later(self, *, user: str, lang: str, reference: str, key: str) -> None:
        self.queue.enqueue(send_status, user=user, lang=lang, reference=reference, key=key)

    def requests_later(self, *, user: str, lang: str, key: str) -> None:
        self.queue.enqueue(send_requests, user=user, lang=lang, key=key)
