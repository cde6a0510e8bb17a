"""The SMS channel's :class:`dialogs.sender.Sender`: every later SMS goes through a queued job.

:class:`SmsChannel` only queues; the job (:func:`send_sms`) fits the text within
``SMS_MAX_SEGMENTS`` (the first part now, the rest behind ``PLUS``) and hands each part to
:class:`channels.sms.outbound.SmsSender`, which rewrites it to GSM-7, records it in the outbox
under its key, honours opt-outs and sorts the provider's answer.  A USSD caller is reached here
too (the router's ``ussd`` alias): they have a phone.
"""

from __future__ import annotations

from channels.gsm7 import to_gsm7
from channels.outbox import FINAL_SENT, Message
from channels.queue import TaskQueue, final_attempt
from channels.sms import more
from channels.sms.render import split, text_of
from channels.tasks import current_runtime
from dialogs import workflows
from dialogs.model import Reply
from dialogs.sender import Outgoing
from dialogs.store import StoreUnavailable


def send_sms(*, user: str, text: str, lang: str, key: str, force: bool = False) -> str:
    """Send ``text`` within ``SMS_MAX_SEGMENTS``: the first part now, the rest behind ``PLUS``.

    Receipts and statuses start with the reference, and the cut falls between lines, so the
    first part always carries it.  A retry sends nothing twice (the key) and keeps the rest
    again if the store was down the first time.  ``force``: even to a number that opted out
    (the one confirmation of ``STOP`` itself).
    """
    rt = current_runtime()
    chunks = split(to_gsm7(text, lang), lang, rt.settings.sms_max_segments)
    status: str = rt.sms.send(user, chunks[0], lang=lang, key=key, final=final_attempt(),
                              force=force)
    if len(chunks) > 1 and status in FINAL_SENT:
        try:
            more.keep(rt.store, user, chunks[1:], lang)
        except StoreUnavailable as exc:
            raise workflows.RetryLater(str(exc)) from exc
    return status


class SmsChannel:
    """Queue SMS for later; what the router reaches for ``sms`` (and ``ussd``)."""

    channel = "sms"

    def __init__(self, queue: TaskQueue) -> None:
        self.queue = queue

    def send(self, message: Outgoing) -> str:
        text = message.text
        if message.choices:  # no buttons by SMS: the choices as numbered lines
            text = text_of(Reply(parts=(text,), lang=message.lang, choices=message.choices))
        self.send_text(message.user, text, lang=message.lang, key=message.key)
        return "queued"

    def send_text(self, user: str, text: str, *, lang: str, key: str,
                  force: bool = False) -> None:
        """The SMS conversation's own notices (``force`` for the ``STOP`` confirmation)."""
        self.queue.enqueue(send_sms, user=user, text=text, lang=lang, key=key, force=force)

    def replay(self, message: Message) -> str:
        """Send a reopened dead letter again: its recorded body, under its key."""
        self.queue.enqueue(send_sms, user=message.recipient, text=message.body,
                           lang=message.lang, key=message.key)
        return "queued"
