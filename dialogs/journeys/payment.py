"""Paying a request's fee by mobile money: operator, number, amount, then the phone's prompt.

Reached right after a submission ("Payer maintenant"), from "my requests" and from a status,
when the request has a known fee and is not paid; by SMS with ``PAYER <reference> [MTN]``.
Only the number that filed the request may pay it (the network vouches for a USSD or SMS
number; a web visitor proves theirs first: the states are ``personal``).

Nothing is paid before the citizen has seen the amount and confirmed.  Starting the payment
is never done on the hop: :meth:`Effects.pay` starts it in the background (one attempt, one
idempotency key) and the operator pushes its own prompt to the phone, where the citizen types
their PIN.  Guichet never asks for, shows or keeps a PIN, and says so.
"""

from __future__ import annotations

import uuid

from dialogs.i18n import money
from dialogs.identity import owns
from dialogs.journeys import eservice
from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.phones import to_e164
from integrations.portal.errors import PortalError, PortalNotFound
from integrations.portal.models import OPERATORS, pick

OPERATOR_NAMES = {"mtn": "MTN MoMo", "moov": "Moov Money", "celtiis": "Celtiis Cash"}
"""Brand names, the same in every language."""
SMS_OPERATORS = {"mtn": "mtn", "momo": "mtn", "moov": "moov", "celtiis": "celtiis",
                 "celtis": "celtiis"}
"""What a citizen may type after ``PAYER <reference>`` to name the operator."""


def pay_choice(d: Dialog, conv: Conversation) -> Choice:
    _ = d.t(conv)
    return Choice("pay", _("Payer maintenant"))


def show_submitted(d: Dialog, conv: Conversation) -> Reply:
    """Right after "Confirmer": the request is being filed; it can be paid now."""
    _ = d.t(conv)
    return d.reply(conv, [conv.state["data"]["sent"]],
                   choices=(pay_choice(d, conv), Choice("done", _("Plus tard"))),
                   navigable=False)


