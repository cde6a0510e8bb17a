"""Where a request stands: by its reference, or from the citizen's own list ("my requests").

A status's private note (it can name the person) is shown only to the number that filed the
request.  When the portal is down the answer comes later by SMS, or from the requests the
profile remembers.
"""

from __future__ import annotations

from dialogs.identity import owns
from dialogs.journeys import payment
from dialogs.journeys.core import MAX_RECENT, Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.references import normalise as normalise_reference
from dialogs.texts import payment_line, short_title, status_lines
from integrations.portal.errors import PortalError, PortalNotFound, PortalUnavailable


def show_track(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(
        conv, [_("Entrez la référence de la demande"), _("Exemple : 2026000123")],
        expects="text",
    )


def on_track(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    reference = normalise_reference(inbound.text or inbound.choice or "")
    if reference is None:
        return d.show(conv).with_error(_("Référence invalide."))
    return status(d, conv, reference)


def status(d: Dialog, conv: Conversation, reference: str) -> Reply:
    """Show where ``reference`` stands, or say when the answer will come."""
    _ = d.t(conv)
    lang = d.lang(conv)
    try:
        req = d.portal.status(reference)
    except PortalNotFound:
        reply = d.show(conv) if conv.state["at"] == "track" else d.goto(conv, "track")
        return reply.with_error(_("Aucune demande {ref}.").format(ref=reference))
    except PortalUnavailable:
        d.effects.status_later(user=conv.user, lang=lang, reference=reference,
                               key=f"status:{conv.session}:{reference}")
        return d.reply(conv, [_(
            "Le service est lent. Nous vous enverrons le statut de {ref} par SMS."
        ).format(ref=reference)], end=True, expects="nothing")
    try:
        title = short_title(d.portal.procedure(req.procedure), lang)
    except PortalError:
        title = req.procedure
    due = req.payment
    unpaid = (due is not None and due.status == "unpaid" and due.amount_xof != 0
              and req.status != "rejected")
    owner = bool(req.note or due is not None) and owns(d.portal, conv.user, reference,
                                                        conv.profile)
    lines = status_lines(req, lang, title, private=not req.note or owner)
    if owner and due is not None and due.amount_xof and (req.status != "rejected"
                                                          or due.status != "unpaid"):
        # what is owed, the owner's business; nothing is owed on a refused request
        lines.append(payment_line(due, lang))
    pay = {"ref": reference, "slug": req.procedure, "amount": due.amount_xof} \
        if owner and unpaid and due is not None else None
    return d.goto(conv, "status", {"lines": lines, "ref": reference, "pay": pay})


def show_status(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    choices: tuple[Choice, ...] = (Choice("sms", _("Recevoir par SMS"), kind="sms"),)
    if data.get("pay"):
        choices = (*choices, payment.pay_choice(d, conv))  # "1 receive by SMS" stays 1
    return d.reply(conv, data["lines"], choices=choices)


def on_status(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    choice = d.choice(conv, inbound)
    pay = conv.state["data"].get("pay")
    if choice == "pay" and pay:  # checked on this screen: no second portal call on the hop
        if pay["amount"] is None:
            return payment.offer(d, conv, pay["ref"])  # says where to confirm the fee
        return d.goto(conv, "pay", dict(pay))
    if choice != "sms":
        return d.invalid(conv)
    data = conv.state["data"]
    d.effects.send_text(conv.user, "\n".join(data["lines"]), lang=d.lang(conv),
                        key=f"status-sms:{conv.session}:{data['ref']}")
    return d.reply(conv, [_("Vous allez recevoir le statut par SMS. Merci.")],
                   end=True, expects="nothing")


def show_my_requests(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    lang = d.lang(conv)
    data = conv.state["data"]
    try:
        if data.get("unavailable"):  # the screen shown stays the one answered
            raise PortalUnavailable("shown unavailable", kind="shown")
        found = [(r.reference, r.procedure) for r in d.portal.requests_for(conv.user)]
    except PortalError:
        found = [(r["reference"], r["procedure"]) for r in conv.profile.get("requests", [])]
        if not found:  # not "none": the portal could not say
            data["unavailable"] = True
            return d.reply(conv, [_("Vos demandes sont indisponibles pour le moment.")],
                           choices=(Choice("sms", _("Recevoir par SMS"), kind="later"),))
    if not found:
        return d.reply(conv, [_("Aucune demande pour ce numéro.")],
                       choices=(Choice("eservices", _("Faire une demande")),))
    choices = []
    for reference, slug in found[:MAX_RECENT]:
        try:
            title = short_title(d.portal.procedure(slug), lang)
        except PortalError:
            title = slug
        choices.append(Choice(f"ref:{reference}", f"{reference[3:]} {title}"))
    return d.reply(conv, [_("Vos demandes")], choices=tuple(choices))


def on_my_requests(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    choice = d.choice(conv, inbound)
    if choice == "eservices":
        return d.goto(conv, "eservices")
    if choice == "sms":
        _ = d.t(conv)
        d.effects.requests_later(user=conv.user, lang=d.lang(conv),
                                 key=f"requests:{conv.session}")
        return d.reply(conv, [_("Nous vous enverrons la liste de vos demandes par SMS.")],
                       end=True, expects="nothing")
    if choice.startswith("ref:"):
        return status(d, conv, choice[4:])
    return d.invalid(conv)
