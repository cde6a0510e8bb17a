"""Whose number is this?  Proving a phone number where the network does not vouch for it.

USSD, SMS and WhatsApp give Guichet a number the operator vouches for.  A web visitor is only a
session (``web:<sid>``) until they prove a number: the dialog asks for it, a one-time code goes
to it by SMS, and only the right code binds the conversation to that number.  Drafts, "my
requests", e-services and anything else personal wait behind that step (the dialog steps are
in :mod:`dialogs.journeys.verify`).

The code is never stored: only an HMAC of it (keyed with ``SECRET_KEY``, bound to the session and
the number) lives in the session store, for a few minutes and a few tries.  Sends are counted per
number and per client address.  What the visitor is told never depends on whether the number has
a history here, so the step cannot be used to find out who uses the service.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from dialogs.phones import subscriber
from dialogs.store import Store
from integrations.portal import PortalClient
from integrations.portal.errors import PortalError

CODE_DIGITS = 6


@dataclass(frozen=True)
class CodeLimits:
    """How long a code lives, how many tries it allows, how many may be sent (per window)."""

    ttl: int = 300
    attempts: int = 5
    per_number: int = 3
    number_window: int = 900
    per_client: int = 10
    client_window: int = 3600


@dataclass(frozen=True)
class Check:
    """The outcome of a code typed by the visitor."""

    outcome: str
    """``ok``, ``wrong`` (``left`` tries remain), ``locked`` (too many tries) or ``expired``."""
    phone: str | None = None
    left: int = 0


class Verifier:
    """One-time codes kept hashed in the session store, with tries and sends counted there."""

    def __init__(self, store: Store, secret: str, limits: CodeLimits | None = None) -> None:
        self.store = store
        self._secret = secret.encode()
        self.limits = limits or CodeLimits()

    def _mac(self, *parts: str) -> str:
        return hmac.new(self._secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    @staticmethod
    def _keys(session: str) -> tuple[str, str]:
        return f"gc:otp:code:{session}", f"gc:otp:tries:{session}"

    def issue(self, session: str, phone: str, client: str | None) -> str | None:
        """A new code for ``phone`` in this session (the old one stops working), or None when
        this number or this client asked for too many codes lately."""
        limits = self.limits
        client_key = f"gc:otp:client:{self._mac('client', client or 'unknown')[:24]}"
        if self.store.incr(client_key, limits.client_window) > limits.per_client:
            return None
        number_key = f"gc:otp:number:{self._mac('number', phone)[:24]}"  # no number in clear
        if self.store.incr(number_key, limits.number_window) > limits.per_number:
            return None
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        code_key, tries_key = self._keys(session)
        self.store.put_many({
            code_key: ({"phone": phone, "mac": self._mac("code", session, phone, code)},
                       limits.ttl),
            tries_key: (None, None),
        })
        return code

    def check(self, session: str, code: str) -> Check:
        """Compare ``code`` with the one sent; every try counts, the last wrong one burns it."""
        code_key, tries_key = self._keys(session)
        (record,) = self.store.get_many([code_key])
        if not record:
            return Check("expired")
        tries = self.store.incr(tries_key, self.limits.ttl)  # atomic: parallel tries all count
        left = self.limits.attempts - tries
        if left < 0:
            self.store.put_many({code_key: (None, None)})
            return Check("locked")
        given = self._mac("code", session, record["phone"], code)
        if hmac.compare_digest(given, record["mac"]):
            self.store.put_many({code_key: (None, None), tries_key: (None, None)})
            return Check("ok", phone=record["phone"])
        if left == 0:
            self.store.put_many({code_key: (None, None)})
            return Check("locked")
        return Check("wrong", left=left)


def proven(user: str) -> bool:
    """True when the conversation's user is a phone number (vouched for, or proven by code)."""
    return subscriber(user) is not None


def owns(portal: PortalClient, user: str, reference: str, profile: dict | None = None) -> bool:
    """Whether ``reference`` was filed from ``user``'s (proven) number.

    Only then may a status show more than the procedure and where it stands (the portal's note
    can name the person or quote their NPI).  Asked of the profile first, then of the portal.
    """
    if not proven(user):
        return False
    if any(r.get("reference") == reference for r in (profile or {}).get("requests", [])):
        return True
    try:
        return any(r.reference == reference for r in portal.requests_for(user))
    except PortalError:
        return False
