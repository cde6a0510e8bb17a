"""Turn a Reply into SMS text a feature phone shows and a citizen can afford.

Choices are numbered (a reply "2" picks the second), everything is GSM-7 (one Fon letter would
make the message UCS-2 and more than double its price), and an answer longer than the segment
budget is cut at a line boundary: the rest waits behind ``PLUS``.
"""

from __future__ import annotations

from channels.gsm7 import length, segments, to_gsm7
from dialogs.i18n import gettext_for
from dialogs.model import Choice, Reply

PER_SEGMENT = 153
"""GSM-7 characters in each part of a concatenated SMS."""
SKIP = "99"
"""Skips an optional form answer, as on USSD."""


def numbered(reply: Reply) -> list[Choice]:
    """The choices an SMS shows with a number, in order: not "skip" (it is 99), and not
    "receive it by SMS" - the citizen is reading an SMS already."""
    return [c for c in reply.choices if c.kind not in ("skip", "sms")]


def text_of(reply: Reply) -> str:
    """The whole reply as one GSM-7 text, choices numbered."""
    _ = gettext_for(reply.lang)
    lines = ([reply.error] if reply.error else []) + list(reply.parts)
    shown = numbered(reply)
    lines += [f"{n} {c.label}" for n, c in enumerate(shown, 1)]
    lines += [f"{SKIP} {c.label}" for c in reply.choices if c.kind == "skip"]
    if shown:
        lines.append(_("Répondez par le numéro."))
    return to_gsm7("\n".join(line for line in lines if line), reply.lang)


def skip_choice(text: str, reply: Reply) -> Choice | None:
    """The choice that skips the optional answer ``reply`` asks for, when ``text`` picks it
    ("99" or its label); None otherwise."""
    skip = next((c for c in reply.choices if c.kind == "skip"), None)
    folded = text.strip().casefold()
    return skip if skip is not None and folded in (SKIP, skip.label.casefold()) else None


def split(text: str, lang: str, max_segments: int = 3) -> list[str]:
    """Cut ``text`` into messages of at most ``max_segments`` segments each.

    Every message but the last ends with the ``PLUS`` hint; cuts fall between lines when
    possible, else between words.
    """
    if segments(text) <= max_segments:
        return [text]
    hint = "\n" + to_gsm7(gettext_for(lang)("PLUS pour la suite"), lang)
    budget = (160 if max_segments == 1 else PER_SEGMENT * max_segments) - length(hint)
    chunks: list[str] = []
    rest = text
    while segments(rest) > max_segments:
        cut = _cut(rest, budget)
        chunks.append(rest[:cut].rstrip() + hint)
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return chunks


def _cut(text: str, budget: int) -> int:
    """The largest prefix length within ``budget`` septets, ending at a line or a word."""
    size, end = 0, 0
    for i, ch in enumerate(text):
        size += length(ch)
        if size > budget:
            break
        end = i + 1
    for sep in ("\n", " "):
        at = text.rfind(sep, 0, end)
        if at > budget // 2:
            return at
    return end
