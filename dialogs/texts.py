"""Channel-neutral texts built from portal data: a procedure sheet, a request status, a receipt.

They are shared by every screen and message that shows the same facts (a USSD sheet and the SMS
"receive this by SMS" send the same lines), so a fact is worded once.  An unknown fact is shown
as "to be confirmed": never guessed.
"""

from __future__ import annotations

import re

from dialogs.i18n import date, gettext_for, money, money_in_text
from integrations.portal.models import (
    MobilePayment,
    PaymentDue,
    Procedure,
    RequestStatus,
    Submission,
    pick,
)


def short_title(proc: Procedure, lang: str) -> str:
    """The title without its parenthesised detail, for menus: "Extrait de casier judiciaire"."""
    title, _fell_back = pick(proc.title, lang)
    return re.sub(r"\s*\(.*?\)\s*", " ", title or proc.slug).strip()


def status_label(status: str, lang: str) -> str:
    _ = gettext_for(lang)
    return {
        "received": _("reçue"),
        "in_progress": _("en cours de traitement"),
        "ready": _("prête"),
        "rejected": _("refusée"),
    }.get(status, status)


ASPECTS = ("cost", "delay", "validity", "online", "documents", "where")
"""The facts of a sheet, in the order citizens ask for them (the NLU's ``aspect`` values)."""


def fact(proc: Procedure, aspect: str, lang: str) -> str:
    """One fact of a procedure as a line ("Coût : 1 900 F CFA"); unknown: "à confirmer"."""
    _ = gettext_for(lang)
    tbc = _("à confirmer")
    if aspect == "cost":
        cost = money(proc.cost_xof, lang) if proc.cost_xof is not None else tbc
        if proc.cost_xof == 0:
            cost = _("gratuit")
        line = _("Coût : {cost}").format(cost=cost)
        note, _fb = pick(proc.cost_note, lang)
        return f"{line}\n{money_in_text(note, lang)}" if note else line
    if aspect in ("delay", "validity"):
        label = _("Délai : {value}") if aspect == "delay" else _("Validité : {value}")
        text, _fb = pick(proc.delay if aspect == "delay" else proc.validity, lang)
        return label.format(value=text or tbc)
    if aspect == "online":
        online = {
            "yes": _("oui"),
            "no": _("non"),
            "appointment": _("rendez-vous en ligne obligatoire"),
            "registration": _("inscription en ligne"),
        }[proc.online]
        if proc.online_url and proc.online != "no":
            online = f"{online} ({proc.online_url})"
        return _("En ligne : {value}").format(value=online)
    if aspect == "documents":
        docs = proc.documents.get(lang) or proc.documents.get("fr")
        return _("Pièces : {value}").format(value=", ".join(docs) if docs else tbc)
    if aspect == "where":
        where, _fb = pick(proc.where, lang)
        return _("Où : {value}").format(value=where or tbc)
    raise ValueError(f"unknown aspect {aspect!r}")


def heading(proc: Procedure, lang: str) -> list[str]:
    """The title, and a note when the sheet is not available in ``lang``."""
    _ = gettext_for(lang)
    title, fell_back = pick(proc.title, lang)
    lines = [title or proc.slug]
    if fell_back:
        lines.append(_("(Texte disponible en français seulement)"))
    return lines


def _unknown(proc: Procedure, aspect: str) -> bool:
    """The portal does not say this fact (shown "à confirmer")."""
    if aspect == "cost":
        return proc.cost_xof is None
    if aspect == "delay":
        return not proc.delay
    if aspect == "validity":
        return not proc.validity
    if aspect == "documents":
        return not proc.documents
    if aspect == "where":
        return not proc.where
    return False


def where_to_ask(proc: Procedure, aspects: tuple[str, ...] | list[str], lang: str) -> list[str]:
    """When a fact shown is unknown, the way forward: the office, else the 135 - a citizen
    reading "à confirmer" must learn where to confirm it.  Empty when everything is known."""
    if not any(_unknown(proc, aspect) for aspect in aspects):
        return []
    _ = gettext_for(lang)
    where, _fb = pick(proc.where, lang)
    if where:
        return [_("Pour confirmer : {where}, ou le 135 (Allo Service Public).").format(
            where=where)]
    return [_("Pour confirmer : appelez le 135 (Allo Service Public).")]


