"""The web chat's :class:`dialogs.sender.Sender`: a later message pushed into the visitor's chat.

A push is quick (the session's log, in this process or in Redis), so it is done at once rather
than queued: an agent's answer appears while the agent still looks at it.  Each push is also
recorded in the outbox under its key, like every channel's sends: a retried job shows nothing
twice, and a push the chat store could not take waits in the dead-letter list (``dead``) for an
operator's replay instead of being lost.  A visitor's address is ``web:<session>``.
"""

from __future__ import annotations

import logging

from channels.outbox import DONE, FINAL_SENT, Message, MessageLog
from channels.webchat.blueprint import push_to
from channels.webchat.events import chat_log
from dialogs.model import Reply
from dialogs.sender import WEB, Outgoing
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
RECIPIENT_MAX = 32
"""The outbox's recipient column; sessions Guichet opens have far shorter addresses."""


class WebchatChannel:
    """Push into open web chats; what the router reaches for ``webchat``."""

    channel = "webchat"

    def __init__(self, messages: MessageLog, redis_url: str | None, ttl: int) -> None:
        self.messages = messages
        self.redis_url = redis_url
        self.ttl = ttl

    def send(self, message: Outgoing) -> str:
        if not message.user.startswith(WEB) or len(message.user) > RECIPIENT_MAX:
            return "lost"
        record = self.messages.claim(key=message.key, channel=self.channel,
                                     recipient=message.user, body=message.text,
                                     lang=message.lang)
        if record.status in FINAL_SENT:
            return "duplicate"
        if record.status in DONE:  # a dead one waits for an operator's replay
            return record.status
        content: Reply | str = message.text
        if message.choices:
            content = Reply(parts=(message.text,), lang=message.lang, choices=message.choices,
                            expects="choice", navigable=False)
        return self._push(record, content, message.author)

    def replay(self, message: Message) -> str:
        """Push a reopened dead letter again, under its key."""
        return self._push(message, message.body, "bot")

    def _push(self, record: Message, content: Reply | str, author: str) -> str:
        session = record.recipient[len(WEB):]
        try:
            entry = push_to(chat_log(self.redis_url), self.ttl, session, content,
                            sender=author, lang=record.lang)
        except StoreUnavailable as exc:
            self.messages.update(record.id, status="dead", error=f"chat store: {exc}"[:500])
            log.error("web chat push failed, in the dead-letter list", extra={"key": record.key})
            return "dead"
        if entry is None:
            self.messages.update(record.id, status="failed", error="chat session expired")
            return "lost"
        self.messages.update(record.id, status="sent", provider_id=str(entry))
        return "pushed"
