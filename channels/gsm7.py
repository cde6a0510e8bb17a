"""GSM-7: what a feature phone can show, and what an SMS costs.

USSD screens and SMS must stay in the GSM 03.38 alphabet: one character outside it turns an SMS
into UCS-2 (70 characters a segment instead of 160) and shows as boxes on many USSD handsets.
:func:`to_gsm7` rewrites text into it while keeping it readable (``ê`` -> ``e``, ``ɖ`` -> ``d``,
Babel's narrow no-break spaces -> spaces); :func:`segments` counts parts as networks do.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = set("^{}\\[~]|€\f")
"""Characters sent as an escape plus a code: each counts as two."""

SUBSTITUTES = {
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"',
    "–": "-", "—": "-", "‑": "-", "−": "-", "…": "...", "•": "-", "°": "o",
    "œ": "oe", "Œ": "OE", "ç": "c",
    "ɖ": "d", "Ɖ": "D", "đ": "d", "Đ": "D", "ð": "d",
    "ɛ": "e", "Ɛ": "E", "ε": "e", "ɔ": "o", "Ɔ": "O",
    "ŋ": "n", "Ŋ": "N", "ƒ": "f", "ʋ": "v", "Ʋ": "V", "ɣ": "g", "Ɣ": "G",
}


TONELESS = frozenset({"fon", "yo", "guw", "bba", "ddn", "ajg", "gej"})
"""Languages whose accents mark tones (or dots below): on a feature phone all of them are
dropped, not only those GSM-7 lacks, so a word is spelt one way ("wema", never "wéma" beside
"wema").  French keeps é è à ù ì ò, which GSM-7 has."""


def _toneless(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed
                                                if not unicodedata.combining(c)))


def _plain(ch: str) -> str:
    """Strip diacritics (tones, dots below, circumflexes) from one character."""
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base if base and all(c in BASIC for c in base) else "?"


@lru_cache(maxsize=4096)
def to_gsm7(text: str, lang: str | None = None) -> str:
    """Rewrite ``text`` so that every character is in the GSM-7 basic table.

    With ``lang`` in :data:`TONELESS` every tone mark goes (Fon "wémá" -> "wema", Yoruba
    "ìwé ìrìnnà" -> "iwe irinna"); otherwise only what GSM-7 lacks.
    Cached: menus and labels repeat on every hop, and this runs character by character.
    """
    if lang in TONELESS:
        text = _toneless(text)
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in BASIC:
            out.append(ch)
        elif ch in SUBSTITUTES:
            out.append(SUBSTITUTES[ch])
        elif ch in EXTENSION:
            out.append({"[": "(", "]": ")", "{": "(", "}": ")", "~": "-", "|": "/",
                        "\\": "/", "^": "", "€": "EUR", "\f": " "}[ch])
        elif unicodedata.category(ch).startswith("M"):
            continue
        elif unicodedata.category(ch) in ("So", "Cs", "Co", "Cn", "Sk"):
            continue  # emoji and symbols: nothing readable to put instead
        else:
            out.append(_plain(ch))
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENSION for ch in text)


def length(text: str) -> int:
    """Septets used: extension characters count twice."""
    return sum(2 if ch in EXTENSION else 1 for ch in text)


def segments(text: str) -> int:
    """How many SMS parts the network bills for ``text`` (GSM-7 or UCS-2)."""
    if is_gsm7(text):
        size, single, multi = length(text), 160, 153
    else:
        size = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if size <= single:
        return 1
    return -(-size // multi)
