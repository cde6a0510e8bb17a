"""What the dialog manager asks to be done later, outside the hop.

A USSD hop must answer in well under a second, so submissions and SMS sends are never done
inline: the manager calls this port and tells the citizen an SMS will follow.  The composition
root supplies an implementation backed by a queue (RQ on Redis, or threads in embedded mode).
"""

from __future__ import annotations

from typing import Protocol


class Effects(Protocol):
    def send_text(self, user: str, text: str, *, lang: str, key: str) -> None:
        """Send ``text`` to the citizen by SMS; ``key`` makes a repeated call send once."""

    def submit(self, *, user: str, lang: str, slug: str, answers: dict[str, str],
               key: str, also: str | None = None, channel: str | None = None) -> None:
        """Submit an e-service request to the portal and SMS the reference and payment.

        ``also``: another place to show the outcome, the web chat session it was filed from
        (``web:<sid>``), so the visitor sees the reference where they are.  ``channel``: the
        one it was filed on; a WhatsApp citizen gets the receipt on WhatsApp, and the portal's
        later news about the request goes there too.
        """

    def status_later(self, *, user: str, lang: str, reference: str, key: str) -> None:
        """Fetch a request's status when the portal answers again, and SMS it."""

    def requests_later(self, *, user: str, lang: str, key: str) -> None:
        """Fetch the citizen's requests when the portal answers again, and SMS the list."""

    def pay(self, *, user: str, lang: str, reference: str | None, operator: str, msisdn: str,
            channel: str, intent: str, after: str | None = None,
            also: str | None = None) -> None:
        """Start a mobile-money payment of ``reference``'s fee from ``msisdn`` (E.164).

        ``after``: the submission key of a request being filed now, whose reference is not
        known yet: the payment starts once it is.  One attempt, one idempotency key: a retry
        never charges twice.  ``intent`` names this confirmation: a retried job carries the
        same one, so it never opens a new attempt the citizen did not ask for.  The outcome
        reaches the citizen by SMS (and ``also``).
        """
