"""Translations and locale-aware formats for the dialog manager and the channels.

Messages are written in French (the source language) and marked with ``_()``; ``make i18n``
extracts them with Babel into ``locales/<lang>/LC_MESSAGES/messages.po`` and compiles them.
Numbers, money and dates come from Babel/CLDR; a language CLDR does not know borrows ``fr_BJ``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
SOURCE = "fr"
FORMAT_LOCALE = {"fr": "fr_BJ", "en": "en", "yo": "yo_BJ"}
"""Which CLDR locale formats numbers and dates for each of our languages (others: fr_BJ)."""
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "fon": "Fongbe", "yo": "Yoruba"}
"""Names shown in the language menu, each in its own language."""


@lru_cache(maxsize=32)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue for ``lang``; French (the source) and unknown languages get none."""
    if lang == SOURCE:
        return NullTranslations()
    found = Translations.load(dirname=str(LOCALE_DIR), locales=[lang], domain="messages")
    return found


def gettext_for(lang: str):
    """Return a ``_`` function translating into ``lang``."""
    return translations(lang).gettext


def format_locale(lang: str) -> Locale:
    try:
        return Locale.parse(FORMAT_LOCALE.get(lang, lang))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("fr_BJ")


def money(amount_xof: int, lang: str) -> str:
    """``1 900 F CFA``: amount first in every language, as prices are written in Benin."""
    return format_currency(
        amount_xof, "XOF", format="#,##0\u00a0¤", locale=format_locale(lang), currency_digits=True
    )


def when(value: dt.datetime | str, lang: str) -> str:
    """A moment a citizen can act on: "lundi 08:00"."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return format_datetime(value, "EEEE HH:mm", tzinfo=value.tzinfo, locale=format_locale(lang))


def date(value: dt.date | str, lang: str) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return format_date(value, "short", locale=format_locale(lang))
