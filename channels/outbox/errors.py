"""What a channel's transport answers when asked to send one message.

Shared by every channel so that the task queue retries a :class:`TransientSendError` the same
way whatever the channel, and an outbox record ends ``failed`` on a
:class:`PermanentSendError` whatever the provider.
"""

from __future__ import annotations

from dataclasses import dataclass


class TransientSendError(RuntimeError):
    """The provider could not take the message now; a later try may succeed."""


class PermanentSendError(RuntimeError):
    """The provider refused the message for good (bad number, blacklisted...)."""


@dataclass(frozen=True)
class Sent:
    """The provider took the message: the status to record and the provider's id for it."""

    status: str
    provider_id: str | None = None
