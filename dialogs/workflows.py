"""The slow halves of dialogs, run by background workers after the hop has answered.

A submission goes to the portal with a long timeout and an idempotency key (so a retry after a
timeout cannot file two requests), then the citizen gets the reference and payment instructions
by SMS.  If the portal stays down the job is retried; on the last try the citizen is told to try
again later, so nobody waits for an SMS that will never come.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from dialogs.handoff import Desk
from dialogs.i18n import gettext_for
from dialogs.identity import owns
from dialogs.manager import record_request
from dialogs.payments import PaymentLedger
from dialogs.phones import mask, to_e164
from dialogs.store import Store
from dialogs.texts import (
    payment_outcome_text,
    receipt_text,
    short_title,
    status_label,
    status_lines,
)
from integrations.portal import PortalClient
from integrations.portal.errors import (
    PortalError,
    PortalNotFound,
    PortalRejected,
    PortalUnavailable,
)
from integrations.portal.models import MobilePayment, pick

log = logging.getLogger(__name__)
BACKGROUND_TIMEOUT = 10.0
SUBMITTED_TTL = 86400


def submitted_key(key: str) -> str:
    """Where the reference of the submission ``key`` is kept, for a payment waiting for it."""
    return f"gc:submitted:{key}"


class Notifier(Protocol):
    def send(self, user: str, text: str, *, lang: str, key: str) -> str: ...


class RetryLater(RuntimeError):
    """The portal is unavailable: run this job again later."""


def _reason(code: str, lang: str) -> str:
    """The portal's short refusal code for a field, in the citizen's language."""
    _ = gettext_for(lang)
    return {
        "required": _("manquant"),
        "pattern": _("format invalide"),
        "npi": _("NPI invalide"),
        "date": _("date invalide"),
        "future_date": _("date dans le futur"),
        "phone": _("numéro invalide"),
        "choice": _("choix invalide"),
        "too_long": _("trop long"),
    }.get(code, _("invalide"))


def _labels(portal: PortalClient, slug: str, lang: str) -> dict[str, str]:
    """Field name -> label in ``lang``, to explain a refusal in the citizen's words."""
    try:
        schema = portal.form(slug)
    except PortalError:
        return {}
    if schema is None:
        return {}
    return {f.name: pick(f.label, lang)[0] or f.name for f in schema.fields}


def _title(portal: PortalClient, slug: str, lang: str) -> str:
    try:
        return short_title(portal.procedure(slug), lang)
    except PortalError:
        return slug


def _call_back(desk: Desk | None, *, user: str, lang: str, slug: str, key: str,
               reason: str) -> bool:
    """An e-service failure the citizen cannot fix: the 135 calls them (True if asked)."""
    phone = to_e164(user)
    if desk is None or phone is None:
        return False
    try:
        desk.request_callback(channel="eservice", session=key, user=user, phone=phone,
                              slot="asap", lang=lang, topic=slug)
    except Exception:  # the SMS below still tells the citizen to call
        log.exception("callback request failed", extra={"reason": reason})
        return False
    return True


def submit_request(portal: PortalClient, notifier: Notifier, store: Store, *, user: str,
                   lang: str, slug: str, answers: dict[str, str], key: str, final: bool,
                   track_code: str, desk: Desk | None = None,
                   follow: Callable[[str], object] | None = None) -> str | None:
    """Submit; SMS the receipt.  Returns the reference, or None when it could not be filed.

    When the portal refuses the request or stays down, a callback is also requested from the
    135 desk, since the citizen may not be able to fix it alone.  ``follow``: remember the
    reference so that the portal's news about it reaches the citizen (before the receipt: a
    payment made at once must find them).
    """
    _ = gettext_for(lang)
    try:
        submission = portal.submit(slug, answers, user, lang, idempotency_key=key,
                                   timeout=BACKGROUND_TIMEOUT)
    except PortalRejected as exc:
        labels = _labels(portal, slug, lang)
        reasons = "; ".join(f"{labels.get(name, name)}: {_reason(code, lang)}"
                            for name, code in (exc.fields or {}).items())
        text = _("Votre demande n'a pas pu être enregistrée ({reasons}). "
                 "Recommencez sur {code} ou appelez le 135.").format(
            reasons=reasons or str(exc), code=track_code)
        if _call_back(desk, user=user, lang=lang, slug=slug, key=key, reason="rejected"):
            text += " " + _("Un conseiller du 135 va aussi vous rappeler.")
        notifier.send(user, text, lang=lang, key=f"{key}:rejected")
        return None
    except PortalError as exc:
        if not final:
            raise RetryLater(str(exc)) from exc
        text = _("Le portail ne répond pas : votre demande n'a pas pu être envoyée. "
                 "Réessayez plus tard sur {code} ou appelez le 135.").format(code=track_code)
        if _call_back(desk, user=user, lang=lang, slug=slug, key=key, reason="portal down"):
            text += " " + _("Un conseiller du 135 va aussi vous rappeler.")
        notifier.send(user, text, lang=lang, key=f"{key}:gave-up")
        return None
    record_request(store, user, submission.reference, slug, time.time())
    store.put_many({submitted_key(key): ({"reference": submission.reference}, SUBMITTED_TTL)})
    if follow is not None:
        follow(submission.reference)
    text = receipt_text(submission, _title(portal, slug, lang), lang, track_code)
    notifier.send(user, text, lang=lang, key=f"{key}:receipt")
    return submission.reference


