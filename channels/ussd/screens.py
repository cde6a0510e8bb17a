"""Turn a :class:`~dialogs.model.Reply` into USSD screens a feature phone can show.

A screen holds at most ``max_len`` GSM-7 characters (160 by default), so a long reply is cut into
pages with ``98`` for the next one; choices are numbered ``1..n`` across pages and never split;
the last page carries ``0`` back / ``00`` home.  ``99`` skips an optional form answer.  The
result also says which number means which choice, for reading the next hop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.gsm7 import to_gsm7
from dialogs.i18n import gettext_for
from dialogs.model import Reply

BACK, HOME, MORE, SKIP = "0", "00", "98", "99"


@dataclass
class Screens:
    pages: list[str]
    numbers: dict[str, str] = field(default_factory=dict)
    end: bool = False


def _fits(lines: list[str], max_len: int) -> bool:
    return len("\n".join(lines)) <= max_len


def _wrap(line: str, width: int) -> list[str]:
    """Cut a line longer than ``width`` at spaces (or hard, for a long unbroken word)."""
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width + 1)
        if cut <= 0:
            cut = width
        out.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    if line:
        out.append(line)
    return out


def render(reply: Reply, max_len: int = 160) -> Screens:
    """Paginate ``reply`` into screens of at most ``max_len`` characters, in GSM-7."""
    _ = gettext_for(reply.lang)
    lang = reply.lang
    more = to_gsm7(_("{n} Suite").format(n=MORE), lang)
    numbers: dict[str, str] = {}
    choice_lines: list[str] = []
    n = 0
    for choice in reply.choices:
        if choice.id == "skip":
            key = SKIP
        else:
            n += 1
            key = str(n)
        numbers[key] = choice.id
        choice_lines.append(to_gsm7(f"{key} {choice.label}", lang))
    footer = None
    if reply.navigable and not reply.end:
        footer = to_gsm7(_("{back} Retour {home} Accueil").format(back=BACK, home=HOME), lang)
    text_lines = []
    for line in ([reply.error] if reply.error else []) + reply.text.split("\n"):
        text_lines.extend(_wrap(to_gsm7(line, lang), max_len - len(more) - 1))
    blocks = [line for line in text_lines if line] + [line[:max_len] for line in choice_lines]
    tail = [footer] if footer else []

    pages: list[list[str]] = []
    current: list[str] = []
    for i, block in enumerate(blocks):
        if _fits(current + blocks[i:] + tail, max_len):
            current = current + blocks[i:]
            break
        if _fits(current + [block, more], max_len):
            current.append(block)
            continue
        pages.append(current + [more])
        current = [block]
    if tail and not _fits(current + tail, max_len):
        pages.append(current + [more])
        current = []
    pages.append(current + tail)
    return Screens(pages=["\n".join(p) for p in pages], numbers=numbers, end=reply.end)