def on_submitted(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    """The reference is not known yet (it is filed in the background), so the payment will
    wait for it (``after``: the submission's key)."""
    _ = d.t(conv)
    choice = d.choice(conv, inbound)
    data = conv.state["data"]
    if choice == "pay":
        return d.goto(conv, "pay", {"after": data["after"], "slug": data["slug"],
                                    "amount": data["amount"]})
    if choice == "done":
        return d.reply(conv, [_("Merci. Vous pourrez payer depuis Mes demandes.")], end=True,
                       expects="nothing")
    return d.invalid(conv)


def offer(d: Dialog, conv: Conversation, reference: str) -> Reply:
    """Start paying ``reference``: checked for an owner, a known fee and nothing paid yet;
    otherwise say why it cannot be paid here, and where."""
    _ = d.t(conv)
    lang = d.lang(conv)
    try:
        req = d.portal.status(reference)
    except PortalNotFound:
        return d.reply(conv, [_("Aucune demande {ref}.").format(ref=reference)], end=True,
                       expects="nothing")
    except PortalError:
        return d.unavailable(conv)
    if not owns(d.portal, conv.user, reference, conv.profile):
        return d.reply(conv, [_("Seul le numéro qui a fait la demande {ref} peut la payer.")
                              .format(ref=reference)], end=True, expects="nothing")
    due = req.payment
    amount = due.amount_xof if due is not None else eservice.fee_of(d, req.procedure)
    if due is not None and due.status == "paid":
        return d.reply(conv, [_("La demande {ref} est déjà payée.").format(ref=reference)],
                       end=True, expects="nothing")
    if due is not None and due.status == "pending":
        return d.reply(conv, [_("Un paiement de {ref} attend votre validation sur votre "
                                "téléphone.").format(ref=reference)], end=True,
                       expects="nothing")
    if amount == 0:
        return d.reply(conv, [_("Ce service est gratuit : rien à payer.")], end=True,
                       expects="nothing")
    if amount is None:
        try:
            where = pick(d.portal.procedure(req.procedure).where, lang)[0]
        except PortalError:
            where = None
        return d.reply(conv, [
            _("Montant à confirmer : ce paiement ne peut pas se faire ici."),
            _("Pour confirmer : {where}, ou le 135 (Allo Service Public).").format(where=where)
            if where else _("Pour confirmer : appelez le 135 (Allo Service Public).")],
            end=True, expects="nothing")
    return d.goto(conv, "pay", {"ref": reference, "slug": req.procedure, "amount": amount})


def _what(d: Dialog, conv: Conversation) -> str:
    _ = d.t(conv)
    data = conv.state["data"]
    amount = money(data["amount"], d.lang(conv))
    if data.get("ref"):
        return _("Payer {amount} ({ref})").format(amount=amount, ref=data["ref"])
    return _("Payer {amount}").format(amount=amount)


def show_pay(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(conv, [_what(d, conv), _("Avec quel opérateur ?")], choices=tuple(
        Choice(f"op:{op}", OPERATOR_NAMES[op]) for op in OPERATORS))


def on_pay(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    operator = d.picked(conv, inbound, "op:")
    if operator not in OPERATORS:
        return d.invalid(conv)
    data = {**conv.state["data"], "operator": operator}
    if to_e164(conv.user) is None:  # no number of one's own to offer: ask for one
        return d.goto(conv, "pay_other", data)
    return d.goto(conv, "pay_number", data)


def show_pay_number(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    own = _national(conv.user)
    return d.reply(conv, [_("Quel numéro {operator} débiter ?").format(
        operator=OPERATOR_NAMES[conv.state["data"]["operator"]])], choices=(
        Choice("self", _("Ce numéro ({phone})").format(phone=own)),
        Choice("other", _("Un autre numéro"))))


def on_pay_number(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    choice = d.choice(conv, inbound)
    data = conv.state["data"]
    if choice == "self" and to_e164(conv.user):
        return d.goto(conv, "pay_confirm", {**data, "msisdn": to_e164(conv.user)})
    if choice == "other":
        return d.goto(conv, "pay_other", data)
    return d.invalid(conv)


def show_pay_other(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(conv, [_("Numéro Mobile Money à débiter ?"), _("Exemple : 0197000000")],
                   expects="text", input="tel")


def on_pay_other(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    phone = to_e164(inbound.text or "")
    if phone is None or not phone.startswith("+229"):
        return d.show(conv).with_error(_("Numéro du Bénin invalide. Exemple : 0197000000"))
    return d.goto(conv, "pay_confirm", {**conv.state["data"], "msisdn": phone})


def show_pay_confirm(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    return d.reply(conv, [
        _what(d, conv),
        _("{operator}, numéro {phone}").format(operator=OPERATOR_NAMES[data["operator"]],
                                               phone=_national(data["msisdn"]))],
        choices=(Choice("confirm", _("Confirmer")), Choice("cancel", _("Annuler"))))


def on_pay_confirm(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    choice = d.choice(conv, inbound)
    data = conv.state["data"]
    if choice == "cancel":
        return d.home(conv).with_error(_("Paiement annulé."))
    if choice != "confirm":
        return d.invalid(conv)
    here = conv.via is not None and conv.via.shows_later
    d.effects.pay(user=conv.user, lang=d.lang(conv), reference=data.get("ref"),
                  intent=uuid.uuid4().hex, after=data.get("after"), operator=data["operator"],
                  msisdn=data["msisdn"], channel=conv.channel,
                  also=f"web:{conv.session}" if here else None)
    # the outcome comes where the news of the request goes: WhatsApp, this chat, or SMS
    told_here = here or conv.channel == "whatsapp"
    return d.reply(conv, [
        _("Validez le paiement sur votre téléphone avec votre code secret."),
        _("Guichet ne vous demande jamais ce code."),
        _("Le résultat vous sera envoyé ici.") if told_here
        else _("Le résultat vous sera envoyé par SMS.")], end=True, expects="nothing")


def _national(phone: str) -> str:
    """``0197000001`` for ``+2290197000001``: how a Beninese reads their own number."""
    return phone[4:] if phone.startswith("+229") else phone


def sms_operator(word: str) -> str | None:
    """The operator named after ``PAYER <reference>``, or None."""
    return SMS_OPERATORS.get(word.strip().casefold())