def send_status(portal: PortalClient, notifier: Notifier, *, user: str, lang: str,
                reference: str, key: str, final: bool) -> bool:
    """Fetch a status the hop could not wait for and SMS it."""
    _ = gettext_for(lang)
    try:
        req = portal.status(reference)
    except PortalNotFound:
        notifier.send(user, _("Aucune demande {ref}.").format(ref=reference), lang=lang,
                      key=f"{key}:unknown")
        return False
    except PortalError as exc:
        if not final:
            raise RetryLater(str(exc)) from exc
        notifier.send(user, _(
            "Le statut de {ref} est indisponible pour le moment. Réessayez plus tard."
        ).format(ref=reference), lang=lang, key=f"{key}:gave-up")
        return False
    mine = not req.note or owns(portal, user, reference)
    lines = status_lines(req, lang, _title(portal, req.procedure, lang), private=mine)
    notifier.send(user, "\n".join(lines), lang=lang, key=f"{key}:status")
    return True


def send_requests(portal: PortalClient, notifier: Notifier, *, user: str, lang: str, key: str,
                  final: bool) -> bool:
    """SMS the list of a citizen's requests the hop could not get from the portal."""
    _ = gettext_for(lang)
    try:
        found = portal.requests_for(user)
    except PortalError as exc:
        if not final:
            raise RetryLater(str(exc)) from exc
        notifier.send(user, _("Vos demandes sont indisponibles pour le moment. Réessayez plus "
                              "tard ou appelez le 135."), lang=lang, key=f"{key}:gave-up")
        return False
    if not found:
        notifier.send(user, _("Aucune demande pour ce numéro."), lang=lang, key=f"{key}:none")
        return True
    lines = [_("Vos demandes")]
    lines += [f"{req.reference} {_title(portal, req.procedure, lang)} : "
              f"{status_label(req.status, lang)}" for req in found[:5]]
    notifier.send(user, "\n".join(lines), lang=lang, key=f"{key}:list")
    return True


def start_payment(portal: PortalClient, notifier: Notifier, ledger: PaymentLedger,
                  store: Store, *, user: str, lang: str, reference: str | None, operator: str,
                  msisdn: str, channel: str, intent: str, after: str | None, final: bool,
                  track_code: str, timeout: float = BACKGROUND_TIMEOUT,
                  follow: Callable[[str], object] | None = None,
                  tell: Callable[[MobilePayment], bool] | None = None) -> str:
    """Start (or find again) the payment of a request; returns what was done.

    The attempt comes from the ledger: the open one if there is one (its key again), else a
    new one.  A timeout leaves the attempt ``unknown`` and the job is retried with the same
    key, so the portal answers with the payment it may already have started: asking again,
    never charging again.  ``after``: the request is being filed; wait for its reference.

    ``follow``: remember the reference, so that the portal's news of this payment reaches the
    citizen even for a request filed elsewhere.  ``tell``: the one teller of a payment's
    outcome (the news, which the portal's event also goes through); it returns False when it
    cannot tell, and the outcome is then sent from here.
    """
    _ = gettext_for(lang)
    if reference is None:
        (found,) = store.get_many([submitted_key(after or "")])
        if not found:
            if not final:
                raise RetryLater("request not filed yet")
            notifier.send(user, _("Le paiement n'a pas pu commencer : votre demande n'est pas "
                                  "encore enregistrée. Réessayez plus tard sur {code}.").format(
                code=track_code), lang=lang, key=f"pay:{after}:gave-up")
            return "gave_up"
        reference = str(found["reference"])
    if follow is not None:
        follow(reference)
    for _try in range(2):
        outcome = _start_attempt(portal, notifier, ledger, user=user, lang=lang,
                                 reference=reference, operator=operator, msisdn=msisdn,
                                 channel=channel, intent=intent, final=final, timeout=timeout,
                                 tell=tell)
        if outcome != "ended":
            return outcome
    return "ended"


