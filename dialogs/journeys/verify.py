"""Proving a web visitor's number before anything personal: ask the number, then the code.

``verify_phone`` asks the number, ``verify_code`` the code sent to it by SMS; the state the
visitor wanted (``then``) follows once the code is right.  The code itself is handled by
:class:`dialogs.identity.Verifier`; what the visitor is told never depends on whether the
number has a history here.
"""

from __future__ import annotations

import re
import secrets

from dialogs.identity import CODE_DIGITS
from dialogs.journeys.core import Dialog, keys
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.phones import to_e164


def show_verify_phone(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    return d.reply(conv, [
        _("Pour cela, confirmez votre numéro : nous vous enverrons un code par SMS."),
        _("Votre numéro de téléphone ?"), _("Exemple : 0197000000")], expects="text",
        input="tel")


def on_verify_phone(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    phone = to_e164(inbound.text or "")
    if phone is None:
        return d.show(conv).with_error(_("Numéro invalide. Exemple : 0197000000"))
    return _send_code(d, conv, inbound, phone)


def _send_code(d: Dialog, conv: Conversation, inbound: Inbound, phone: str) -> Reply:
    """Issue a code and send it by SMS through the usual path; the same answer for any
    number (nothing here looks at whether the number has requests or drafts)."""
    _ = d.t(conv)
    lang = d.lang(conv)
    assert d.verifier is not None  # the gate sends no one here without one
    code = d.verifier.issue(conv.session, phone, inbound.client)
    if code is None:
        return d.show(conv).with_error(_(
            "Trop de codes demandés. Réessayez plus tard ou appelez le 135."))
    minutes = max(1, d.verifier.limits.ttl // 60)
    d.effects.send_text(phone, _(
        "Service Public : votre code de confirmation est {code}. Il expire dans {minutes} "
        "min. Ne le donnez à personne.").format(code=code, minutes=minutes),
        lang=lang, key=f"code:{conv.session}:{secrets.token_hex(6)}")
    data = {**conv.state["data"], "phone": phone}
    if conv.state["at"] == "verify_code":
        conv.state["data"] = data
        return d.show(conv)
    return d.goto(conv, "verify_code", data)


def show_verify_code(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    phone = conv.state["data"]["phone"]
    return d.reply(conv, [
        _("Un code à 6 chiffres a été envoyé par SMS au {phone}.").format(phone=phone),
        _("Code reçu par SMS ?")],
        choices=(Choice("resend", _("Renvoyer le code")),
                 Choice("other", _("Changer de numéro"))), expects="text", input="code")


def on_verify_code(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    typed = re.sub(r"[\s.-]", "", inbound.text or "") if not inbound.choice else ""
    if not (typed.isdigit() and len(typed) == CODE_DIGITS):
        choice = d.choice(conv, inbound)
        if choice == "resend":
            return _send_code(d, conv, inbound, data["phone"])
        if choice == "other":
            return d.back(conv)
        return d.show(conv).with_error(_("Tapez le code à 6 chiffres reçu par SMS."))
    assert d.verifier is not None
    checked = d.verifier.check(conv.session, typed)
    if checked.outcome == "wrong":
        return d.show(conv).with_error(
            _("Code incorrect. Essais restants : {n}.").format(n=checked.left))
    if checked.outcome != "ok" or checked.phone != data["phone"]:
        error = (_("Trop d'essais. Demandez un nouveau code.") if checked.outcome == "locked"
                 else _("Code expiré. Demandez un nouveau code."))
        return d.show(conv).with_error(error)
    return _bind(d, conv, data["phone"])


def _bind(d: Dialog, conv: Conversation, phone: str) -> Reply:
    """From now on the conversation is this number's: its profile, draft and requests."""
    _ = d.t(conv)
    data = conv.state["data"]
    conv.user = phone
    _session, profile_key, draft_key = keys(conv.channel, conv.session, phone)
    profile, draft = d.store.get_many([profile_key, draft_key])
    conv.profile, conv.draft = profile or {}, draft
    conv.profile_dirty = conv.draft_dirty = False
    at, then = data["then"]
    conv.state["stack"] = conv.state.get("stack", [])[:data.get("depth", 0)]
    if at in ("eservices", "form") and d.draft(conv):
        at, then = "resume", {}  # a form this number left unfinished (on USSD, say)
    reply = d.goto(conv, at, then, push=False)
    return d.prefixed(reply, _("Numéro confirmé."))