KEY_FACTS = ("cost", "delay")
"""What a citizen asks first: a whole sheet says where to confirm its facts when one of these
is unknown (a line more on a USSD screen is a cost: not for a missing list of documents)."""


def sheet_lines(proc: Procedure, lang: str) -> list[str]:
    """Every fact of a procedure sheet, one line each, and where to ask what is unknown."""
    return (heading(proc, lang) + [fact(proc, aspect, lang) for aspect in ASPECTS]
            + where_to_ask(proc, KEY_FACTS, lang))


def status_lines(req: RequestStatus, lang: str, title: str | None = None, *,
                 private: bool = False) -> list[str]:
    """Reference, procedure and where it stands; the portal's note (which may name the person
    or quote an NPI) only when ``private``: the request was filed from the asker's number."""
    _ = gettext_for(lang)
    lines = [req.reference]
    if title:
        lines.append(title)
    lines.append(
        _("Statut : {status} (le {date})").format(
            status=status_label(req.status, lang), date=date(req.updated_at, lang)
        )
    )
    note, _fb = pick(req.note, lang)
    if note and private:
        lines.append(money_in_text(note, lang))
    return lines


def receipt_text(sub: Submission, title: str, lang: str, track_code: str) -> str:
    """The SMS a citizen keeps after a submission: reference, what to pay and how (one line),
    how to track.  The portal's own instructions are used only when Guichet cannot take the
    payment (amount to be confirmed): otherwise they would say the same thing twice."""
    _ = gettext_for(lang)
    lines = [_("Demande {ref} reçue : {title}.").format(ref=sub.reference, title=title)]
    pay = sub.payment
    if pay.amount_xof:
        lines.append(_("À payer : {amount}. Pour payer par mobile money, répondez PAYER {ref}."
                       ).format(amount=money(pay.amount_xof, lang), ref=sub.reference))
    else:  # free, or an amount to confirm: the portal's own words ("Service gratuit.")
        instructions, _fb = pick(pay.instructions, lang)
        if instructions:
            lines.append(money_in_text(instructions, lang))
    lines.append(_("Suivi : {code} option 3.").format(code=track_code))
    return "\n".join(lines)


def payment_line(due: PaymentDue, lang: str) -> str:
    """"Paiement : 1 900 F CFA, à payer" - what a request owes and whether it is paid."""
    _ = gettext_for(lang)
    state = {"paid": _("payé"), "pending": _("en attente de validation")}.get(
        due.status, _("à payer"))
    amount = money(due.amount_xof, lang) if due.amount_xof else _("à confirmer")
    return _("Paiement : {amount}, {state}").format(amount=amount, state=state)


def payment_reason(reason: str | None, lang: str) -> str:
    """Why a payment failed, in the citizen's words."""
    _ = gettext_for(lang)
    return {
        "insufficient_funds": _("solde insuffisant"),
        "declined": _("refusé sur le téléphone"),
        "timeout": _("pas validé à temps"),
    }.get(reason or "", _("refusé par l'opérateur"))


def payment_outcome_text(payment: MobilePayment, lang: str) -> str:
    """What a citizen is told when a payment ends: paid, or why not and how to try again
    (a new attempt: ``PAYER <reference>``, or "Mes demandes" on USSD)."""
    _ = gettext_for(lang)
    amount = money(payment.amount_xof, lang)
    if payment.status == "succeeded":
        return _("Paiement de {amount} reçu pour {ref}. Merci.").format(
            amount=amount, ref=payment.reference)
    if payment.status == "pending":
        return _("Paiement de {ref} en attente : validez-le sur votre téléphone.").format(
            ref=payment.reference)
    return _("Paiement de {ref} non abouti ({why}). Rien n'a été débité. Pour réessayer, "
             "répondez PAYER {ref}.").format(ref=payment.reference,
                                              why=payment_reason(payment.reason, lang))
