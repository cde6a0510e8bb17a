"""The WhatsApp channel's :class:`dialogs.sender.Sender`, and the jobs that send.

:class:`WhatsAppChannel` renders a later message the way the conversation renders its replies
(:func:`channels.whatsapp.render.render`: long text split at paragraphs within 4096
characters, choices as buttons or a list) and queues it; the jobs hand each message object to
:class:`channels.whatsapp.outbound.WhatsAppSender`, which records it in the outbox, keeps to
the user's 24-hour window and sorts Meta's answer.  A WhatsApp user's address is their number,
``+<wa_id>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from channels.outbox import Message
from channels.queue import TaskQueue, final_attempt
from channels.tasks import current_runtime
from channels.whatsapp.render import render
from channels.whatsapp.templates import Templates
from dialogs.model import Reply
from dialogs.sender import Outgoing
from dialogs.store import StoreUnavailable


def send_messages(*, user: str, lang: str, messages: list[dict], key: str) -> list[str]:
    """The messages of one reply, in order (part ``i`` under the key ``{key}:{i}``)."""
    statuses: list[str] = current_runtime().whatsapp.send_all(
        user, messages, lang=lang, key=key, final=final_attempt())
    return statuses


def send_message(*, user: str, lang: str, message: dict, key: str) -> str:
    """One recorded message again (an operator's dead-letter replay: ``json.loads(body)``)."""
    status: str = current_runtime().whatsapp.send(user, message, lang=lang, key=key,
                                                  final=final_attempt())
    return status


def send_text(*, user: str, text: str, lang: str, key: str) -> list[str]:
    """Plain text to a WhatsApp user: split if long, within the window."""
    return send_messages(user=user, lang=lang, key=key,
                         messages=render(Reply(parts=(text,), lang=lang, end=True)))


class WhatsAppChannel:
    """Queue WhatsApp messages for later; what the router reaches for ``whatsapp``.

    A message that carries a template purpose (``Outgoing.template``) goes as that approved
    template when the user's 24-hour window has closed (``window_open`` says), since Meta
    refuses free text then; without one it is queued as text and recorded ``window_closed``.
    """

    channel = "whatsapp"

    def __init__(self, queue: TaskQueue, templates: Templates | None = None,
                 window_open: Callable[[str], bool] | None = None) -> None:
        self.queue = queue
        self.templates = templates
        self.window_open = window_open

    def send(self, message: Outgoing) -> str:
        template = self._template(message)
        if template is not None:
            self.queue.enqueue(send_message, user=message.user, lang=message.lang,
                               message=template, key=message.key)
            return "queued_template"
        reply = Reply(parts=(message.text,), lang=message.lang, choices=message.choices,
                      end=not message.choices, navigable=False)
        messages = render(reply)
        if not messages:
            return "empty"
        self.queue.enqueue(send_messages, user=message.user, lang=message.lang,
                           messages=messages, key=message.key)
        return "queued"

    def _template(self, message: Outgoing) -> dict | None:
        """The template message to send instead of text, when the window is closed."""
        if message.template is None or self.templates is None or self.window_open is None:
            return None
        try:
            if self.window_open(message.user.lstrip("+")):
                return None
        except StoreUnavailable:  # not known: text, which the job sends or records as closed
            return None
        purpose, params = message.template
        return self.templates.message(purpose, message.lang, params)

    def replay(self, message: Message) -> str:
        """Send a reopened dead letter again: the recorded Graph API message, under its key."""
        self.queue.enqueue(send_message, user=message.recipient, lang=message.lang,
                           message=json.loads(message.body), key=message.key)
        return "queued"
