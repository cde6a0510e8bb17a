"""What the desk tells citizens (an agent took, transferred or handed back their conversation),
per language.

French is the source, marked ``N_`` so ``make i18n`` puts it in the catalogues
(``locales/<lang>/LC_MESSAGES/messages.po``); a language whose catalogue lacks a sentence gets
French.
"""

from __future__ import annotations

from dialogs.handoff import RATE
from dialogs.i18n import N_, gettext_for
from dialogs.model import Choice

CITIZEN = {
    "taken": N_("Un conseiller du 135 ({name}) a pris votre demande. Écrivez-lui ici."),
    "transferred": N_("Votre demande est transmise à un autre conseiller ({name})."),
    "handed_back": N_("Le conseiller a terminé. L'assistant automatique vous répond à nouveau."),
    "satisfaction": N_(
        "Êtes-vous satisfait ? Répondez par un chiffre de 1 (pas du tout) à 5 (très)."),
}


def citizen_text(key: str, lang: str, **values: str) -> str:
    """The sentence in the citizen's language (the catalogue's, else French)."""
    return gettext_for(lang)(CITIZEN[key]).format(**values)


BUTTONS = frozenset({"webchat", "whatsapp"})
"""Channels that show the rating as buttons (WhatsApp: a list, it allows only 3 buttons); an
SMS keeps the plain question, answered by a digit (which works everywhere)."""


def rating_choices() -> tuple[Choice, ...]:
    """One button per score; the digit is the label in every language (the question says
    what 1 and 5 mean)."""
    return tuple(Choice(f"{RATE}{n}", str(n)) for n in range(1, 6))

