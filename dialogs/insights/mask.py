"""Masking an unanswered question before it is kept: no digit, no name, ever.

A question the bot could not answer is kept (masked, for ``RETENTION_UNANSWERED_DAYS``) so a
supervisor can read it and teach the bot.  Citizens write their number, their NPI, their name
into such questions ("je suis Koffi Agossou 0197000000 mon passeport"): every digit becomes
``#``, and a capitalised word that is not known vocabulary (a catalogue word, a word of the
training data, a common word) becomes ``[nom]``.  The raw text is never stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

NAME = "[nom]"
MAX_TEXT = 300
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"\S+@\S+")

COMMON = frozenset("""
bonjour bonsoir salut merci svp stp slt bjr bsr je j tu il elle nous vous ils elles on le la
les un une des du de d l au aux mon ma mes ton ta tes son sa ses notre votre leur leurs ce
cet cette ces qui que quoi quel quelle quels quelles ou où comment combien pourquoi quand
est c ça ca et ou mais donc or ni car si oui non ok pas ne n plus moins très tres avec sans
pour par sur sous dans chez en a à y veux voudrais peux puis dois faut besoin avoir être
etre faire fait aller venir savoir demander demande payer prix coût cout délai delai papier
papiers document documents pièce pièces piece pieces où ou adresse bureau mairie guichet
service public hello hi good morning please thanks thank you i me my we our the a an of to
for in on at is are how much what where when why which can could would need want get pay
price cost delay office madame monsieur mme mr mlle dr
""".split())  # noqa: SIM905  (a list of words, kept readable)
"""Words that are never a name, even capitalised at the start of a sentence."""


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def vocabulary(words: Iterable[str]) -> frozenset[str]:
    """The known words (folded: lower case, no accents), from catalogue titles, training data
    and the like; a capitalised word in it is a word, not a name."""
    known: set[str] = set()
    for text in words:
        known.update(_fold(w) for w in _WORD.findall(text or ""))
    return frozenset(known | {_fold(w) for w in COMMON})


_INTRODUCED = re.compile(
    r"(?P<lead>\b(?:m['’ ]?\s?ap+el+e|j['’ ]?\s?ap+el+e|je\s+suis|moi\s+c['’]\s?est|"
    r"mon\s+nom\s+(?:est|c['’]\s?est)|"
    r"nom\s*:|pr[ée]noms?\s*:?|monsieur|madame|mademoiselle|mme|mlle|mr|mrs|ms|"
    r"my\s+name\s+is|i\s+am|i['’]m|orukọ\s+mi\s+ni|nyɛ\s+wɛ)\s+)"
    r"(?P<rest>(?:[^\W\d_]+(?:['’-][^\W\d_]+)*\s*){1,3})", re.IGNORECASE | re.UNICODE)
"""Words that introduce a name ("je m'appelle ...", "my name is ..."): what follows is a name
even when typed in lower case, unless it is a known word."""


def _introduced(rest: str, known: frozenset[str]) -> str:
    words = rest.split()
    out = []
    for i, w in enumerate(words):
        if w == "[nom]" or w == "nom":
            out.append(w)
        elif _fold(w) in known and (i > 0 or _fold(w) in COMMON):
            out.extend(words[i:])
            break
        else:
            out.append(NAME)
    trailing = " " if rest.endswith(" ") else ""
    return " ".join(out) + trailing


def mask_question(text: str, known: frozenset[str] = frozenset()) -> str:
    """``text`` with every digit as ``#``, e-mail addresses and unknown capitalised words as
    ``[nom]``; trimmed and cut to :data:`MAX_TEXT` characters."""
    text = " ".join((text or "").split())[:MAX_TEXT]
    text = _EMAIL.sub(NAME, text)
    text = _DIGIT.sub("#", text)
    known = known or vocabulary(())

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        if w[0].isupper() and _fold(w) not in known:
            return NAME
        return w

    masked = _WORD.sub(word, text)
    masked = _INTRODUCED.sub(lambda m: m.group("lead") + _introduced(m.group("rest"), known),
                             masked)
    masked = re.sub(r"\[nom\](?:\s*\[nom\])+", NAME, masked)
    return re.sub(r"\s+([,.;:!?])", r"\1", masked).strip()
