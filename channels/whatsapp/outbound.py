"""Sending WhatsApp messages: through Meta's Graph API, or into the local outbox.

:class:`WhatsAppSender` is what background jobs call.  It records each message under its
idempotency key before sending (so a retried job never sends twice what Meta accepted), does not
send outside the user's 24-hour window, and sorts Meta's answer:

- accepted: ``sent`` with Meta's message id (statuses then move it to delivered/read/failed);
- 131047 (outside the window): ``window_closed``, not retried;
- 130429/131056 (rate limits), 5xx, timeouts, network errors: :class:`TransientSendError`, which
  the task queue retries with backoff (``dead``, the dead-letter list, after the last try);
- 190 (token expired or revoked): ``failed`` and an operator alert (see ``alerts``);
- 131026 (undeliverable) and any other refusal: ``failed``, not retried.

As for SMS, a message is marked ``sending`` before the call: a later attempt that finds it so
knows a worker died mid-call and Meta may have it, and marks it ``uncertain`` for an operator
rather than send it twice.  The record's ``body`` is the message object as JSON
(``{"type": "interactive", ...}``), so the simulator can show buttons and lists as sent.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Protocol

import requests

from channels import metrics
from channels.outbox import MessageLog, PermanentSendError, Sent, TransientSendError
from channels.whatsapp import alerts, window
from dialogs.phones import mask
from dialogs.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

WINDOW_CLOSED = 131047
UNDELIVERABLE = 131026
TOKEN_EXPIRED = 190
RATE_LIMITS = frozenset({130429, 131056, 131048, 80007, 4, 613})
"""Throughput, pair-rate, spam-rate, account and app rate limits: wait and try again."""
TEMPORARY = frozenset({1, 2, 131000, 131016})
"""Meta's own "unknown", "service unavailable" and "something went wrong" errors."""
OPEN = ("pending", "retrying")
"""Statuses of a message to send now; anything else means do not send it (again)."""


class WindowClosed(PermanentSendError):
    """Meta refused a free-form message: the user's 24-hour window is closed (131047)."""


class TemplateRefused(PermanentSendError):
    """Meta refused a template (132000-132999: unknown name or language, parameters that do
    not fit, paused or disabled): an operator must fix the template or its settings."""

    def __init__(self, text: str, code: int) -> None:
        super().__init__(text)
        self.code = code


class TokenExpired(PermanentSendError):
    """The access token is expired or revoked (190): nothing goes out until it is renewed."""


class Transport(Protocol):
    name: str

    def transmit(self, to: str, message: dict) -> Sent: ...


class OutboxTransport:
    """No Graph API configured: the message stays in the local outbox, for the simulator."""

    name = "outbox"

    def transmit(self, to: str, message: dict) -> Sent:
        log.info("whatsapp message kept in local outbox", extra={"recipient": mask(to)})
        return Sent(status="outbox")

    def close(self) -> None:
        pass


