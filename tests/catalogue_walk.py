"""Walk "Faire une demande" on a feature phone, as a caller would, and count the screens.

Shared by tests/test_ussd_catalogue_scale.py and bench/catalogue_screens.py.  A screen is one
answer of ``POST /ussd`` the caller reads: the main menu counts as the first; every key pressed
(a number, ``98`` for the next page) shows one more.  Reaching an e-service means seeing the
first question of its form ("tape 1/n").
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.ussd_phone import Phone

NAV = ("0", "00", "98", "99")


def items(screen: str) -> list[tuple[str, str]]:
    """``(number, label)`` of the numbered lines of a screen (navigation keys left out)."""
    out = []
    for line in screen.split("\n"):
        key, _, label = line.partition(" ")
        if key.isdigit() and key not in NAV and label:
            out.append((key, label))
    return out


def has_next(screen: str) -> bool:
    return "\n98 " in "\n" + screen


def home(phone: Phone) -> str:
    """Dial and reach the main menu (French), whatever the first screen asks."""
    phone.dial()
    if "Francais" in phone.screen or "Français" in phone.screen:
        phone.press("1")
    return phone.screen


def pages(phone: Phone, limit: int = 400) -> list[list[tuple[str, str]]]:
    """Every page of the list on screen, paging with 98 (the phone stays on the last page)."""
    out = [items(phone.screen)]
    while has_next(phone.screen) and len(out) < limit:
        phone.press("98")
        out.append(items(phone.screen))
    return out


@dataclass(frozen=True)
class Reach:
    label: str
    screens: int
    path: tuple[str, ...]
    """Keys pressed from the main menu."""


def eservice_reach(phone: Phone, *, sample: bool = False) -> list[Reach]:
    """How many screens each e-service of "Faire une demande" takes to reach by browsing.

    A list holds either sub-lists (themes, alphabetical ranges) or e-services, never both: the
    first item of each list is opened (a fresh call) to tell which; e-services are then
    counted from their page without opening each form (:func:`open_path` proves one).
    ``sample``: inside a theme, walk only its last range (the deepest; ranges are of equal
    size), for a quicker test.
    """
    return _walk(phone, ("2",), sample)


def _walk(phone: Phone, path: tuple[str, ...], sample: bool = False) -> list[Reach]:
    open_path(phone, path)
    listed = [(p, key, label) for p, page in enumerate(pages(phone)) for key, label in page
              if not label.startswith("Rechercher")]
    if not listed:
        return []
    p, key, _label = listed[0]
    if "tape 1/" in open_path(phone, (*path, *["98"] * p, key)):
        return [Reach(label, len(path) + p + 2, (*path, *["98"] * p, key))
                for p, key, label in listed]
    found: list[Reach] = []
    if sample and len(path) > 1:
        listed = listed[-1:]
    for p, key, _label in listed:
        found += _walk(phone, (*path, *["98"] * p, key), sample)
    return found


def open_path(phone: Phone, path: tuple[str, ...]) -> str:
    """A fresh call from the main menu, pressing ``path``: the screen it ends on."""
    home(phone)
    phone.press(*path)
    return phone.screen


def typed_letters(title: str, words: int = 3, letters: int = 5) -> str:
    """What a caller types for ``title``: the start of its first few telling words."""
    kept = [w for w in title.replace("'", " ").split() if len(w) > 3 and w != "-"]
    return " ".join(w[:letters] for w in kept[:words])


def search_reach(phone: Phone, text: str, title: str) -> int:
    """Screens to reach an e-service's form through "Rechercher" (main menu = 1): "Faire une
    demande", "Rechercher" (first of the themes), the letters, then the match if a list."""
    home(phone)
    phone.press("2", "1", text)
    for _ in range(4):
        if "tape 1/" in phone.screen:
            break
        key = next((k for k, label in items(phone.screen) if title.startswith(label[:20])),
                   None)
        if key is not None:
            phone.press(key)
        elif has_next(phone.screen):
            phone.press("98")
        else:
            raise AssertionError(f"{title!r} not found by {text!r}: {phone.screen!r}")
    if "tape 1/" not in phone.screen:
        raise AssertionError(phone.screen)
    return len(phone.inputs) + 1
