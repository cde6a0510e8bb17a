"""Sending SMS: through Africa's Talking's SDK, or into the local outbox when not configured.

:class:`SmsSender` is what background jobs call.  It rewrites the text to GSM-7, records the
message under its idempotency key before sending (so a retried job never sends twice what the
provider already accepted) and sorts the provider's answer into sent, retry later, or give up.
"""

from __future__ import annotations

import logging
from typing import Protocol

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from channels.gsm7 import to_gsm7
from channels.outbox import (
    DONE,
    FINAL_SENT,
    MessageLog,
    PermanentSendError,
    Sent,
    TransientSendError,
)
from dialogs.phones import mask

log = logging.getLogger(__name__)

PERMANENT_CODES = {401, 402, 403, 404, 405, 406, 407}
"""Recipient status codes that no retry will fix (invalid number, blacklisted, no route...)."""
TRANSIENT_CODES = {500, 501, 502}


class Transport(Protocol):
    name: str

    def transmit(self, recipient: str, body: str) -> Sent: ...


class OutboxTransport:
    """No provider configured: the message stays in the local outbox, for the simulator."""

    name = "outbox"

    def transmit(self, recipient: str, body: str) -> Sent:
        log.info("sms kept in local outbox", extra={"recipient": mask(recipient)})
        return Sent(status="outbox")


class AfricasTalkingTransport:
    """One SMS through the ``africastalking`` SDK's SMS service."""

    name = "africastalking"

    def __init__(self, username: str, api_key: str, *, sender_id: str | None = None,
                 api_url: str | None = None, timeout: tuple[float, float] = (3.05, 10.0)) -> None:
        self.service = SMSService(username, api_key)
        if api_url:  # a local fake or a proxy instead of api.africastalking.com
            self.service._baseUrl = api_url.rstrip("/") + "/version1"
        self.sender_id = sender_id
        self.timeout = timeout

    def transmit(self, recipient: str, body: str) -> Sent:
        try:
            answer = self.service.send(body, [recipient], sender_id=self.sender_id,
                                       timeout=self.timeout)
        except (requests.RequestException, AfricasTalkingException) as exc:
            raise TransientSendError(f"africastalking: {type(exc).__name__}") from exc
        except ValueError as exc:  # the SDK's own phone check
            raise PermanentSendError("invalid phone number") from exc
        try:
            recipient_result = answer["SMSMessageData"]["Recipients"][0]
            code = int(recipient_result["statusCode"])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise TransientSendError(f"africastalking: unexpected answer {answer!r:.200}") from exc
        status = str(recipient_result.get("status", ""))
        if code in (100, 101, 102):
            return Sent(status="sent", provider_id=recipient_result.get("messageId"))
        if code in PERMANENT_CODES:
            raise PermanentSendError(f"{code} {status}")
        raise TransientSendError(f"{code} {status}")


class OptOuts(Protocol):
    def opted_out(self, phone: str) -> bool: ...


class SmsSender:
    """Send an SMS once per key, recording every attempt in the message log.

    The message is marked ``sending`` before the provider is called.  A later attempt that finds
    it still ``sending`` knows the previous one died mid-call (a killed worker): the provider may
    already have it, so it is marked ``uncertain`` for an operator instead of being sent twice.
    """

    def __init__(self, messages: MessageLog, transport: Transport,
                 optouts: OptOuts | None = None) -> None:
        self.messages = messages
        self.transport = transport
        self.optouts = optouts

    def send(self, user: str, text: str, *, lang: str, key: str, final: bool = False,
             force: bool = False) -> str:
        """Send and return the status; raise :class:`TransientSendError` to be retried.

        ``final``: no retry will follow, so a transient failure makes the message ``dead``
        (the dead-letter list).  ``force``: send even to a number that opted out (the one
        confirmation of ``STOP`` itself).
        """
        body = to_gsm7(text)
        message = self.messages.claim(key=key, channel="sms", recipient=user, body=body,
                                      lang=lang)
        if message.status in FINAL_SENT or message.status in DONE:
            return message.status
        if message.status == "sending":
            self.messages.update(message.id, status="uncertain", attempted=False,
                                 error="the previous attempt stopped during the provider call")
            log.error("sms outcome unknown, kept for an operator", extra={"key": key})
            return "uncertain"
        if not force and self.optouts is not None and self.optouts.opted_out(user):
            self.messages.update(message.id, status="opted_out", attempted=False)
            return "opted_out"
        self.messages.update(message.id, status="sending")
        try:
            sent = self.transport.transmit(user, message.body)
        except PermanentSendError as exc:
            self.messages.update(message.id, status="failed", error=str(exc), attempted=False)
            log.warning("sms refused for good", extra={"recipient": mask(user), "error": str(exc)})
            return "failed"
        except TransientSendError as exc:
            status = "dead" if final else "retrying"
            self.messages.update(message.id, status=status, error=str(exc), attempted=False)
            if final:
                log.error("sms gave up, in the dead-letter list", extra={"key": key})
                return "dead"
            raise
        self.messages.update(message.id, status=sent.status, provider_id=sent.provider_id,
                             attempted=False)
        return sent.status
