"""Long lists cut into alphabetical ranges, so any item is a few screens away.

A theme of 70 procedures is 18 pages on a feature phone.  Above :data:`COMPACT_SPLIT_ABOVE`
items on USSD (about 3 pages), :data:`SPLIT_ABOVE` in a chat (3 lists), a list first shows
about sqrt(n) ranges ("Atte. de livret - Auth. d'acte"), each holding about sqrt(n) items in
alphabetical order: two short lists instead of one endless one.  The range picked is kept in
the state's data (``part``), so "back" returns to the ranges.
"""

from __future__ import annotations

import math

from dialogs.journeys.core import Dialog
from dialogs.journeys.search import fold
from dialogs.model import Choice, Conversation, Inbound, Reply
from dialogs.texts import short_title
from integrations.portal.errors import PortalError
from integrations.portal.models import pick

SPLIT_ABOVE = 30
COMPACT_SPLIT_ABOVE = 12
"""Items a list shows whole: a chat's list pages 10 rows at a time, a USSD screen 3 to 7."""
PREFIX = "part:"
LABEL_MAX = 22
WORD_MAX = 9


def _short(word: str, keep: int) -> str:
    return word if len(word) <= keep + 1 else word[:keep] + "."


def _cut(label: str, others: list[str]) -> str:
    """Enough of ``label`` to tell it from every one of ``others``: the words before the first
    one that differs are shortened ("Auth. de certific."), so a range fits a feature phone's
    line however long the titles' common start."""
    a = fold(label)
    same = 0
    for other in others:
        b = fold(other)
        same = max(same, next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                              min(len(a), len(b))))
    words = label.split(" ")
    out, at = [], 0
    for i, word in enumerate(words):
        if at + len(word) > same:  # the word where they differ: the last one shown
            out.append(_short(word, WORD_MAX))
            if len(word) <= 3 and i + 1 < len(words):  # "de" / "d'": and what follows
                out.append(_short(words[i + 1], WORD_MAX))
            break
        out.append(_short(word, 4))
        at += len(word) + 1
    return " ".join(out)[:LABEL_MAX].rstrip()


def ranges(choices: list[Choice]) -> list[list[Choice]]:
    """``choices`` in alphabetical order, cut into about sqrt(n) ranges of equal size."""
    ordered = sorted(choices, key=lambda c: fold(c.label))
    groups = max(2, math.ceil(math.sqrt(len(ordered))))
    size = math.ceil(len(ordered) / groups)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def listing(d: Dialog, conv: Conversation, heading: str, choices: list[Choice],
            extra: tuple[Choice, ...] = (), *, short: bool = False) -> Reply:
    """``choices`` as they are, or their ranges (or the range picked) when too many.
    ``short``: short labels (themes), several to a screen: cut only above 20 on USSD."""
    compact = conv.via is not None and conv.via.compact
    limit = (20 if short else COMPACT_SPLIT_ABOVE) if compact else SPLIT_ABOVE
    if len(choices) <= limit:
        return d.reply(conv, [heading], choices=(*extra, *choices))
    parts = ranges(choices)
    part = conv.state["data"].get("part")
    if isinstance(part, int) and 0 <= part < len(parts):
        return d.reply(conv, [heading], choices=tuple(parts[part]))
    labels = []
    for i, group in enumerate(parts):
        before = [parts[i - 1][-1].label] if i else []
        after = [parts[i + 1][0].label] if i + 1 < len(parts) else []
        first, last = group[0].label, group[-1].label
        labels.append(f"{_cut(first, before)} - {_cut(last, [first, *after])}")
    return d.reply(conv, [heading], choices=(
        *extra, *(Choice(f"{PREFIX}{i}", label) for i, label in enumerate(labels))))


def picked_range(d: Dialog, conv: Conversation, inbound: Inbound) -> Reply | None:
    """The range's items when one was picked (``back`` returns to the ranges), else None."""
    choice = d.choice(conv, inbound)
    if not choice.startswith(PREFIX) or not choice[len(PREFIX):].isdigit():
        return None
    data = {**conv.state["data"], "part": int(choice[len(PREFIX):])}
    return d.goto(conv, conv.state["at"], data)


def theme(d: Dialog, conv: Conversation, *, eservices_only: bool) -> Reply:
    """The procedures of the theme in the state's data (``slug``), titled with the theme's
    name: every procedure when browsing the catalogue, the e-services only on "Faire une
    demande".  Cut into ranges when long, like any list here."""
    slug = conv.state["data"]["slug"]
    try:
        procedures = [p for p in d.portal.procedures(category=slug)
                      if p.eservice or not eservices_only]
        categories = {c.slug: c for c in d.portal.categories()}
    except PortalError:
        return d.unavailable(conv)
    lang = d.lang(conv)
    title = pick(categories[slug].title, lang)[0] if slug in categories else slug
    return listing(d, conv, title or slug,
                   [Choice(f"proc:{p.slug}", short_title(p, lang)) for p in procedures])