class GraphTransport:
    """``POST {api}/{phone-number-id}/messages`` with the bearer token, one message per call."""

    name = "graph"

    def __init__(self, api_url: str, token: str, phone_number_id: str, *,
                 timeout: tuple[float, float] = (3.05, 10.0)) -> None:
        self.url = f"{api_url.rstrip('/')}/{phone_number_id}/messages"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"})

    def transmit(self, to: str, message: dict) -> Sent:
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                   **message}
        try:
            response = self.session.post(self.url, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransientSendError(f"graph api: {type(exc).__name__}") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.ok:
            try:
                return Sent(status="sent", provider_id=str(answer["messages"][0]["id"]))
            except (KeyError, IndexError, TypeError):
                log.warning("graph api accepted a message without an id")
                return Sent(status="sent")
        raise _error(response.status_code, answer)

    def close(self) -> None:
        self.session.close()


def _error(http_status: int, answer: object) -> Exception:
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    code = code if isinstance(code, int) else None
    text = f"{code if code is not None else http_status} {error.get('message') or ''}".strip()
    text = text[:500]
    if code == WINDOW_CLOSED:
        return WindowClosed(text)
    if code == TOKEN_EXPIRED:
        return TokenExpired(text)
    if code is not None and 132000 <= code <= 132999:
        return TemplateRefused(text, code)
    if code in RATE_LIMITS or code in TEMPORARY or http_status >= 500 or http_status == 429:
        return TransientSendError(text)
    return PermanentSendError(text)


class WhatsAppSender:
    """Send WhatsApp messages once per key, recording every attempt in the message log."""

    def __init__(self, messages: MessageLog, transport: Transport, store: Store) -> None:
        self.messages = messages
        self.transport = transport
        self.store = store

    def send(self, user: str, message: dict, *, lang: str, key: str, final: bool = False) -> str:
        """Send one message object to ``user`` (``+<wa_id>``) and return its status.

        Raises :class:`TransientSendError` for the queue to retry, unless ``final`` (the last
        try), when the message is marked ``dead`` (the dead-letter list) instead.
        """
        record = self.messages.claim(key=key, channel="whatsapp", recipient=user,
                                     body=json.dumps(message, ensure_ascii=False), lang=lang)
        if record.status == "sending":
            self.messages.update(record.id, status="uncertain", attempted=False,
                                 error="the previous attempt stopped during the provider call")
            log.error("whatsapp outcome unknown, kept for an operator", extra={"key": key})
            return "uncertain"
        if record.status not in OPEN:
            return record.status
        wa_id = user.lstrip("+")
        try:
            in_window = window.is_open(self.store, wa_id)
        except StoreUnavailable as exc:
            return self._retry(record.id, user, TransientSendError("session store unavailable"),
                               final, cause=exc)
        if not in_window and message.get("type") != "template":  # templates are for that
            self.messages.update(record.id, status="window_closed", attempted=False,
                                 error="outside the 24-hour window: not sent")
            log.info("whatsapp message not sent: window closed", extra={"recipient": mask(user)})
            return "window_closed"
        self.messages.update(record.id, status="sending")  # counts the attempt
        try:
            sent = self.transport.transmit(wa_id, json.loads(record.body))
        except WindowClosed as exc:
            with contextlib.suppress(StoreUnavailable):
                window.closed(self.store, wa_id)
            self.messages.update(record.id, status="window_closed", error=str(exc),
                                 attempted=False)
            log.info("whatsapp refused: window closed", extra={"recipient": mask(user)})
            return "window_closed"
        except TemplateRefused as exc:
            # visible: in the dead-letter list with Meta's reason, counted, logged as an error
            self.messages.update(record.id, status="dead", error=f"template refused: {exc}",
                                 attempted=False)
            metrics.TEMPLATE_REFUSALS.labels(str(exc.code)).inc()
            log.error("whatsapp template refused", extra={"recipient": mask(user),
                                                          "error": str(exc)})
            return "template_refused"
        except TokenExpired as exc:
            self.messages.update(record.id, status="failed", error=str(exc), attempted=False)
            alerts.raise_token_alert(self.store, str(exc))
            return "failed"
        except PermanentSendError as exc:
            self.messages.update(record.id, status="failed", error=str(exc), attempted=False)
            log.warning("whatsapp message refused", extra={"recipient": mask(user),
                                                           "error": str(exc)})
            return "failed"
        except TransientSendError as exc:
            return self._retry(record.id, user, exc, final)
        self.messages.update(record.id, status=sent.status, provider_id=sent.provider_id,
                             attempted=False)
        alerts.clear_token_alert(self.store)
        return sent.status

    def _retry(self, record_id: int, user: str, exc: TransientSendError, final: bool, *,
               cause: Exception | None = None) -> str:
        """Mark the message for a retry and raise ``exc``; after the last try it is ``dead``."""
        if final:
            self.messages.update(record_id, status="dead", error=str(exc), attempted=False)
            log.error("whatsapp message gave up, in the dead-letter list",
                      extra={"recipient": mask(user), "error": str(exc)})
            return "dead"
        self.messages.update(record_id, status="retrying", error=str(exc), attempted=False)
        if cause is not None:
            raise exc from cause
        raise exc

    def send_all(self, user: str, messages: list[dict], *, lang: str, key: str,
                 final: bool = False) -> list[str]:
        """Send the messages of one reply in order; part ``i`` has the key ``{key}:{i}``."""
        return [self.send(user, message, lang=lang, key=f"{key}:{i}", final=final)
                for i, message in enumerate(messages)]
