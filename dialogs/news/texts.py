"""The words of the news, in the citizen's language (French is the source; gettext).

Each text starts with the reference (an SMS cut behind ``PLUS`` keeps it in the first part) and
is short: one SMS segment for a payment or "in progress", two at most for "ready" with where to
collect it or "rejected" with the portal's reason.  Every bad news says what to do next.  The
channel decides the way forward: an SMS citizen texts ``PAYER <ref>``, a USSD caller dials the
service code, a chat citizen writes in the chat.
"""

from __future__ import annotations

import re

from dialogs.i18n import gettext_for

LINK = re.compile(r"https?://\S+")

FAILURE_REASONS = ("insufficient_funds", "cancelled", "expired", "declined")
"""Reasons a payment event may carry (an extra field); anything else is told generically."""


def _failure(reason: str | None, lang: str) -> str:
    _ = gettext_for(lang)
    return {
        "insufficient_funds": _("solde insuffisant"),
        "cancelled": _("paiement annulé"),
        "expired": _("délai dépassé"),
        "declined": _("refusé par l'opérateur"),
    }.get(reason or "", _("refusé ou non confirmé"))


def _retry(channel: str, reference: str, lang: str, track_code: str) -> str:
    _ = gettext_for(lang)
    if channel == "ussd":
        return _("Pour réessayer, composez {code}, option 3 (suivi).").format(code=track_code)
    if channel == "sms":
        return _("Pour réessayer, envoyez PAYER {ref}.").format(ref=reference)
    return _("Pour réessayer, écrivez PAYER {ref} ici.").format(ref=reference)


def payment_succeeded(reference: str, lang: str) -> str:
    _ = gettext_for(lang)
    return _("{ref} : paiement reçu, merci. Nous vous écrirons quand la demande avancera."
             ).format(ref=reference)


def payment_failed(reference: str, lang: str, *, channel: str, track_code: str,
                   reason: str | None = None) -> str:
    _ = gettext_for(lang)
    text = _("{ref} : le paiement n'a pas abouti ({why}).").format(
        ref=reference, why=_failure(reason, lang))
    return f"{text} {_retry(channel, reference, lang, track_code)}"


def in_progress(reference: str, title: str, lang: str) -> str:
    _ = gettext_for(lang)
    return _("{ref} ({title}) : votre demande est en cours de traitement.").format(
        ref=reference, title=title)


def ready(reference: str, title: str, lang: str, note: str | None) -> str:
    """Where to collect it, or the document's link when it is delivered online."""
    _ = gettext_for(lang)
    head = _("{ref} ({title}) est prête.").format(ref=reference, title=title)
    link = LINK.search(note or "")
    if link:
        return f"{head} " + _("Téléchargez-la : {link}").format(link=link.group(0))
    if note:
        return f"{head} " + _("À retirer : {where}.").format(where=note.rstrip(". "))
    return f"{head} " + _("Pour le retrait, appelez le 135.")


def rejected(reference: str, title: str, lang: str, note: str | None, *,
             track_code: str) -> str:
    """Why, and what to do."""
    _ = gettext_for(lang)
    why = (note or "").rstrip(". ") or _("motif non précisé")
    return " ".join([
        _("{ref} ({title}) a été refusée : {why}.").format(ref=reference, title=title, why=why),
        _("Corrigez puis refaites la demande sur {code}, ou appelez le 135.").format(
            code=track_code),
    ])
