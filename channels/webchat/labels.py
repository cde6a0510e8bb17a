"""The widget's own words (its title, the input's placeholder, "Envoyer"...), per language.

They used to live in widget.js, where only French and English were complete: a Fon or Yoruba
visitor read French controls around answers in their language.  They are gettext texts now, so
they live in the same catalogues as the dialog's (``locales/<lang>/LC_MESSAGES/messages.po``,
Fon and Yoruba marked ``# unreviewed`` until a native speaker checks them), and the widget gets
them from ``GET /webchat/config`` for every offered language at once: switching language, or a
reply in another language, repaints the controls without another round trip.
"""

from __future__ import annotations

from collections.abc import Iterable

from dialogs.i18n import LANGUAGE_NAMES, N_, gettext_for

LABELS: dict[str, str] = {
    "title": N_("Service Public"),
    "sub": N_("Démarches, coûts, demandes"),
    "open": N_("Ouvrir le chat Service Public"),
    "close": N_("Fermer le chat"),
    "input": N_("Votre message"),
    "ph": N_("Écrivez votre question…"),
    "send": N_("Envoyer"),
    "lang": N_("Langue"),
    "menu": N_("Menu principal"),
    "choices": N_("Réponses proposées"),
    "log": N_("Conversation"),
    "typing": N_("Service Public écrit…"),
    "lost": N_("Connexion perdue. Reconnexion…"),
    "back": N_("Connexion rétablie."),
    "failed": N_("Message non envoyé : vérifiez votre connexion et réessayez."),
    "refused": N_("Le service de discussion n'est pas disponible sur ce site pour le moment. "
                  "Appelez le 135."),
    "you": N_("Vous"),
    "bot": N_("Service Public"),
    "agent": N_("Conseiller"),
    "long": N_("Message trop long (1000 caractères au plus)."),
    "hello": N_("Bonjour ! Posez votre question (ex. : prix du passeport) ou choisissez :"),
}
"""Key (as widget.js names it) -> French source text."""


def labels(lang: str) -> dict[str, str]:
    """Every widget label in ``lang`` (a text its catalogue lacks stays French)."""
    _ = gettext_for(lang)
    return {key: _(text) for key, text in LABELS.items()}


def widget_config(languages: Iterable[str], default_lang: str) -> dict:
    """What the widget needs before its first message: the languages offered (each named in
    itself) and the labels in each of them."""
    codes = list(languages)
    return {
        "languages": [{"code": code, "name": LANGUAGE_NAMES.get(code, code)} for code in codes],
        "default_lang": default_lang,
        "labels": {code: labels(code) for code in codes},
    }
