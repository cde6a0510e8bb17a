"""Translations and locale-aware formats for the dialog manager and the channels.

Messages are written in French (the source language) and marked with ``_()``; ``make i18n``
extracts them with Babel into ``locales/<lang>/LC_MESSAGES/messages.po`` and compiles them
(``dialogs.catalogues``).  Numbers, money and dates come from Babel/CLDR; a language CLDR does not
know (Fon, Goun, Baatonum, Dendi) borrows ``fr_BJ``, and its name and plural rule come from its
own catalogue (the ``X-Language-Name`` and ``Plural-Forms`` headers), so adding one is a
catalogue and a line of configuration (``LANGUAGES``).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

from dialogs.pofile import DOMAIN, compile_bytes

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locales"
"""The catalogues shipped with Guichet; ``GUICHET_LOCALES`` points elsewhere (:func:`locales`)."""
SOURCE = "fr"
FALLBACK_FORMAT_LOCALE = "fr_BJ"
FORMAT_LOCALE = {"fr": "fr_BJ", "en": "en", "fon": "fr_BJ", "yo": "yo_BJ"}
"""Which CLDR locale formats numbers and dates for each of our languages (others: their own
CLDR locale when Babel has one, else fr_BJ)."""
NAMES = {"fr": "Français", "en": "English", "fon": "Fongbe", "yo": "Yoruba"}
"""Names shown in the language menu, each in its own language; other languages name themselves
in their catalogue's ``X-Language-Name`` header."""
NAME_HEADER = "X-Language-Name"
_HEADER_LINE = re.compile(r'^"([A-Za-z-]+): ?(.*?)(?:\\n)?"$')
_CODE = re.compile(r"[a-z]{2,3}(_[A-Za-z0-9]{2,4})?")
"""What a language code looks like (``fon``, ``yo``, ``fr_BJ``): nothing else reaches a path."""


def locales() -> Path:
    """Where the catalogues are read from: ``GUICHET_LOCALES`` when set (an operator's copy with
    a new language, a test's copy), else the shipped :data:`LOCALE_DIR`."""
    return _locale_path(os.environ.get("GUICHET_LOCALES") or "")


@lru_cache(maxsize=8)
def _locale_path(setting: str) -> Path:
    return Path(setting) if setting else LOCALE_DIR


def catalogue_path(lang: str, locale_dir: Path | None = None) -> Path:
    """Where the ``.po`` catalogue of ``lang`` lives (it may not exist)."""
    return (locale_dir or locales()) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def has_catalogue(lang: str, locale_dir: Path | None = None) -> bool:
    """True for the source language and for every language with a catalogue."""
    if lang == SOURCE:
        return True
    return bool(_CODE.fullmatch(lang)) and catalogue_path(lang, locale_dir).is_file()


def catalogue_languages(locale_dir: Path | None = None) -> list[str]:
    """Codes of the languages that have a catalogue, sorted."""
    root = locale_dir or locales()
    return sorted(p.parent.parent.name for p in root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@lru_cache(maxsize=64)
def _headers(path: Path, mtime: float) -> dict[str, str]:
    """The header fields of a ``.po`` file (``msgid ""`` entry), read without parsing it all."""
    headers: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        started = False
        for line in handle:
            line = line.strip()
            if line.startswith('msgstr ""'):
                started = True
                continue
            if started:
                match = _HEADER_LINE.match(line)
                if not match:
                    break
                headers[match.group(1)] = match.group(2)
    return headers


def catalogue_headers(lang: str, locale_dir: Path | None = None) -> dict[str, str]:
    if not _CODE.fullmatch(lang or ""):
        return {}
    path = catalogue_path(lang, locale_dir)
    try:
        return _headers(path, path.stat().st_mtime)
    except OSError:
        return {}


class _LanguageNames(Mapping[str, str]):
    """Language code -> its name in that language: ours, then the catalogue's, then CLDR's."""

    def __getitem__(self, code: str) -> str:
        if code in NAMES:
            return NAMES[code]
        name = catalogue_headers(code).get(NAME_HEADER)
        if name:
            return name
        try:
            return Locale.parse(code).get_display_name(code) or code
        except (UnknownLocaleError, ValueError, TypeError):
            raise KeyError(code) from None

    def __iter__(self) -> Iterator[str]:
        yield from NAMES
        yield from (code for code in catalogue_languages() if code not in NAMES)

    def __len__(self) -> int:
        return sum(1 for _code in self)


LANGUAGE_NAMES: Mapping[str, str] = _LanguageNames()
"""Names shown in the language menu, each in its own language (``LANGUAGE_NAMES.get(code)``)."""


def translations(lang: str) -> NullTranslations:
    """The compiled catalogue for ``lang``; French (the source) and unknown languages get none.

    A missing or stale ``.mo`` (older than its ``.po``) is compiled in memory from the ``.po``,
    with the same rules as ``make i18n-compile``: the citizen never reads a stale text.
    """
    return _translations(lang, locales())


@lru_cache(maxsize=32)
def _translations(lang: str, root: Path) -> NullTranslations:
    if lang == SOURCE or not _CODE.fullmatch(lang or ""):
        return NullTranslations()
    po = catalogue_path(lang, root)
    mo = po.with_suffix(".mo")
    if po.is_file() and (not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime):
        return Translations(io.BytesIO(compile_bytes(po, lang)), domain=DOMAIN)
    return Translations.load(dirname=str(root), locales=[lang], domain=DOMAIN)


def N_(text: str) -> str:  # noqa: N802 - the marker babel extracts
    """Mark ``text`` for the catalogues where it is translated later (``gettext_for(lang)``)."""
    return text


def gettext_for(lang: str):
    """Return a ``_`` function translating into ``lang``."""
    return translations(lang).gettext


def format_locale(lang: str) -> Locale:
    try:
        return Locale.parse(FORMAT_LOCALE.get(lang, lang))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FALLBACK_FORMAT_LOCALE)


def money(amount_xof: int, lang: str) -> str:
    """``1 900 F CFA``: amount first in every language, as prices are written in Benin."""
    return format_currency(
        amount_xof, "XOF", format="#,##0\u00a0¤", locale=format_locale(lang), currency_digits=True
    )


_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ ,.\u00a0\u202f]\d{3})+|\d+)[ \u00a0\u202f]?"
    r"(?:XOF|F\.?[ \u00a0\u202f]?CFA|FCFA|francs?[ \u00a0\u202f]CFA)\b",
    re.IGNORECASE,
)


def money_in_text(text: str, lang: str) -> str:
    """``text`` with every amount it writes its own way ("130,000 XOF", "40 200 FCFA") written
    as :func:`money` writes it in ``lang``.

    The portal's free texts (a cost note, payment instructions) come with their own habits; shown
    beside our amounts they would write money two ways in one message.  Only a number followed
    by a currency is touched: a year or a reference is left alone.
    """

    def one(match: re.Match[str]) -> str:
        return money(int(re.sub(r"\D", "", match.group(1))), lang)

    return _AMOUNT.sub(one, text)


def date(value: dt.date | str, lang: str) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return format_date(value, "short", locale=format_locale(lang))


def when(value: dt.datetime | str, lang: str) -> str:
    """A moment a citizen can act on: "lundi 08:00"."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return format_datetime(value, "EEEE HH:mm", tzinfo=value.tzinfo, locale=format_locale(lang))
