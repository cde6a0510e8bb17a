"""E-service forms: pick one, answer its fields one by one, review, confirm; resume a dropped one.

The portal owns the form schema; each answer is checked by :mod:`dialogs.forms` and kept as a
draft after every step, so a USSD session that drops can resume where it stopped.  Submitting
is never done inline: :meth:`Effects.submit` files it and the citizen is told how they will
learn the reference.
"""

from __future__ import annotations

import uuid

from dialogs.forms import check, display
from dialogs.i18n import money
from dialogs.journeys import chunks
from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.phones import subscriber
from dialogs.texts import short_title
from integrations.portal.errors import PortalError
from integrations.portal.models import FormField, FormSchema, pick

GROUP_AT = 8
"""From this many e-services on, "Faire une demande" lists themes first, as procedures do: a
flat list of 40 takes 8 USSD screens, 250 would take 50."""


def show_eservices(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    try:
        procedures = [p for p in d.portal.procedures() if p.eservice]
        categories = d.portal.categories() if len(procedures) >= GROUP_AT else []
    except PortalError:
        return d.unavailable(conv)
    lang = d.lang(conv)
    used = {p.category for p in procedures}
    themes = [c for c in categories if c.slug in used]
    if len(themes) > 1:
        return chunks.listing(
            d, conv, _("Demandes en ligne par thème"),
            [Choice(f"ecat:{c.slug}", pick(c.title, lang)[0] or c.slug) for c in themes],
            (Choice("search", _("Rechercher")),), short=True)
    return chunks.listing(d, conv, _("Demandes en ligne"),
                          [Choice(f"proc:{p.slug}", short_title(p, lang)) for p in procedures])


def on_eservices(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    part = chunks.picked_range(d, conv, inbound)
    if part is not None:
        return part
    choice = d.choice(conv, inbound)
    if choice == "search":  # e-services only, and the one found opens its form
        return d.goto(conv, "search", {"eservices": True})
    if choice.startswith("ecat:"):
        return d.goto(conv, "ecategory", {"slug": choice[len("ecat:"):]})
    slug = d.picked(conv, inbound, "proc:")
    return d.invalid(conv) if slug is None else start_form(d, conv, slug)


def show_ecategory(d: Dialog, conv: Conversation) -> Reply:
    """The e-services of one theme."""
    return chunks.theme(d, conv, eservices_only=True)


def on_ecategory(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    part = chunks.picked_range(d, conv, inbound)
    if part is not None:
        return part
    slug = d.picked(conv, inbound, "proc:")
    return d.invalid(conv) if slug is None else start_form(d, conv, slug)


def start_form(d: Dialog, conv: Conversation, slug: str) -> Reply:
    """The first question of ``slug``'s form, or its sheet when it has no form here."""
    try:
        schema = d.portal.form(slug)
    except PortalError:
        return d.unavailable(conv)
    if schema is None or not schema.fields:
        return d.goto(conv, "sheet", {"slug": slug})
    return d.goto(conv, "form", {"slug": slug, "i": 0, "answers": {}})


def _current_form(d: Dialog, conv: Conversation) -> FormSchema | Reply:
    """The schema of the form being filled, or the reply to show when it cannot be had."""
    try:
        schema = d.portal.form(conv.state["data"]["slug"])
    except PortalError:
        return d.unavailable(conv)
    if schema is None:  # the portal withdrew the e-service meanwhile
        return d.home(conv)
    return schema


def show_form(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    schema = _current_form(d, conv)
    if isinstance(schema, Reply):
        return schema
    lang = d.lang(conv)
    field = schema.fields[data["i"]]
    label = pick(field.label, lang)[0] or field.name
    hint = pick(field.hint, lang)[0]
    head = _("Étape {n}/{total}").format(n=data["i"] + 1, total=len(schema.fields))
    parts = [f"{head}: {label}"]
    if hint and field.type != "choice":
        parts.append(hint)
    if field.type == "choice":
        return d.reply(conv, parts, choices=tuple(
            Choice(f"opt:{o.value}", pick(o.label, lang)[0] or o.value)
            for o in field.options))
    choices = () if field.required else (Choice("skip", _("Passer"), kind="skip"),)
    return d.reply(conv, parts, choices=choices, expects="text")


def on_form(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    data = conv.state["data"]
    schema = _current_form(d, conv)
    if isinstance(schema, Reply):
        return schema
    field: FormField = schema.fields[data["i"]]
    if inbound.choice == "skip" and not field.required:
        checked_value = ""
    else:
        checked = check(field, inbound.text, inbound.choice, d.lang(conv))
        if not checked.ok:
            return d.show(conv).with_error(checked.reason or "")
        checked_value = checked.value or ""
    data["answers"][field.name] = checked_value
    data["i"] += 1
    d.keep_draft(conv)
    if data["i"] >= len(schema.fields):
        data["i"] = len(schema.fields) - 1
        return d.goto(conv, "confirm", {"slug": data["slug"], "answers": data["answers"]})
    return d.show(conv)


def show_confirm(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    data = conv.state["data"]
    lang = d.lang(conv)
    try:
        schema = d.portal.form(data["slug"])
        proc = d.portal.procedure(data["slug"])
    except PortalError:
        return d.unavailable(conv)
    if schema is None:
        return d.home(conv)
    lines = [_("Vérifiez : {title}").format(title=short_title(proc, lang))]
    for field in schema.fields:
        value = display(field, data["answers"].get(field.name, ""), lang)
        lines.append(f"{pick(field.label, lang)[0] or field.name}: {value or '-'}")
    fee = schema.fee_xof if schema.fee_xof is not None else proc.cost_xof
    if fee:  # last, right above "1 Confirmer": a USSD page keeps them together
        lines.append(_("Frais : {amount}").format(amount=money(fee, lang)))
    return d.reply(conv, lines, choices=(
        Choice("confirm", _("Confirmer")),
        Choice("restart", _("Corriger")),
        Choice("cancel", _("Annuler")),
    ))


def on_confirm(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    choice = d.choice(conv, inbound)
    data = conv.state["data"]
    if choice == "restart":
        return d.goto(conv, "form", {"slug": data["slug"], "i": 0,
                                     "answers": data["answers"]}, push=False)
    if choice == "cancel":
        d.drop_draft(conv)
        return d.home(conv).with_error(_("Demande annulée."))
    if choice != "confirm":
        return d.invalid(conv)
    key = conv.state.setdefault("submit_key", uuid.uuid4().hex)
    here = conv.via is not None and conv.via.shows_later
    chat = f"web:{conv.session}" if here else None
    d.effects.submit(user=conv.user, lang=d.lang(conv), slug=data["slug"],
                     answers=dict(data["answers"]), key=key, also=chat, channel=conv.channel)
    d.drop_draft(conv)
    if subscriber(conv.user) is None or conv.channel == "whatsapp":  # told where they are
        sent = _("Demande envoyée. Sa référence et comment payer s'afficheront ici.")
    elif chat:
        sent = _("Demande envoyée. Sa référence et comment payer s'afficheront ici et "
                 "vous seront envoyés par SMS.")
    else:
        sent = _("Demande envoyée. Vous recevrez par SMS sa référence et comment payer.")
    fee = fee_of(d, data["slug"])
    if fee and subscriber(conv.user) is not None:  # pay now, in the same conversation
        return d.goto(conv, "submitted", {"sent": sent, "after": key, "slug": data["slug"],
                                          "amount": fee}, push=False)
    return d.reply(conv, [sent], end=True, expects="nothing")


def fee_of(d: Dialog, slug: str) -> int | None:
    """A request's fee: its form's when the portal gives one, else the procedure sheet's;
    None when unknown or the portal is away (shown "à confirmer", never guessed)."""
    try:
        schema = d.portal.form(slug)
        if schema is not None and schema.fee_xof is not None:
            return schema.fee_xof
        return d.portal.procedure(slug).cost_xof
    except PortalError:
        return None


def show_resume(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    draft = conv.draft or {}
    try:
        title = short_title(d.portal.procedure(draft.get("slug", "")), d.lang(conv))
    except PortalError:
        title = draft.get("slug", "")
    return d.reply(
        conv,
        [_("Reprendre votre demande ?"), title],
        choices=(Choice("yes", _("Oui, reprendre")), Choice("no", _("Non, menu"))),
        navigable=False,
    )


def on_resume(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    choice = d.choice(conv, inbound)
    draft = d.draft(conv)
    if choice == "yes" and draft:
        d.home(conv)
        try:
            schema = d.portal.form(draft["slug"])
        except PortalError:
            return d.unavailable(conv)
        if schema is None:  # the portal withdrew the e-service meanwhile
            d.drop_draft(conv)
            return d.home(conv)
        if draft["i"] >= len(schema.fields):  # every answer given: left on the review screen
            return d.goto(conv, "confirm", {"slug": draft["slug"], "answers": draft["answers"]})
        return d.goto(conv, "form", {"slug": draft["slug"], "i": draft["i"],
                                     "answers": draft["answers"]})
    if choice in ("yes", "no"):
        d.drop_draft(conv)
        return d.home(conv)
    return d.invalid(conv)
