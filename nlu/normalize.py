"""Text normalisation shared by language identification, intent classification and entities.

Citizens type the same word many ways: Greek ε for the Fon letter ɛ, ð or đ for ɖ, a breve where
a caron was meant, decomposed accents from some phone keyboards, no accents at all, SMS
abbreviations. Every component must see one spelling. Entity spans, however, must still point
into the text the citizen actually sent, so the diacritic-free copy keeps an offset map back to
the original string (:class:`AlignedText`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Letter variants seen in real Fon/Yoruba text, mapped to the one form we keep (facts/languages.md).
_LETTER_VARIANTS = str.maketrans(
    {
        "ε": "ɛ",  # Greek small epsilon
        "Ε": "Ɛ",  # Greek capital epsilon
        "ð": "ɖ",  # eth
        "Ð": "Ɖ",
        "đ": "ɖ",  # d with stroke
        "Đ": "Ɖ",
        "ͻ": "ɔ",  # Greek reversed lunate sigma, looks like ɔ
        "ↄ": "ɔ",
        "Ↄ": "Ɔ",
        "\u2019": "'",  # typographic apostrophes
        "\u2018": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00a0": " ",  # no-break spaces
        "\u202f": " ",
    }
)

# Combining marks that stand for another mark in user text.
_MARK_VARIANTS = str.maketrans(
    {
        "\u0306": "\u030c",  # breve typed for the caron of Fon rising tone (ǎ)
        "\u0329": "\u0323",  # vertical line below typed for the Yoruba dot below (ẹ, ọ)
    }
)

# Letters that do not decompose in Unicode but have a usual ASCII fallback ("fongbé francisé").
_ASCII_LETTERS = str.maketrans(
    {
        "ɖ": "d",
        "ɛ": "e",
        "ɔ": "o",
        "ŋ": "n",
        "ƒ": "f",
        "ʋ": "v",
        "ı": "i",
        "ø": "o",
        "ł": "l",
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
    }
)


def canonical(text: str) -> str:
    """NFC text with letter and mark variants mapped to one form; case and accents kept."""
    text = text.translate(_LETTER_VARIANTS)
    text = unicodedata.normalize("NFD", text).translate(_MARK_VARIANTS)
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Canonical, case-folded text; diacritics kept (language identification needs them)."""
    return canonical(text).casefold()


@lru_cache(maxsize=4096)
def _ascii_cluster(cluster: str) -> str:
    """The ASCII fallback of one letter with its combining marks, lower case."""
    decomposed = unicodedata.normalize("NFD", fold(cluster))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.translate(_ASCII_LETTERS)


def strip_diacritics(text: str) -> str:
    """Case-folded copy without tones or accents, with ɖ ɛ ɔ written d e o."""
    return align_ascii(text).text


@dataclass(frozen=True)
class AlignedText:
    """A diacritic-free, case-folded copy of a text with, for each of its characters, the span
    of the original characters it came from, so a match in the copy maps back to the original."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` of the copy's characters ``[start, end)``."""
        if end <= start:
            return self.starts[start] if start < len(self.starts) else len(self.original), 0
        return self.starts[start], self.ends[end - 1]


