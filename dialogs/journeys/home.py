"""The main menu, and where a conversation starts."""

from __future__ import annotations

from dialogs.journeys import people, search
from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply

ENTRY_POINTS = ("home", "procedures", "eservices", "track", "my_requests", "agent", "language",
                "search")
HOME_CHOICES = ("procedures", "eservices", "track", "my_requests", "agent", "language")
"""Main-menu order; a USSD shortcut ``*202*N#`` opens entry N of this list.  The menu is full (a
reason above it must still fit 160 characters): "Rechercher" lives in the catalogue's lists,
and a short code can be typed here."""


def start(d: Dialog, conv: Conversation, entry: str | None) -> Reply:
    """A fresh conversation at ``entry`` (a shortcut, a deep link, a keyword such as AGENT),
    home under it for "back".  The procedure last asked about stays the topic: an agent
    reached by AGENT right after a question sees what it was about."""
    topic = conv.state.get("topic")
    conv.state = {"lang": conv.state.get("lang") or conv.profile.get("lang")}
    if topic:
        conv.state["topic"] = topic
    if entry is None:  # a plain start: first ask the language, or offer to resume
        if not conv.state["lang"] and len(d.languages) > 1:
            return d.goto(conv, "language", {"first": True}, reset=True)
        if d.draft(conv):
            return d.goto(conv, "resume", reset=True)
    if entry not in ENTRY_POINTS or entry is None:
        entry = "home"
    if entry != "home":
        d.home(conv)
        if entry == "agent":
            return people.handoff(d, conv, "asked")
        return d.goto(conv, entry)
    return d.home(conv)


def show_home(d: Dialog, conv: Conversation) -> Reply:
    _ = d.t(conv)
    labels = {
        "procedures": _("Démarches et coûts"),
        "eservices": _("Faire une demande"),
        "track": _("Suivre une demande"),
        "my_requests": _("Mes demandes"),
        "agent": _("Parler à un agent"),
        "language": _("Langue / Language"),
    }
    return d.reply(
        conv,
        [_("Service Public du Bénin")],
        choices=tuple(Choice(key, labels[key]) for key in HOME_CHOICES),
        navigable=False,
    )


def on_home(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    choice = d.choice(conv, inbound)
    code = (inbound.text or "").strip()
    if choice not in HOME_CHOICES and code.isdigit():  # a short code the portal published
        return search.on_code(d, conv, code) or d.invalid(conv)
    if choice not in HOME_CHOICES:
        return d.invalid(conv)
    if choice == "agent":
        return people.handoff(d, conv, "asked")
    return d.goto(conv, choice)
