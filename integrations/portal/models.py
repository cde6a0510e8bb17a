"""Plain data the portal client returns.

These types are the contract between the portal client and everything above it (the dialog
manager, the NLU lexicon, the channels).  They carry per-language text as ``{lang: text}`` maps
because the portal publishes content per language; :func:`pick` chooses one with a fallback to
French, and says whether it fell back so the caller can add a one-line note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LocalText = dict[str, str]
"""Text per language code, e.g. ``{"fr": "Casier judiciaire", "en": "Criminal record"}``."""

SOURCE_LANG = "fr"

RequestState = Literal["received", "in_progress", "ready", "rejected"]
FieldType = Literal["text", "date", "npi", "phone", "choice"]
OnlineMode = Literal["yes", "no", "appointment", "registration"]
PaymentState = Literal["pending", "succeeded", "failed", "expired"]
"""A mobile-money payment: ``pending`` until the citizen approves (or not) on their phone."""
DueState = Literal["unpaid", "pending", "paid"]
OPERATORS: tuple[str, ...] = ("mtn", "moov", "celtiis")
"""Benin's mobile-money operators, as the portal names them: MTN MoMo, Moov Money, Celtiis Cash."""


def pick(text: LocalText | None, lang: str) -> tuple[str | None, bool]:
    """Return ``(text, fell_back)`` for ``lang``, falling back to French.

    ``fell_back`` is true when the requested language was missing and French was used.
    """
    if not text:
        return None, False
    if text.get(lang):
        return text[lang], False
    if text.get(SOURCE_LANG):
        return text[SOURCE_LANG], lang != SOURCE_LANG
    first = next(iter(text.values()))
    return first, True


@dataclass(frozen=True)
class Category:
    slug: str
    title: LocalText


@dataclass(frozen=True)
class Variant:
    """A variant of a procedure with facts of its own (the urgent passport: its fee and delay).
    A question that names it ("passeport urgent") is answered with these facts, not the usual."""

    name: str
    """The variant's key, as the NLU names it (``urgent``)."""
    label: LocalText = field(default_factory=dict)
    cost_xof: int | None = None
    delay: LocalText = field(default_factory=dict)


@dataclass(frozen=True)
class Procedure:
    """One procedure sheet of the catalogue.

    A ``None`` fact is unknown to the portal and must be shown as "to be confirmed", never guessed.
    """

    slug: str
    category: str
    title: LocalText
    summary: LocalText = field(default_factory=dict)
    cost_xof: int | None = None
    cost_note: LocalText = field(default_factory=dict)
    delay: LocalText = field(default_factory=dict)
    validity: LocalText = field(default_factory=dict)
    documents: dict[str, list[str]] = field(default_factory=dict)
    where: LocalText = field(default_factory=dict)
    online: OnlineMode = "no"
    online_url: str | None = None
    eservice: bool = False
    """True when the portal publishes a form schema for it (it can be requested through Guichet)."""
    abbreviations: tuple[str, ...] = ()
    """Short names citizens type ("CIP", "B3"): a search by abbreviation finds the procedure."""
    keywords: dict[str, list[str]] = field(default_factory=dict)
    """Words citizens use for it, per language ("carte grise"): the NLU's word list reads them."""
    variants: dict[str, Variant] = field(default_factory=dict)
    short_code: str | None = None
    """A code the portal publishes for its most asked procedures ("12"): ``*202*12#`` or typing
    it on the USSD home screen opens the procedure.  2 to 4 digits, never starting with 0."""


@dataclass(frozen=True)
class FieldOption:
    value: str
    label: LocalText


@dataclass(frozen=True)
class FormField:
    name: str
    label: LocalText
    type: FieldType = "text"
    required: bool = True
    pattern: str | None = None
    """A regular expression the whole answer must match (after trimming)."""
    hint: LocalText = field(default_factory=dict)
    """A short example or format reminder shown when the answer is wrong."""
    options: tuple[FieldOption, ...] = ()
    max_length: int | None = None
    not_future: bool = False
    """For ``date`` fields (birth dates): a date after today is refused, so check it in-session."""


@dataclass(frozen=True)
class FormSchema:
    slug: str
    title: LocalText
    fields: tuple[FormField, ...]
    fee_xof: int | None = None


@dataclass(frozen=True)
class Payment:
    amount_xof: int | None
    operators: tuple[str, ...]
    """Mobile-money operators accepted, e.g. ("MTN MoMo", "Moov Money")."""
    instructions: LocalText = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    reference: str
    """``SP-YYYY-NNNNNN``."""
    procedure: str
    payment: Payment


@dataclass(frozen=True)
class StatusEvent:
    status: RequestState
    at: str
    """ISO 8601 timestamp with offset."""


@dataclass(frozen=True)
class MobilePayment:
    """One mobile-money payment the portal started for a request (``POST .../payments``).

    The operator pushes its own prompt to the phone and the citizen approves it there with
    their PIN: no PIN ever passes through the portal or Guichet.
    """

    payment_id: str
    reference: str
    status: PaymentState
    amount_xof: int
    operator: str
    reason: str | None = None
    """Why it failed or expired, a short code (``declined``, ``insufficient_funds``,
    ``timeout``...), when the portal says."""


@dataclass(frozen=True)
class PaymentDue:
    """What a request still owes (the portal's ``payment`` of a status, when it sends one)."""

    amount_xof: int | None
    """``None``: the fee is to be confirmed; ``0``: free."""
    status: DueState = "unpaid"


@dataclass(frozen=True)
class RequestStatus:
    reference: str
    procedure: str
    status: RequestState
    submitted_at: str
    updated_at: str
    history: tuple[StatusEvent, ...] = ()
    note: LocalText = field(default_factory=dict)
    """A reason (for ``rejected``) or where to collect (for ``ready``)."""
    payment: PaymentDue | None = None
    """What is owed, when the portal says (shown only to the number that filed it)."""
