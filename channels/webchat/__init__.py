"""Web chat channel: a JSON API, server-sent events and an embeddable widget (``widget.js``).

Other code delivers a late message (an agent's answer, a background result) with :func:`push`.
"""

from channels.webchat import streams  # noqa: F401  (the event stream, registered on bp)
from channels.webchat.blueprint import bp, push, reply_json

__all__ = ["bp", "push", "reply_json"]
