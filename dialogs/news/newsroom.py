"""What the portal's news means for the citizen, and where and when it goes.

An event (or a change the polling fallback finds) names a request; :class:`Newsroom` finds who
filed it (``followed_requests``), words the news in their language, and sends it through the
:class:`dialogs.sender.Senders` router on the channel they used: SMS for USSD and SMS citizens,
WhatsApp (an approved template when their 24-hour window has closed: the channel's business),
the web chat (SMS to their proven number if the chat is gone).  Told once: the status and the
payment last told are set by compare-and-set before sending, and each send carries a key the
outbox keeps once.  SMS news of a request waits for the end of quiet hours (``hold``), it is not
dropped; a payment's outcome goes at once (the citizen has just typed their PIN).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from dialogs.i18n import gettext_for
from dialogs.news import texts
from dialogs.news.quiet import QuietHours
from dialogs.news.records import PAID, Followed, NewsRecords
from dialogs.payments import PaymentLedger
from dialogs.phones import mask
from dialogs.sender import WEB, Outgoing, Senders
from dialogs.texts import short_title
from dialogs.workflows import RetryLater, reconcile_payment
from integrations.portal import PortalClient
from integrations.portal.errors import PortalError, PortalNotFound
from integrations.portal.models import MobilePayment, RequestStatus, pick

log = logging.getLogger(__name__)
NEWS_STATES = ("in_progress", "ready", "rejected")
"""Statuses a citizen is told about (``received`` was their receipt)."""
EVENT_TYPES = ("request.status_changed", "payment.succeeded", "payment.failed")
SMS_CHANNELS = ("sms", "ussd")

Hold = Callable[[float, Outgoing], None]
"""Send this message after so many seconds (the task queue's delayed job)."""


class Newsroom:
    def __init__(self, records: NewsRecords, portal: PortalClient, senders: Senders, *,
                 track_code: str, quiet: QuietHours | None = None,
                 hold: Hold | None = None, ledger: PaymentLedger | None = None) -> None:
        self.records = records
        self.ledger = ledger
        self.portal = portal
        self.senders = senders
        self.track_code = track_code
        self.quiet = quiet
        self.hold = hold

    # -- at submission --
    def follow(self, *, reference: str, channel: str | None, user: str, also: str | None,
               lang: str) -> bool:
        """Remember where the citizen who filed ``reference`` is reached, on what they used."""
        phone = None if user.startswith(WEB) else user
        if channel == "webchat" or user.startswith(WEB):
            channel, address = "webchat", also or user
        elif channel == "whatsapp":
            address = user
        else:
            channel, address = ("ussd" if channel == "ussd" else "sms"), user
        return self.records.follow(reference=reference, channel=channel, address=address,
                                   phone=phone, lang=lang)

    # -- an event from the portal (already verified, first delivery) --
    def on_event(self, event: dict, *, final: bool = False) -> str:
        reference = str(event["reference"]).upper()
        followed = self.records.get(reference)
        if followed is None:
            return "not_followed"
        kind = event["type"]
        if kind in ("payment.succeeded", "payment.failed"):
            return self._payment(followed, event)
        try:
            req = self.portal.status(reference)
        except PortalNotFound:
            return "unknown"
        except PortalError as exc:
            if not final:
                raise RetryLater(str(exc)) from exc
            status = str(event.get("status") or "")
            return self._status(followed, status, None, None) if status in NEWS_STATES \
                else "ignored"
        return self._request(followed, req)

    # -- the polling fallback: one page of open requests after the cursor --
    def poll(self, after_id: int, limit: int) -> tuple[int, int]:
        """Ask the portal about the next ``limit`` open requests; returns ``(cursor, told)``:
        the id to start after next time (0: back to the start) and how many news went out."""
        page = self.records.open_page(after_id, limit)
        told = 0
        for followed in page:
            try:
                req = self.portal.status(followed.reference)
            except PortalNotFound:
                self.records.checked(followed.reference)
                continue
            except PortalError:  # the portal is down: the next round starts here again
                return followed.id - 1, told
            if req.status != followed.last_status and req.status in NEWS_STATES:
                told += self._request(followed, req) not in ("duplicate", "ignored")
            else:
                self.records.checked(followed.reference)
        return (page[-1].id if len(page) >= limit else 0), told

    def _request(self, followed: Followed, req: RequestStatus) -> str:
        """Tell the request's status as the portal has it now (not the event's: events may
        arrive out of order, "in progress" after "ready")."""
        if req.status not in NEWS_STATES:
            return "ignored"
        note, _fb = pick(req.note, followed.lang)
        try:
            title = short_title(self.portal.procedure(req.procedure), followed.lang)
        except PortalError:
            title = None
        return self._status(followed, req.status, note, title)

    def _status(self, followed: Followed, status: str, note: str | None,
                title: str | None) -> str:
        previous = self.records.claim_status(followed.reference, status)
        if previous is False:
            return "duplicate"
        lang, ref = followed.lang, followed.reference
        title = title or gettext_for(lang)("demande")
        if status == "in_progress":
            text = texts.in_progress(ref, title, lang)
        elif status == "ready":
            text = texts.ready(ref, title, lang, note)
        else:
            text = texts.rejected(ref, title, lang, note, track_code=self.track_code)
        try:
            return self._tell(followed, text, f"news:{ref}:{status}")
        except Exception:
            self.records.release_status(ref, status, previous)  # type: ignore[arg-type]
            raise

    def _payment(self, followed: Followed, event: dict) -> str:
        """A payment event: the portal's word on the payment when it can give it (and the
        payments ledger brought up to date), else the signed event's."""
        outcome = "succeeded" if event["type"] == "payment.succeeded" else "failed"
        reason = event.get("reason")
        payment_id = event.get("payment_id")
        found = self._reconcile(payment_id) if payment_id else None
        if found is not None and found.reference.upper() == followed.reference \
                and found.status != "pending":  # (pending: the event is ahead of the read)
            outcome = "succeeded" if found.status == "succeeded" else "failed"
            reason = found.reason or reason
        return self._tell_payment(followed, outcome, str(payment_id or event["id"]), reason)

    def payment_settled(self, payment: MobilePayment) -> bool:
        """The payments job found ``payment`` settled (a replayed start): tell it as the
        event would, so that whichever comes first tells it and the other does nothing.
        False when nobody follows the request (the job tells it itself)."""
        followed = self.records.get(payment.reference)
        if followed is None or payment.status == "pending":
            return False
        outcome = "succeeded" if payment.status == "succeeded" else "failed"
        self._tell_payment(followed, outcome, payment.payment_id, payment.reason)
        return True

    def _reconcile(self, payment_id: str) -> MobilePayment | None:
        if self.ledger is None:
            try:
                return self.portal.payment(payment_id)
            except PortalError:
                return None
        return reconcile_payment(self.portal, self.ledger, payment_id=payment_id)

    def _tell_payment(self, followed: Followed, outcome: str, payment_id: str,
                      reason: str | None) -> str:
        """"Paid" is told once per request, whatever payment or event says it (a request is
        paid once); a failure once per payment, and never after "paid"."""
        marker = PAID if outcome == "succeeded" else f"{payment_id}:failed"[:120]
        if not self.records.claim_payment(followed.reference, marker):
            return "duplicate"
        lang, ref = followed.lang, followed.reference
        if outcome == "succeeded":
            text = texts.payment_succeeded(ref, lang)
        else:
            text = texts.payment_failed(ref, lang, channel=followed.channel,
                                        track_code=self.track_code, reason=reason)
        try:
            # the answer to what the citizen did a minute ago (typed their PIN): at once,
            # even at night, like the receipt of their request
            return self._tell(followed, text, f"news:{ref}:pay:{marker}", hold=False)
        except Exception:
            self.records.release_payment(ref, marker)
            raise

    # -- sending --
    def _tell(self, followed: Followed, text: str, key: str, *, hold: bool = True) -> str:
        message = Outgoing(followed.channel, followed.address, text, followed.lang, key,
                           template=("news", (followed.reference, flat(text))))
        status = self._send(message, hold=hold)
        if status == "lost" and followed.channel == "webchat" and followed.phone:
            status = self._send(Outgoing("sms", followed.phone, text, followed.lang,
                                         f"{key}:sms"), hold=hold)
        log.info("news sent", extra={"key": key, "status": status,
                                     "recipient": mask(followed.address)})
        return status

    def _send(self, message: Outgoing, *, hold: bool = True) -> str:
        if hold and message.channel in SMS_CHANNELS and self.quiet is not None \
                and self.hold is not None:
            wait = self.quiet.hold_for()
            if wait > 0:
                self.hold(wait, message)
                return "held"
        return self.senders.send(message)


def flat(text: str) -> str:
    """A template parameter: Meta refuses new lines, tabs and runs of spaces in one."""
    return " ".join(text.split())[:900]