def align_ascii(original: str) -> AlignedText:
    """Fold ``original`` to lower-case ASCII letters, keeping the offset map.

    A "cluster" is a base character with the combining marks that follow it, so decomposed input
    (``e`` + U+0301) maps to one output letter whose span covers both original code points.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(original)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(original[j]):
            j += 1
        piece = _ascii_cluster(original[i:j]) if not original[i:j].isascii() else original[i:j]
        piece = piece.lower()
        for ch in piece:
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return AlignedText(original, "".join(out), tuple(starts), tuple(ends))


# SMS French and English shorthand, written as the folded ASCII token -> its expansion. Only
# tokens that do not collide with common Fon or Yoruba words are listed (no "ki", "mo", "a").
SMS_EXPANSIONS: dict[str, str] = {
    # French
    "kmt": "comment", "cmt": "comment", "cmnt": "comment", "komen": "comment",
    "koman": "comment", "comen": "comment",
    "stp": "s il te plait", "stpl": "s il te plait", "svp": "s il vous plait",
    "svpl": "s il vous plait", "sivouplai": "s il vous plait",
    "jvx": "je veux", "jveux": "je veux", "jveu": "je veux", "jvux": "je veux",
    "jv": "je veux", "jvoudrai": "je voudrais", "jvoudrais": "je voudrais",
    "vx": "veux", "veu": "veux", "jpeux": "je peux", "jpx": "je peux", "jpe": "je peux",
    "chui": "je suis", "jsui": "je suis", "jsuis": "je suis", "jss": "je suis",
    "jai": "j ai", "g": "j ai", "jaimerais": "j aimerais", "jcherche": "je cherche",
    "pr": "pour", "pou": "pour", "qd": "quand", "kan": "quand", "kand": "quand",
    "qand": "quand", "bjr": "bonjour", "bjrs": "bonjour", "bonjr": "bonjour", "bjour": "bonjour",
    "bsr": "bonsoir", "bsoir": "bonsoir", "slt": "salut", "cc": "coucou",
    "cb": "combien", "cbn": "combien", "cmb": "combien", "cbien": "combien", "combie": "combien",
    "konbien": "combien", "kombien": "combien", "combin": "combien", "combiem": "combien",
    "sa": "ca", "koi": "quoi", "kwa": "quoi", "quoa": "quoi", "ke": "que", "k": "que",
    "keske": "qu est ce que", "kesk": "qu est ce que", "ske": "ce que", "sk": "ce que",
    "pk": "pourquoi", "pq": "pourquoi", "pkoi": "pourquoi", "pourkoi": "pourquoi",
    "ds": "dans", "tjr": "toujours", "tjrs": "toujours", "bcp": "beaucoup", "dc": "donc",
    "tt": "tout", "mm": "meme", "mrc": "merci", "mrci": "merci", "mci": "merci",
    "mersi": "merci", "mercii": "merci", "merciii": "merci", "dmd": "demande",
    "dmde": "demande", "dmnd": "demande", "tps": "temps", "ya": "il y a", "yatil": "y a t il",
    "rdv": "rendez vous", "msg": "message", "nn": "non", "wi": "oui",
    "ouai": "oui", "ouais": "oui", "wii": "oui", "oki": "ok", "okay": "ok", "okk": "ok",
    "papie": "papiers", "doc": "documents", "docs": "documents",
    "kel": "quel", "kelle": "quelle", "kels": "quels", "keles": "quelles", "b1": "bien",
    "pb": "probleme", "pblm": "probleme", "info": "information", "infos": "informations",
    "mtn": "maintenant", "dsl": "desole", "qlq": "quelque", "qq": "quelque",
    "qqn": "quelqu un", "qlqn": "quelqu un", "kelkun": "quelqu un", "ajd": "aujourd hui",
    "auj": "aujourd hui", "aujd": "aujourd hui", "dem1": "demain", "2m1": "demain",
    "pa": "pas", "moa": "moi", "mwa": "moi", "twa": "toi", "ossi": "aussi", "fo": "faut",
    "fodra": "faudra", "dja": "deja", "vs": "vous", "ac": "avec", "avc": "avec",
    "ns": "nous", "tel": "telephone", "depo": "depot", "obtnir": "obtenir",
    "otenir": "obtenir", "kout": "coute",
    "koute": "coute", "pri": "prix", "px": "prix",
    # English
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "plss": "please",
    "thx": "thanks", "thnx": "thanks", "tnx": "thanks", "tks": "thanks", "ty": "thank you",
    "wat": "what", "wot": "what", "hw": "how", "cn": "can", "abt": "about", "wen": "when",
    "whr": "where", "wer": "where", "gud": "good", "mornin": "morning", "hv": "have",
    "nid": "need", "wanna": "want to", "gonna": "going to", "im": "i am", "idk": "i do not know",
}

_TOKEN = re.compile(r"[a-z0-9]+")


def expand_sms(ascii_text: str) -> str:
    """Replace SMS shorthand tokens in a folded ASCII text by their full words."""
    return _TOKEN.sub(lambda m: SMS_EXPANSIONS.get(m.group(), m.group()), ascii_text)


def classifier_text(text: str) -> str:
    """The form the intent classifier sees: folded ASCII, SMS expanded, punctuation as spaces
    except ``?`` (a question mark tells a question from a statement)."""
    folded = expand_sms(strip_diacritics(text))
    folded = re.sub(r"\?+", " ? ", folded)
    return " ".join(re.sub(r"[^a-z0-9?]+", " ", folded).split())
