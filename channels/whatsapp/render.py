"""Turn a :class:`~dialogs.model.Reply` into WhatsApp Cloud API message objects.

Each object is what goes after ``messaging_product``/``recipient_type``/``to`` in a send:
``{"type": "text", "text": {...}}`` or ``{"type": "interactive", "interactive": {...}}``.

- The body is the error (first) and the reply's paragraphs, in real letters (no GSM-7 here).
- Up to 3 choices become reply buttons (title <= 20), 4 to 10 a list (row title <= 24, the full
  label as the row's description when the title had to be shortened); more than 10 a list of 9
  and a "more" row (id ``wa:more``) whose next page the adapter shows itself (:func:`render`'s
  ``page``); a later page starts with a "previous" row (id ``wa:prev``), so a citizen can go
  back through 17 pages of a national catalogue, or type part of a name to search it.  A
  navigable reply gets a "Menu" choice (``nav:home``) when there is room.
- An ending reply is plain text; an empty one (an agent has the conversation) is nothing.
- A body too long for one message is split at paragraph boundaries: leading text messages
  (<= 4096), then the interactive one (body <= 1024).
"""

from __future__ import annotations

from channels.whatsapp.titles import shorten, unique_titles
from dialogs.i18n import gettext_for
from dialogs.model import Choice, Reply

TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_MAX = 20
MAX_ROWS = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
LIST_BUTTON_MAX = 20
SECTION_TITLE_MAX = 24
PAGE_SIZE = 9
MORE = "wa:more"
PREV = "wa:prev"
HOME = "nav:home"


def page_slices(n: int) -> list[tuple[int, int]]:
    """``(start, end)`` of the choices on each list page: 9 and "more" on the first, then
    "previous", 8 and "more" in the middle, "previous" and the last ones (<= 9) at the end."""
    if n <= MAX_ROWS:
        return [(0, n)]
    slices = [(0, PAGE_SIZE)]
    start = PAGE_SIZE
    while n - start > MAX_ROWS - 1:
        slices.append((start, start + MAX_ROWS - 2))
        start += MAX_ROWS - 2
    slices.append((start, n))
    return slices


def page_count(reply: Reply) -> int:
    """How many list pages the reply's choices need (1 unless more than 10)."""
    return len(page_slices(len(_unique(reply.choices))))


def render(reply: Reply, page: int = 0) -> list[dict]:
    """The messages to send, in order, for ``reply`` (``page`` > 0: a later page of its list)."""
    if not (reply.text.strip() or reply.choices or reply.error):
        return []  # nothing to say (a person has the conversation): the bot stays quiet
    _ = gettext_for(reply.lang)
    choices = _unique(reply.choices)
    body = compose(reply)
    if reply.end:
        return [_text(chunk) for chunk in split_text(body, TEXT_MAX)]
    menu = Choice(HOME, _("Menu")) if reply.navigable and all(
        c.id != HOME for c in choices) else None
    pages = page_count(reply)
    page = max(0, min(page, pages - 1))
    if pages > 1:
        start, end = page_slices(len(choices))[page]
        if page > 0:
            heading = next((p for p in reversed(reply.parts) if p), "")
            body = f"{heading} ({page + 1}/{pages})".strip()
        rows = [_row(c) for c in choices[start:end]]
        if page > 0:
            rows.insert(0, {"id": PREV, "title": shorten(_("Précédent"), ROW_TITLE_MAX),
                            "description": shorten(_("Page {n}").format(n=page),
                                                   ROW_DESCRIPTION_MAX)})
        if page + 1 < pages:
            more = len(choices) - end
            rows.append({"id": MORE, "title": shorten(_("Voir la suite"), ROW_TITLE_MAX),
                         "description": shorten(_("{n} autres choix").format(n=more),
                                                ROW_DESCRIPTION_MAX)})
        elif menu is not None and len(rows) < MAX_ROWS:
            rows.append(_row(menu))
        return _with_body(body, lambda text: _list(reply, text, rows))
    elif not choices and menu is None:
        return [_text(chunk) for chunk in split_text(body, TEXT_MAX)]
    limit = MAX_BUTTONS if pages == 1 and len(choices) <= MAX_BUTTONS else MAX_ROWS
    if menu is not None and len(choices) < limit:
        choices = [*choices, menu]
    if limit == MAX_BUTTONS:
        return _with_body(body, lambda text: _buttons(text, choices))
    return _with_body(body, lambda text: _list(reply, text, _rows(choices)))


def compose(reply: Reply) -> str:
    """The message text: the error first, then the paragraphs."""
    text = reply.text.strip()
    if reply.error:
        text = f"{reply.error}\n\n{text}" if text else reply.error
    return text or "…"


def split_text(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at paragraph boundaries."""
    pieces: list[str] = []
    current = ""
    for line in _lines(text, limit):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        pieces.append(current)
        current = line
    if current or not pieces:
        pieces.append(current)
    return [p.strip("\n") or "…" for p in pieces]


def _lines(text: str, limit: int) -> list[str]:
    """The text's lines, a line longer than ``limit`` cut at spaces (a huge word, hard)."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit + 1)
            if cut <= 0:
                cut = limit
            out.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        out.append(line)
    return out


def _with_body(body: str, build) -> list[dict]:
    """Leading text messages for what does not fit, then ``build(last piece)``."""
    if len(body) <= INTERACTIVE_BODY_MAX:
        return [build(body)]
    lines = _lines(body, INTERACTIVE_BODY_MAX)
    tail: list[str] = []
    while lines and len("\n".join([lines[-1], *tail])) <= INTERACTIVE_BODY_MAX:
        tail.insert(0, lines.pop())
    lead = "\n".join(lines).strip("\n")
    head = [_text(chunk) for chunk in split_text(lead, TEXT_MAX)] if lead else []
    return [*head, build("\n".join(tail).strip("\n") or "…")]


def _unique(choices) -> list[Choice]:
    seen: set[str] = set()
    out = []
    for choice in choices:
        if choice.id not in seen:
            seen.add(choice.id)
            out.append(choice)
    return out


def _text(body: str) -> dict:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def _buttons(body: str, choices: list[Choice]) -> dict:
    titles = unique_titles([c.label for c in choices], BUTTON_TITLE_MAX)
    return {"type": "interactive", "interactive": {
        "type": "button",
        "body": {"text": body},
        "action": {"buttons": [{"type": "reply", "reply": {"id": c.id, "title": title}}
                               for c, title in zip(choices, titles, strict=True)]},
    }}


def _rows(choices: list[Choice]) -> list[dict]:
    return [_row(c) for c in choices]


def _row(choice: Choice) -> dict:
    title = shorten(choice.label, ROW_TITLE_MAX)
    row = {"id": choice.id, "title": title}
    if title != " ".join(choice.label.split()):
        row["description"] = shorten(choice.label, ROW_DESCRIPTION_MAX)
    return row


def _list(reply: Reply, body: str, rows: list[dict]) -> dict:
    _ = gettext_for(reply.lang)
    titles = unique_titles([r["title"] for r in rows], ROW_TITLE_MAX)  # titles must differ
    for row, title in zip(rows, titles, strict=True):
        row["title"] = title
    heading = next((p for p in reversed(reply.parts) if p), "")
    section = heading if 0 < len(heading) <= SECTION_TITLE_MAX else _("Choix")
    return {"type": "interactive", "interactive": {
        "type": "list",
        "body": {"text": body},
        "action": {"button": shorten(_("Voir les choix"), LIST_BUTTON_MAX),
                   "sections": [{"title": shorten(section, SECTION_TITLE_MAX), "rows": rows}]},
    }}
