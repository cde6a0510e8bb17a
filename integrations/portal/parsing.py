"""Turn the portal's JSON into the frozen dataclasses of :mod:`models`.

Kept apart from the HTTP code so the mapping is tested and reused (the catalogue cache and
the client share it).  Unknown keys are ignored, so the portal may add fields freely; a
missing or wrongly typed required key raises ``ValueError`` (reported as a bad response).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from .models import (
    Category,
    DueState,
    FieldOption,
    FieldType,
    FormField,
    FormSchema,
    LocalText,
    MobilePayment,
    OnlineMode,
    Payment,
    PaymentDue,
    PaymentState,
    Procedure,
    RequestStatus,
    StatusEvent,
    Submission,
    Variant,
)

_ONLINE = {"yes", "no", "appointment", "registration"}
_STATES = {"received", "in_progress", "ready", "rejected"}
_TYPES = {"text", "date", "npi", "phone", "choice"}


def _text(value: Any) -> LocalText:
    """A ``{lang: text}`` map; ``null`` (unknown fact) becomes ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a {{lang: text}} map, got {type(value).__name__}")
    return {str(k): str(v) for k, v in value.items() if v is not None}


def _required(data: Mapping[str, Any], key: str) -> Any:
    if key not in data or data[key] is None:
        raise ValueError(f"missing {key!r}")
    return data[key]


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def category(data: Mapping[str, Any]) -> Category:
    return Category(slug=str(_required(data, "slug")), title=_text(data.get("title")))


def procedure(data: Mapping[str, Any]) -> Procedure:
    online = data.get("online") or "no"
    if online not in _ONLINE:
        raise ValueError(f"unknown online mode {online!r}")
    documents = data.get("documents") or {}
    return Procedure(
        slug=str(_required(data, "slug")),
        category=str(_required(data, "category")),
        title=_text(data.get("title")),
        summary=_text(data.get("summary")),
        cost_xof=_optional_int(data.get("cost_xof")),
        cost_note=_text(data.get("cost_note")),
        delay=_text(data.get("delay")),
        validity=_text(data.get("validity")),
        documents={str(k): [str(d) for d in v] for k, v in documents.items() if v},
        where=_text(data.get("where")),
        online=cast(OnlineMode, online),  # checked against _ONLINE above
        online_url=data.get("online_url"),
        eservice=bool(data.get("eservice", False)),
        abbreviations=tuple(str(a) for a in data.get("abbreviations") or ()),
        keywords=_words(data.get("keywords")),
        variants=_variants(data.get("variants")),
        short_code=short_code(data.get("short_code")),
    )


def _words(value: Any) -> dict[str, list[str]]:
    """``keywords``: ``{lang: [word, ...]}``; absent or ``null``: none."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("keywords: expected a {lang: [words]} map")
    return {str(k): [str(w) for w in v or ()] for k, v in value.items()}


def _variants(value: Any) -> dict[str, Variant]:
    """``variants``: ``{name: {label, cost_xof, delay}}``; absent or ``null``: none."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("variants: expected a {name: variant} map")
    return {str(name): Variant(name=str(name), label=_text(v.get("label")),
                               cost_xof=_optional_int(v.get("cost_xof")),
                               delay=_text(v.get("delay")))
            for name, v in value.items()}


SHORT_CODE = re.compile(r"[1-9][0-9]{1,3}")
"""2 to 4 digits, not starting with 0: never a USSD menu number (1-9) nor ``0``/``00``."""
NAVIGATION_CODES = frozenset({"98", "99"})


def short_code(value: Any) -> str | None:
    """A published short code, or ``None`` when absent or unusable (it would collide with a
    navigation key or a menu number): a bad code is dropped, the procedure still served."""
    if value is None or isinstance(value, bool):
        return None
    code = str(value).strip()
    if not SHORT_CODE.fullmatch(code) or code in NAVIGATION_CODES:
        return None
    return code


def form_field(data: Mapping[str, Any]) -> FormField:
    kind = data.get("type") or "text"
    if kind not in _TYPES:
        raise ValueError(f"unknown field type {kind!r}")
    options = tuple(
        FieldOption(value=str(_required(o, "value")), label=_text(o.get("label")))
        for o in data.get("options") or ()
    )
    return FormField(
        name=str(_required(data, "name")),
        label=_text(data.get("label")),
        type=cast(FieldType, kind),  # checked against _TYPES above
        required=bool(data.get("required", True)),
        pattern=data.get("pattern"),
        hint=_text(data.get("hint")),
        options=options,
        max_length=_optional_int(data.get("max_length")),
        not_future=bool(data.get("not_future", False)),
    )


def form_schema(data: Mapping[str, Any]) -> FormSchema:
    return FormSchema(
        slug=str(_required(data, "slug")),
        title=_text(data.get("title")),
        fields=tuple(form_field(f) for f in _required(data, "fields")),
        fee_xof=_optional_int(data.get("fee_xof")),
    )


def submission(data: Mapping[str, Any]) -> Submission:
    pay = data.get("payment") or {}
    return Submission(
        reference=str(_required(data, "reference")),
        procedure=str(_required(data, "procedure")),
        payment=Payment(
            amount_xof=_optional_int(pay.get("amount_xof")),
            operators=tuple(str(o) for o in pay.get("operators") or ()),
            instructions=_text(pay.get("instructions")),
        ),
    )


def _state(value: Any) -> Any:
    if value not in _STATES:
        raise ValueError(f"unknown request status {value!r}")
    return value


def request_status(data: Mapping[str, Any]) -> RequestStatus:
    return RequestStatus(
        reference=str(_required(data, "reference")),
        procedure=str(_required(data, "procedure")),
        status=_state(data.get("status")),
        submitted_at=str(_required(data, "submitted_at")),
        updated_at=str(_required(data, "updated_at")),
        history=tuple(
            StatusEvent(status=_state(e.get("status")), at=str(_required(e, "at")))
            for e in data.get("history") or ()
        ),
        note=_text(data.get("note")),
        payment=_due(data.get("payment")),
    )


_PAYMENT_STATES = ("pending", "succeeded", "failed", "expired")
_DUE_STATES = ("unpaid", "pending", "paid")


def _due(data: Any) -> PaymentDue | None:
    if not isinstance(data, Mapping):
        return None
    status = data.get("status") or "unpaid"
    if status not in _DUE_STATES:
        raise ValueError(f"unknown payment status {status!r}")
    return PaymentDue(amount_xof=_optional_int(data.get("amount_xof")),
                      status=cast(DueState, status))


def mobile_payment(data: Mapping[str, Any]) -> MobilePayment:
    status = data.get("status")
    if status not in _PAYMENT_STATES:
        raise ValueError(f"unknown payment status {status!r}")
    reason = data.get("reason")
    return MobilePayment(
        payment_id=str(_required(data, "payment_id")),
        reference=str(_required(data, "reference")),
        status=cast(PaymentState, status),
        amount_xof=int(_required(data, "amount_xof")),
        operator=str(_required(data, "operator")),
        reason=str(reason) if reason else None,
    )
