"""Agent replies go out on the citizen's own channel, through that channel's existing sender.

A channel registers a send function for itself::

    from channels.agent.outbound import register
    register("webchat", lambda *, user, session, text, lang, key: push(session, text))

Built in, when nothing registered: ``sms`` (and ``ussd``, whose callers have a phone) through
:meth:`channels.tasks.QueuedEffects.send_text`, so GSM-7 and opt-outs apply; ``whatsapp``
through the WhatsApp sender's queue task; ``webchat`` through ``channels.webchat.push`` when that
module exists.  A send function must not block for long: queue, or push in memory.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class Send(Protocol):
    def __call__(self, *, user: str, session: str, text: str, lang: str, key: str) -> None: ...


_registered: dict[str, Send] = {}
_lock = threading.Lock()


def register(channel: str, send: Send) -> None:
    """Make ``send`` the way agent messages reach citizens on ``channel`` (last one wins)."""
    with _lock:
        _registered[channel] = send


def unregister(channel: str) -> None:
    with _lock:
        _registered.pop(channel, None)


class NoRoute(RuntimeError):
    """No sender is known for the conversation's channel."""


class Outbound:
    """The registry one desk uses: its own entries, then registered ones, then the built-ins."""

    def __init__(self, queue=None) -> None:
        self.queue = queue
        self._own: dict[str, Send] = {}

    def register(self, channel: str, send: Send) -> None:
        self._own[channel] = send

    def channels(self) -> list[str]:
        return sorted({*self._own, *_registered, "sms", "ussd", "whatsapp", "webchat"})

    def route(self, channel: str) -> Send | None:
        send = self._own.get(channel) or _registered.get(channel)
        if send is not None:
            return send
        builtin: Callable[[], Send | None] | None = getattr(self, f"_builtin_{channel}", None)
        return builtin() if builtin else None

    def send(self, channel: str, *, user: str, session: str, text: str, lang: str,
             key: str) -> None:
        send = self.route(channel)
        if send is None:
            raise NoRoute(f"no sender for channel {channel!r}")
        send(user=user, session=session, text=text, lang=lang, key=key)

    # -- built-ins -------------------------------------------------------------------------

    def _builtin_sms(self) -> Send | None:
        if self.queue is None:
            return None
        from channels.tasks import QueuedEffects

        effects = QueuedEffects(self.queue)

        def send(*, user: str, session: str, text: str, lang: str, key: str) -> None:
            effects.send_text(user, text, lang=lang, key=key)

        return send

    _builtin_ussd = _builtin_sms  # a USSD caller is a phone number: answer by SMS

    def _builtin_whatsapp(self) -> Send | None:
        if self.queue is None:
            return None
        try:
            tasks = importlib.import_module("channels.whatsapp.tasks")
        except ImportError:
            return None
        send_messages = getattr(tasks, "send_messages", None)
        if send_messages is None:
            return None
        queue = self.queue

        def send(*, user: str, session: str, text: str, lang: str, key: str) -> None:
            message = {"type": "text", "text": {"body": text[:4096], "preview_url": False}}
            queue.enqueue(send_messages, user=user, lang=lang, messages=[message], key=key)

        return send

    def _builtin_webchat(self) -> Send | None:
        try:
            webchat = importlib.import_module("channels.webchat")
        except ImportError:
            return None
        push = getattr(webchat, "push", None)
        if push is None:
            return None

        def send(*, user: str, session: str, text: str, lang: str, key: str) -> None:
            push(session, text, lang=lang)

        return send
