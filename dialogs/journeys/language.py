"""The language question: asked once per citizen, and whenever they pick "Langue / Language"."""

from __future__ import annotations

from dialogs.i18n import LANGUAGE_NAMES
from dialogs.journeys.core import Dialog
from dialogs.model import Choice, Conversation, Inbound, Reply


def set_language(d: Dialog, conv: Conversation, lang: str) -> bool:
    """Switch a live conversation, and the citizen's profile, to ``lang`` at once.

    The session's language wins over the profile's, so changing only the profile (the SMS
    ``LANGUE`` keyword mid-dialog) would go unseen until the session expired.
    """
    if lang not in d.languages:
        return False
    conv.state["lang"] = lang
    conv.profile["lang"] = lang
    conv.profile_dirty = True
    return True


def show_language(d: Dialog, conv: Conversation) -> Reply:
    choices = tuple(Choice(f"lang:{code}", LANGUAGE_NAMES.get(code, code))
                    for code in d.languages)
    first = conv.state.get("data", {}).get("first")
    title = "Service Public" if first else d.t(conv)("Choisissez votre langue")
    return d.reply(conv, [title], choices=choices, navigable=not first)


def on_language(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply:
    return chosen(d, conv, (inbound.choice or "").removeprefix("lang:"))


def chosen(d: Dialog, conv: Conversation, code: str) -> Reply:
    """Apply a picked language, then offer the unfinished form or the main menu."""
    if not set_language(d, conv, code):
        return d.invalid(conv)
    if d.draft(conv):
        return d.goto(conv, "resume", reset=True)
    return d.home(conv)
