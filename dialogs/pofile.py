"""One gettext catalogue as the running service needs it: read a ``.po``, check a translation
against its French source, compile it to ``.mo`` bytes.

The service compiles a stale catalogue in memory (:func:`dialogs.i18n.translations`) with the
same rules as ``make i18n-compile``; the developer tooling around catalogues (extract, update,
report, the reviewers' CSV) lives in :mod:`dialogs.catalogues`, which the service never imports.

Review convention: a translation that no native speaker has reviewed carries the translator
comment ``# unreviewed``; it is compiled and shown like any other.
"""

from __future__ import annotations

import io
import string
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileParser

DOMAIN = "messages"
UNREVIEWED = "unreviewed"
"""The translator comment (``# unreviewed``) of a translation no native speaker has checked."""


class LocalCatalog(Catalog):
    """A Babel catalogue that keeps the ``X-...`` headers (``X-Language-Name``) of a language CLDR
    does not know.  Babel (2.19 and later) writes ``Plural-Forms`` itself whenever the catalogue
    read one, so only the extra headers are added here, right after it."""

    extra_headers: tuple[tuple[str, str], ...] = ()

    def _get_mime_headers(self) -> list[tuple[str, str]]:
        headers = Catalog._get_mime_headers(self)
        names = [name for name, _value in headers]
        anchor = "Plural-Forms" if "Plural-Forms" in names else "Language-Team"
        at = names.index(anchor) + 1 if anchor in names else len(headers)
        return headers[:at] + list(self.extra_headers) + headers[at:]

    def _set_mime_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        headers = list(headers)
        Catalog._set_mime_headers(self, headers)
        self.extra_headers = tuple((str(name), str(value)) for name, value in headers
                                   if str(name).lower().startswith("x-"))

    mime_headers = property(_get_mime_headers, _set_mime_headers)


def read(path: Path, lang: str | None = None) -> LocalCatalog:
    catalog = LocalCatalog(locale=lang, domain=DOMAIN)
    with open(path, "rb") as handle:
        PoFileParser(catalog, ignore_obsolete=False, abort_invalid=True).parse(handle)
    return catalog


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(message.id) and all(strings) and not message.fuzzy


def is_reviewed(message: Message) -> bool:
    return is_translated(message) and not any(
        comment.strip().lower() == UNREVIEWED for comment in message.user_comments)


def mark(message: Message, *, reviewed: bool) -> None:
    comments = [c for c in message.user_comments if c.strip().lower() != UNREVIEWED]
    message.user_comments = comments if reviewed else [*comments, UNREVIEWED]


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a ``str.format`` text (empty when it is not one)."""
    try:
        return {field for _lit, field, _spec, _conv in string.Formatter().parse(text)
                if field is not None}
    except ValueError:
        return {"<malformed>"}


def problem(message: Message) -> str | None:
    """Why a translation must not be shown (its ``{fields}`` differ from the French), or None."""
    if not is_translated(message) or isinstance(message.id, (list, tuple)):
        return None
    if "python-brace-format" not in message.flags and "{" not in message.id:
        return None
    wanted, got = placeholders(message.id), placeholders(str(message.string))
    if wanted != got:
        return f"{message.id!r}: placeholders {sorted(got)} instead of {sorted(wanted)}"
    return None


def compile_bytes(po: Path, lang: str, errors: list[str] | None = None) -> bytes:
    """The ``.mo`` of one catalogue: unreviewed entries included, broken ones left out (the
    French text is shown instead of a translation whose ``{fields}`` would fail)."""
    catalog = read(po, lang)
    for message in list(catalog):
        why = problem(message)
        if why:
            if errors is not None:
                errors.append(f"{lang}: {why}")
            message.string = ""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()
