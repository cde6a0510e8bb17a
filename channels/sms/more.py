"""The rest of a long SMS, kept for the citizen's ``PLUS``.

Every SMS Guichet sends fits ``SMS_MAX_SEGMENTS`` segments: a longer text (an answer, a
procedure sheet, a receipt, a status) is cut at a line, its first part sent with a ``PLUS``
hint, and the rest kept here for a day; ``PLUS`` sends the next part.  One rest per number:
the newest long text replaces an older one.
"""

from __future__ import annotations

from dialogs.store import Store

MORE_TTL = 24 * 3600


def more_key(user: str) -> str:
    return f"sms:more:{user}"


def keep(store: Store, user: str, chunks: list[str], lang: str) -> None:
    """Keep ``chunks`` (possibly none: forget the rest) for the next ``PLUS``."""
    store.put_many({more_key(user): ({"chunks": chunks, "lang": lang} if chunks else None,
                                     MORE_TTL)})


def pending(store: Store, user: str) -> tuple[list[str], str | None]:
    """The parts still waiting for ``PLUS``, and their language."""
    (kept,) = store.get_many([more_key(user)])
    if not kept or not kept.get("chunks"):
        return [], None
    return list(kept["chunks"]), kept.get("lang")
