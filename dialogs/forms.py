"""Validate one answer to an e-service form field, as published by the portal's form schema.

The portal owns the schema (field names, labels, types, patterns); this module only knows the
field *types*, so a new e-service works on every channel without code.  Each check returns the
normalised value or a short reason in the user's language, which the channel shows before
asking again.  Formats are chosen for a phone keypad: a date may be typed ``25121990``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dialogs.i18n import gettext_for
from dialogs.phones import to_e164
from integrations.portal.models import FormField, pick

DATE_FORMS = (
    re.compile(r"^(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{4})$"),
    re.compile(r"^(\d{2})(\d{2})(\d{4})$"),
)
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Checked:
    value: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def _date(text: str) -> dt.date | None:
    iso = ISO_DATE.match(text)
    if iso:
        y, m, d = (int(g) for g in iso.groups())
    else:
        for form in DATE_FORMS:
            found = form.match(text)
            if found:
                d, m, y = (int(g) for g in found.groups())
                break
        else:
            return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def check(field: FormField, text: str | None, choice: str | None, lang: str,
          today: dt.date | None = None) -> Checked:
    """Check an answer typed as ``text`` or picked as ``choice`` (an ``opt:<value>`` id)."""
    _ = gettext_for(lang)
    today = today or dt.date.today()
    if field.type == "choice":
        values = {o.value for o in field.options}
        picked = choice[4:] if choice and choice.startswith("opt:") else None
        if picked is None and text:
            picked = _match_option(field, text.strip(), lang)
        if picked in values:
            return Checked(picked)
        return Checked(reason=_("Choisissez une des options."))
    raw = (text or "").strip()
    if not raw:
        if field.required:
            return Checked(reason=_("Réponse obligatoire."))
        return Checked("")
    if field.max_length and len(raw) > field.max_length:
        return Checked(reason=_("Trop long : {n} caractères au plus.").format(n=field.max_length))
    value: str
    if field.type == "npi":
        digits = re.sub(r"[\s.\-]", "", raw)
        if not re.fullmatch(r"\d{10}", digits):
            return Checked(reason=_("Le NPI a 10 chiffres."))
        value = digits
    elif field.type == "date":
        parsed = _date(raw)
        if parsed is None:
            return Checked(reason=_("Date invalide. Exemple : 25/12/1990"))
        if parsed.year < 1900 or (field.not_future and parsed > today):
            return Checked(reason=_("Date impossible. Exemple : 25/12/1990"))
        value = parsed.isoformat()
    elif field.type == "phone":
        number = to_e164(raw)
        if number is None:
            return Checked(reason=_("Numéro invalide. Exemple : 0197000000"))
        value = number
    else:
        if not any(ch.isalnum() for ch in raw):
            return Checked(reason=_("Réponse invalide."))
        value = " ".join(raw.split())
    if field.pattern and not re.fullmatch(field.pattern, value):
        hint, _fell_back = pick(field.hint, lang)
        return Checked(reason=hint or _("Format invalide."))
    return Checked(value)


def display(field: FormField, value: str, lang: str) -> str:
    """An answer as the citizen reads it back on the review: the option's label, a date as
    ``JJ/MM/AAAA`` (the way the form asked for it; the portal gets the ISO value)."""
    if field.type == "choice":
        return next((pick(o.label, lang)[0] or value for o in field.options if o.value == value),
                    value)
    if field.type == "date" and ISO_DATE.match(value or ""):
        parsed = _date(value)
        return parsed.strftime("%d/%m/%Y") if parsed else value
    return value


def _match_option(field: FormField, text: str, lang: str) -> str | None:
    """Accept an option typed as its number or its label (SMS users type rather than tap)."""
    if text.isdigit() and 1 <= int(text) <= len(field.options):
        return field.options[int(text) - 1].value
    folded = text.casefold()
    for option in field.options:
        label, _fell_back = pick(option.label, lang)
        if folded in (option.value.casefold(), (label or "").casefold()):
            return option.value
    return None
