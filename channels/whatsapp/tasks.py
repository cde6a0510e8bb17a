"""WhatsApp's task functions, run by the queue (RQ workers import them by name).

Thin shells like :mod:`channels.tasks`: get this process's runtime, ask whether this is the last
try, and call the conversation handler or the sender.
"""

from __future__ import annotations

from channels.queue import final_attempt
from channels.whatsapp import conversation
from channels.whatsapp import statuses as status_log
from channels.whatsapp.render import render
from dialogs.model import Reply


def _runtime():
    """This process's runtime (imported late: the runtime module imports the sender)."""
    from channels import runtime

    return runtime.current()


def handle_events(*, messages: list[dict], statuses: list[dict]) -> None:
    """Record status notifications, then answer messages in the order they came."""
    rt = _runtime()
    for status in statuses:
        status_log.apply(rt.messages, status)
    final = final_attempt()
    for message in messages:
        conversation.handle(rt, message, final=final)


def send_messages(*, user: str, lang: str, messages: list[dict], key: str) -> list[str]:
    return _runtime().whatsapp.send_all(user, messages, lang=lang, key=key,
                                        final=final_attempt())


def send_message(*, user: str, lang: str, message: dict, key: str) -> str:
    """One recorded message again (an operator's dead-letter replay: ``json.loads(body)``)."""
    return _runtime().whatsapp.send(user, message, lang=lang, key=key, final=final_attempt())


def send_text(*, user: str, text: str, lang: str, key: str) -> list[str]:
    """Plain text to a WhatsApp user (an agent's message): split if long, within the window."""
    messages = render(Reply(parts=(text,), lang=lang, end=True))
    return _runtime().whatsapp.send_all(user, messages, lang=lang, key=key,
                                        final=final_attempt())
