"""What the desk tells citizens, and the agents' canned answers, per language.

French is the source, marked ``N_`` so ``make i18n`` puts it in the catalogues
(``locales/<lang>/LC_MESSAGES/messages.po``); a language whose catalogue lacks a sentence gets
French.  Canned answers come from ``canned.yaml`` (one list per language; a language without its
own list gets French).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from dialogs.i18n import N_, gettext_for

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


@lru_cache(maxsize=1)
def _canned() -> dict[str, list[dict[str, str]]]:
    path = Path(__file__).with_name("canned.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {lang: [{"title": str(i["title"]), "text": str(i["text"])} for i in items or []]
            for lang, items in data.items()}


def canned(lang: str) -> list[dict[str, str]]:
    """The canned answers for ``lang`` (French when the language has none)."""
    answers = _canned()
    return answers.get(lang) or answers.get("fr", [])