def _start_attempt(portal: PortalClient, notifier: Notifier, ledger: PaymentLedger, *,
                   user: str, lang: str, reference: str, operator: str, msisdn: str,
                   channel: str, intent: str, final: bool, timeout: float,
                   tell: Callable[[MobilePayment], bool] | None = None) -> str:
    """POST the open attempt (its key again) or a new one.  ``ended``: the open attempt was
    another confirmation's and had failed or expired meanwhile - open a new one for this.

    A settled payment found again is this job's own (a retry after a timeout, the event
    already in): its outcome goes to ``tell``, which tells it once with the event's news."""
    _ = gettext_for(lang)
    attempt, created = ledger.open(reference, operator=operator, msisdn=msisdn,
                                   channel=channel, intent=intent)
    log.info("payment attempt %s of %s (%s, %s)", attempt.attempt, reference,
             "new" if created else attempt.status, mask(msisdn))
    if attempt.status == "succeeded" and attempt.intent == intent and attempt.payment_id \
            and tell is not None:  # this very job, retried after the event settled it
        replay = _replayed(portal, attempt.payment_id)
        if replay is not None and tell(replay):
            return "succeeded"
    if attempt.status == "succeeded":
        notifier.send(user, _("La demande {ref} est déjà payée.").format(ref=reference),
                      lang=lang, key=f"pay:{attempt.key}:paid")
        return "already_paid"
    try:
        payment = portal.start_payment(reference, attempt.operator, msisdn, attempt.key,
                                       timeout=timeout)
    except PortalRejected as exc:
        code = exc.fields.get("reference") or next(iter(exc.fields.values()), "rejected")
        ledger.update(attempt.key, status="refused", reason=code)
        notifier.send(user, _refusal(code, reference, lang), lang=lang,
                      key=f"pay:{attempt.key}:refused")
        return f"refused:{code}"
    except PortalError as exc:
        ledger.update(attempt.key, status="unknown",
                      reason=exc.kind if isinstance(exc, PortalUnavailable) else "error")
        if not final:
            raise RetryLater(str(exc)) from exc
        notifier.send(user, _("Le paiement de {ref} n'a pas pu être confirmé. Si votre "
                              "téléphone vous demande de valider, faites-le ; sinon réessayez "
                              "plus tard : PAYER {ref}.").format(ref=reference),
                      lang=lang, key=f"pay:{attempt.key}:gave-up")
        return "unknown"
    ledger.update(attempt.key, status=payment.status, payment_id=payment.payment_id,
                  reason=payment.reason)
    if payment.status in ("failed", "expired") and attempt.intent != intent:
        return "ended"  # an earlier confirmation's payment had failed: this is a new one
    if payment.status != "pending" and (tell is None or not tell(payment)):
        # settled already (a replay) and nobody follows the request: say how it ended
        notifier.send(user, payment_outcome_text(payment, lang), lang=lang,
                      key=f"pay:{attempt.key}:{payment.status}")
    return payment.status


def _replayed(portal: PortalClient, payment_id: str) -> MobilePayment | None:
    try:
        return portal.payment(payment_id, timeout=BACKGROUND_TIMEOUT)
    except PortalError:
        return None


def _refusal(code: str, reference: str, lang: str) -> str:
    _ = gettext_for(lang)
    return {
        "paid": _("La demande {ref} est déjà payée."),
        "pending": _("Un paiement de {ref} attend votre validation sur votre téléphone."),
        "fee_unknown": _("Le montant de {ref} est à confirmer : il ne peut pas être payé ici. "
                         "Appelez le 135 (Allo Service Public)."),
        "free": _("Ce service est gratuit : rien à payer."),
        "phone": _("Ce numéro ne peut pas payer. Réessayez avec un numéro mobile money du "
                   "Bénin : PAYER {ref}."),
    }.get(code, _("Le paiement de {ref} a été refusé par le portail. Appelez le 135.")).format(
        ref=reference)


def reconcile_payment(portal: PortalClient, ledger: PaymentLedger, *, payment_id: str,
                      key: str | None = None) -> MobilePayment | None:
    """Ask the portal where a payment stands and record it (events, polling); None when the
    portal cannot say now."""
    try:
        payment = portal.payment(payment_id, timeout=BACKGROUND_TIMEOUT)
    except PortalError:
        return None
    attempt = ledger.by_key(key) if key else ledger.by_payment(payment_id)
    if attempt is not None:
        ledger.update(attempt.key, status=payment.status, reason=payment.reason)
    return payment
