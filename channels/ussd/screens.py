"""Turn a :class:`~dialogs.model.Reply` into USSD screens a feature phone can show.

A screen holds at most ``max_len`` GSM-7 characters (160 by default), so a long reply is cut into
pages with ``98`` for the next one; choices are never split.  A list that fits one page is
numbered ``1..n``; a longer one is numbered again from ``1`` on every page, so an item's number
is always a single small digit that never meets a navigation key (``98`` next page, ``0`` back,
``00`` home, ``99`` skip an optional answer), however long the catalogue grows.  The last page
carries ``0`` back / ``00`` home.  The result also says which number means which choice on each
page: a page accepts only the numbers it prints, for reading the next hop.
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
    """Every number of the reply and the choice id it stands for."""
    page_numbers: list[dict[str, str]] = field(default_factory=list)
    """For each page, only the numbers printed on it: what that page accepts."""
    end: bool = False


Line = tuple[str, str | None]
"""A line of a screen and the number it prints (``None`` for plain text)."""


def _fits(lines: list[Line], max_len: int) -> bool:
    return len("\n".join(text for text, _key in lines)) <= max_len


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
    """Paginate ``reply`` into screens of at most ``max_len`` characters, in GSM-7.

    The line just above the choices (a question, a review's fee) stays on the last page with
    the choices and the footer whenever they fit together: the citizen sees what ``1`` does
    (and what it costs) on the page where ``1`` is accepted.
    """
    _ = gettext_for(reply.lang)
    lang = reply.lang
    more_text = to_gsm7(_("{n} Suite").format(n=MORE), lang)
    more: Line = (more_text, None)
    width = max_len - len(more_text) - 1
    numbers: dict[str, str] = {}
    choice_lines: list[Line] = []
    n = 0
    for choice in reply.choices:
        if choice.kind == "skip":
            key = SKIP
        else:
            n += 1
            key = str(n)
        numbers[key] = choice.id
        choice_lines.append((to_gsm7(f"{key} {choice.label}", lang)[:width], key))
    tail: list[Line] = []
    if reply.navigable and not reply.end:
        tail = [(to_gsm7(_("{back} Retour {home} Accueil").format(back=BACK, home=HOME), lang),
                 None)]
    text_lines: list[Line] = []
    for line in ([reply.error] if reply.error else []) + reply.text.split("\n"):
        text_lines.extend((part, None) for part in _wrap(to_gsm7(line, lang), width) if part)
    if (reply.error and len(text_lines) == 2 and choice_lines
            and not _fits(text_lines + choice_lines + tail, max_len)
            and _fits(text_lines[:1] + choice_lines + tail, max_len)):
        text_lines = text_lines[:1]  # a menu's title gives way to the reason: one screen
    blocks: list[list[Line]] = [[line] for line in text_lines + choice_lines]
    kept = text_lines[-1:] + choice_lines + tail
    if choice_lines and _fits(kept, max_len):
        blocks = [[line] for line in text_lines[:-1]] + [kept]
        tail = []

    pages: list[list[Line]] = []
    current: list[Line] = []
    for i, block in enumerate(blocks):
        rest = [line for later in blocks[i:] for line in later]
        if _fits(current + rest + tail, max_len):
            current = current + rest
            break
        if _fits(current + block + [more], max_len):
            current = current + block
            continue
        if current:
            pages.append(current + [more])
        current = list(block)
    if tail and not _fits(current + tail, max_len):
        # never a page of "0 Retour 00 Accueil" alone: the last line goes along with it
        carry = [current.pop()] if len(current) > 1 else []
        pages.append(current + [more])
        current = carry
    pages.append(current + tail)
    page_numbers = [{key: numbers[key] for _text, key in page if key} for page in pages]
    if sum(1 for shown in page_numbers if set(shown) - {SKIP}) > 1:
        pages, page_numbers = _per_page(pages, numbers)
    return Screens(
        pages=["\n".join(text for text, _key in page) for page in pages],
        numbers=numbers,
        page_numbers=page_numbers,
        end=reply.end,
    )


def _per_page(pages: list[list[Line]], numbers: dict[str, str]
              ) -> tuple[list[list[Line]], list[dict[str, str]]]:
    """Number the choices of each page from 1: a renumbered line is never longer than it was
    (its number only shrinks), so every page still fits."""
    out: list[list[Line]] = []
    out_numbers: list[dict[str, str]] = []
    for page in pages:
        lines: list[Line] = []
        shown: dict[str, str] = {}
        n = 0
        for text, key in page:
            if key is None or key == SKIP:
                lines.append((text, key))
                if key:
                    shown[key] = numbers[key]
                continue
            n += 1
            lines.append((f"{n}{text[len(key):]}", str(n)))
            shown[str(n)] = numbers[key]
        out.append(lines)
        out_numbers.append(shown)
    return out, out_numbers
