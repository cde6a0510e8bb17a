"""Whose number is this?  Proving a phone number where the network does not vouch for it.

USSD, SMS and WhatsApp give Guichet a number the operator vouches for.  A web visitor is only a
session (``web:<sid>``) until they prove a number: the dialog asks for it, a one-time code goes
to it by SMS, and only the right code binds the conversation to that number.  Drafts, "my
requests", e-services and anything else personal wait behind that step.

The code is never stored: only an HMAC of it (keyed with ``SECRET_KEY``, bound to the session and
the number) lives in the session store, for a few minutes and a few tries.  Sends are counted per
number and per client address.  What the visitor is told never depends on whether the number has
a history here, so the step cannot be used to find out who uses the service.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.phones import subscriber, to_e164
from dialogs.store import Store
from integrations.portal import PortalClient
from integrations.portal.errors import PortalError

PERSONAL_STATES = ("eservices", "form", "confirm", "resume", "my_requests")
"""States that show or file something of a person's: reached only with a proven number."""
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


class IdentitySteps:
    """The dialog steps that prove a number: mixed into :class:`dialogs.manager.DialogManager`.

    ``verify_phone`` asks the number, ``verify_code`` the code sent to it; the state the visitor
    wanted (``then``) follows once the code is right.
    """

    verifier: Verifier | None

    def _gate(self, conv: Conversation, at: str, data: dict | None) -> Reply | None:
        """The number step when ``at`` is personal and the user has not proven a number."""
        if at not in PERSONAL_STATES or proven(conv.user):
            return None
        if self.verifier is None:  # nothing can prove a number here: the 135 can help
            return self._goto(conv, "agent")  # type: ignore[attr-defined]
        reply = self._goto(conv, "verify_phone",  # type: ignore[attr-defined]
                           {"then": [at, data or {}]})
        conv.state["data"]["depth"] = len(conv.state.get("stack", []))
        return reply

    def _show_verify_phone(self, conv: Conversation) -> Reply:
        _ = self._t(conv)  # type: ignore[attr-defined]
        return self._reply(conv, [  # type: ignore[attr-defined]
            _("Pour cela, confirmez votre numéro : nous vous enverrons un code par SMS."),
            _("Votre numéro de téléphone ?"), _("Exemple : 0197000000")], expects="text",
            input="tel")

    def _on_verify_phone(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)  # type: ignore[attr-defined]
        phone = to_e164(inbound.text or "")
        if phone is None:
            return self.show(conv).with_error(  # type: ignore[attr-defined]
                _("Numéro invalide. Exemple : 0197000000"))
        return self._send_code(conv, inbound, phone)

    def _send_code(self, conv: Conversation, inbound: Inbound, phone: str) -> Reply:
        """Issue a code and send it by SMS through the usual path; the same answer for any
        number (nothing here looks at whether the number has requests or drafts)."""
        _ = self._t(conv)  # type: ignore[attr-defined]
        lang = self.lang(conv)  # type: ignore[attr-defined]
        code = self.verifier.issue(conv.session, phone, inbound.client)  # type: ignore[union-attr]
        if code is None:
            return self.show(conv).with_error(_(  # type: ignore[attr-defined]
                "Trop de codes demandés. Réessayez plus tard ou appelez le 135."))
        minutes = max(1, self.verifier.limits.ttl // 60)  # type: ignore[union-attr]
        self.effects.send_text(phone, _(  # type: ignore[attr-defined]
            "Service Public : votre code de confirmation est {code}. Il expire dans {minutes} "
            "min. Ne le donnez à personne.").format(code=code, minutes=minutes),
            lang=lang, key=f"code:{conv.session}:{secrets.token_hex(6)}")
        data = {**conv.state["data"], "phone": phone}
        if conv.state["at"] == "verify_code":
            conv.state["data"] = data
            return self.show(conv)  # type: ignore[attr-defined]
        return self._goto(conv, "verify_code", data)  # type: ignore[attr-defined]

    def _show_verify_code(self, conv: Conversation) -> Reply:
        _ = self._t(conv)  # type: ignore[attr-defined]
        phone = conv.state["data"]["phone"]
        return self._reply(conv, [  # type: ignore[attr-defined]
            _("Un code à 6 chiffres a été envoyé par SMS au {phone}.").format(phone=phone),
            _("Code reçu par SMS ?")],
            choices=(Choice("resend", _("Renvoyer le code")),
                     Choice("other", _("Changer de numéro"))), expects="text", input="code")

    def _on_verify_code(self, conv: Conversation, inbound: Inbound) -> Reply:
        _ = self._t(conv)  # type: ignore[attr-defined]
        data = conv.state["data"]
        typed = re.sub(r"[\s.-]", "", inbound.text or "") if not inbound.choice else ""
        if not (typed.isdigit() and len(typed) == CODE_DIGITS):
            choice = self._choice(conv, inbound)  # type: ignore[attr-defined]
            if choice == "resend":
                return self._send_code(conv, inbound, data["phone"])
            if choice == "other":
                return self._back(conv)  # type: ignore[attr-defined]
            return self.show(conv).with_error(  # type: ignore[attr-defined]
                _("Tapez le code à 6 chiffres reçu par SMS."))
        checked = self.verifier.check(conv.session, typed)  # type: ignore[union-attr]
        if checked.outcome == "wrong":
            return self.show(conv).with_error(  # type: ignore[attr-defined]
                _("Code incorrect. Essais restants : {n}.").format(n=checked.left))
        if checked.outcome != "ok" or checked.phone != data["phone"]:
            error = (_("Trop d'essais. Demandez un nouveau code.") if checked.outcome == "locked"
                     else _("Code expiré. Demandez un nouveau code."))
            return self.show(conv).with_error(error)  # type: ignore[attr-defined]
        return self._bind(conv, checked.phone)

    def _bind(self, conv: Conversation, phone: str) -> Reply:
        """From now on the conversation is this number's: its profile, draft and requests."""
        _ = self._t(conv)  # type: ignore[attr-defined]
        data = conv.state["data"]
        conv.user = phone
        profile, draft = self.store.get_many(  # type: ignore[attr-defined]
            [f"gc:p:{phone}", f"gc:d:{phone}"])
        conv.profile, conv.draft = profile or {}, draft
        conv.profile_dirty = conv.draft_dirty = False
        at, then = data["then"]
        conv.state["stack"] = conv.state.get("stack", [])[:data.get("depth", 0)]
        if at in ("eservices", "form") and self._draft(conv):  # type: ignore[attr-defined]
            at, then = "resume", {}  # a form this number left unfinished (on USSD, say)
        reply = self._goto(conv, at, then, push=False)  # type: ignore[attr-defined]
        return self._prefixed(reply, _("Numéro confirmé."))  # type: ignore[attr-defined]
