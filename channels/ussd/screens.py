"""Turn a :class:`~dialogs.model.Reply` into USSD screens a feature phone can show.

A screen holds at most ``max_len`` GSM-7 characters (160 by default), so a long reply is cut into
pages with ``98`` for the next one; choices are numbered ``1..n`` across pages and never split;
the last page carries ``0`` back / ``00`` home.  ``99`` skips an optional form answer.  The
result also says which number means which choice on each page: a page accepts only the numbers
it prints, for reading the next hop.
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
        pages.append(current + [more])
        current = []
    pages.append(current + tail)
    return Screens(
        pages=["\n".join(text for text, _key in page) for page in pages],
        numbers=numbers,
        page_numbers=[{key: numbers[key] for _text, key in page if key} for page in pages],
        end=reply.end,
    )
