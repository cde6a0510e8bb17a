"""The catalogue: procedures by theme, and a procedure's sheet (cost, delay, papers, where).

It answers from the portal client, which serves its cached catalogue while the portal is slow
or down; only when nothing is cached does the citizen hear that the service is unavailable.
"""

from __future__ import annotations

from dialogs.journeys import chunks, eservice
from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.texts import fact, heading, sheet_lines, short_title, where_to_ask
from integrations.portal.errors import PortalError, PortalNotFound
from integrations.portal.models import pick


def show_procedures(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    try:
        categories = d.portal.categories()
        many = len(d.portal.procedures()) > SEARCH_ABOVE
    except PortalError:
        return d.unavailable(conv)
    lang = d.lang(conv)
    choices = [Choice(f"cat:{c.slug}", pick(c.title, lang)[0] or c.slug) for c in categories]
    search = (Choice("search", _("Rechercher")),) if many else ()  # quicker than browsing
    return chunks.listing(d, conv, _("Démarches par thème"), choices, search, short=True)


SEARCH_ABOVE = 30
"""Above this many procedures, the themes' list also offers "Rechercher" (first)."""


def on_procedures(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    part = chunks.picked_range(d, conv, inbound)
    if part is not None:
        return part
    if d.choice(conv, inbound) == "search":
        return d.goto(conv, "search")
    slug = d.picked(conv, inbound, "cat:")
    return d.invalid(conv) if slug is None else d.goto(conv, "category", {"slug": slug})


def show_category(d: Dialog, conv: Conversation) -> Reply:
    return chunks.theme(d, conv, eservices_only=False)


def on_category(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    part = chunks.picked_range(d, conv, inbound)
    if part is not None:
        return part
    slug = d.picked(conv, inbound, "proc:")
    return d.invalid(conv) if slug is None else d.goto(conv, "sheet", {"slug": slug})


def show_sheet(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    try:
        proc = d.portal.procedure(conv.state["data"]["slug"])
    except PortalNotFound:
        return d.home(conv)
    except PortalError:
        return d.unavailable(conv)
    lang = d.lang(conv)
    aspects = conv.state["data"].get("aspects") or []
    variant = conv.state["data"].get("variant")
    if variant not in proc.variants:
        variant = None
    elif not aspects:  # "passeport urgent": what differs is the fee and the delay
        aspects = ["cost", "delay"]
    choices = []
    if aspects:  # a question gets every fact it asks, and the rest on request
        lines = (heading(proc, lang, variant)[:1] + [fact(proc, a, lang, variant) for a in aspects]
                 + where_to_ask(proc, aspects, lang))
        choices.append(Choice("more", _("Toute la fiche")))
    else:
        lines = sheet_lines(proc, lang)
    choices.append(Choice("sms", _("Recevoir par SMS"), kind="sms"))
    if proc.eservice:
        choices.append(Choice("apply", _("Faire la demande")))
    return d.reply(conv, lines, choices=tuple(choices))


def on_sheet(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    _ = d.t(conv)
    choice = d.choice(conv, inbound)
    slug = conv.state["data"]["slug"]
    if choice == "sms":
        try:
            proc = d.portal.procedure(slug)
        except PortalError:
            return d.unavailable(conv)
        text = "\n".join(sheet_lines(proc, d.lang(conv)))
        d.effects.send_text(conv.user, text, lang=d.lang(conv),
                            key=f"sheet:{conv.session}:{slug}")
        return d.reply(
            conv, [_("Vous allez recevoir la fiche par SMS. Merci.")], end=True,
            expects="nothing",
        )
    if choice == "apply":
        return eservice.start_form(d, conv, slug)
    if choice == "more":
        return d.goto(conv, "sheet", {"slug": slug})
    return d.invalid(conv)


def show_clarify(d: Dialog, conv: Conversation) -> Reply:
    """Which of these procedures? (a question that named several)."""
    _ = d.t(conv)
    lang = d.lang(conv)
    choices = []
    for slug in conv.state["data"]["slugs"]:
        try:
            choices.append(Choice(f"proc:{slug}", short_title(d.portal.procedure(slug), lang)))
        except PortalError:
            continue
    return d.reply(conv, [_("De quelle démarche parlez-vous ?")], choices=tuple(choices))


def on_clarify(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    slug = d.picked(conv, inbound, "proc:")
    if slug is None:
        return d.invalid(conv)
    return d.goto(conv, "sheet", {"slug": slug, "aspects": conv.state["data"].get("aspects", [])})
