"""Fuzzy phrase matching against a lexicon, with spans in the original text.

Citizens misspell ("cazier", "pasport"), run words together ("actedenaissance", "moncasier"),
drop accents and articles. Each lexicon phrase is reduced to a key: its folded ASCII content
words joined without spaces ("acte de naissance" -> "actenaissance"). Every run of up to a few
content words of the message is reduced the same way and compared: exactly first, then by
spelling skeleton (c/k/qu, s/z, doubled letters: "kasier" = "casier"), then with rapidfuzz's
normalised Indel ratio between skeletons under a cut-off that depends on length (a key of four
letters or fewer, such as CIP, IFU or "fon", must match exactly, accents included). Words the
training data uses as ordinary words ("passer") are never matched fuzzily. Overlapping candidates
are resolved longest-first, so "acte de naissance" wins over "naissance".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from nlu.normalize import AlignedText, fold, strip_diacritics

TOKEN = re.compile(r"[a-z0-9]+")

# Words left out of keys: articles, possessives and prepositions that users add or drop freely.
STOPWORDS = frozenset({
    "de", "d", "du", "des", "la", "le", "l", "les", "un", "une", "mon", "ma", "mes", "ton", "ta",
    "son", "sa", "ses", "notre", "votre", "my", "a", "an", "the", "of", "for", "en", "et", "and",
    "pour",
})
# Glued prefixes to try on a word that matches nothing ("moncasier", "lacte", "dacte").
PREFIXES = ("mon", "ma", "mes", "le", "la", "les", "un", "une", "l", "d", "my", "the", "en")

MAX_WORDS = 5
SHORT = 4
MARGIN = 3.0
"""A fuzzy match must beat the best name of any other value by this many points."""
"""Keys this long or shorter (CIP, IFU, fon) match exactly, accents included."""


@dataclass(frozen=True)
class Match:
    value: str
    start: int
    end: int
    """Span in the original text."""
    confidence: float
    text: str
    weak: bool = False
    """Matched on a bare word that only suggests the procedure ("permis")."""


@dataclass(frozen=True)
class _Entry:
    value: str
    weak: bool


def phrase_key(ascii_text: str) -> str:
    """The comparison key of a folded ASCII phrase: content words glued together."""
    return "".join(t for t in TOKEN.findall(ascii_text) if t not in STOPWORDS)


def _short_form(text: str) -> str:
    """Content words of ``text``, folded but with their accents, glued together: the form a
    short key must match exactly, so that the Fon verb "fɔn" is not the language name "fon"."""
    words = re.findall(r"[^\W_]+", fold(text))
    return "".join(w for w in words if strip_diacritics(w) not in STOPWORDS)


# A rough spelling skeleton, so that the sound-alike spellings of SMS writers meet: c/k/qu,
# s/z/ss, -tion/-sion, y/i, doubled letters ("kasier", "cazier" and "casier" all give "kasier").
_SKELETON_RULES = [
    (re.compile(r"ph"), "f"), (re.compile(r"qu"), "k"), (re.compile(r"ch"), "x"),
    (re.compile(r"c(?=[eiy])"), "s"), (re.compile(r"c"), "k"), (re.compile(r"z"), "s"),
    (re.compile(r"tion"), "sion"), (re.compile(r"y"), "i"), (re.compile(r"(.)\1+"), r"\1"),
]


def skeleton(key: str) -> str:
    """The spelling skeleton of a key (see ``_SKELETON_RULES``)."""
    for pattern, repl in _SKELETON_RULES:
        key = pattern.sub(repl, key)
    return key


def _cutoff(length: int) -> float | None:
    """Minimum rapidfuzz ratio between skeletons for a key of ``length`` letters; ``None``:
    exact match only. One substitution in a 6-letter word scores 83.3; long keys must be closer
    in proportion, because two long phrases can share most letters yet name different things
    ("copie acte mariage" / "copie acte naissance" score 79)."""
    if length <= 4:
        return None
    if length <= 6:
        return 83.0
    if length <= 9:
        return 82.0
    return 85.0


def _without_contradicted(candidates: list[tuple[float, int, int, _Entry, float]]
                          ) -> list[tuple[float, int, int, _Entry, float]]:
    """Drop each fuzzy candidate whose words hold an exact name of another value.

    "certificat de nationalité" is a near miss of "certificat de non-faillite" (two long phrases
    sharing most letters), yet "nationalité" names its own procedure exactly: the words typed
    say which one is meant, and the longer fuzzy reading would give another procedure's facts.
    A bare word that only suggests a procedure (weak) contradicts nothing."""
    exact = [(start, end, entry.value) for _rank, start, end, entry, score in candidates
             if score >= 100.0 and not entry.weak]
    return [c for c in candidates if c[4] >= 100.0 or not any(
        c[1] <= start and end <= c[2] and value != c[3].value for start, end, value in exact)]


def _cut_short(typed: str, known: str) -> bool:
    """True when ``typed`` is ``known`` without its ending (two letters or more): "certificate"
    for "certificat vie" (Life certificate), "iwe eri" for "ìwé ẹ̀rí ikú" (death certificate).
    The missing end is the word that tells one such name from another, so reading it in is a
    guess; a slip at the end misses a letter ("casie") or spells it otherwise ("mariaj")."""
    common = 0
    for a, b in zip(typed, known, strict=False):
        if a != b:
            break
        common += 1
    missing, extra = len(known) - common, len(typed) - common
    return (missing >= 3 and extra <= 1) or (missing >= 2 and extra == 0)


class PhraseMatcher:
    """Finds lexicon phrases in a message; one instance per entity (procedure, language)."""

    def __init__(self, table: dict[str, list[str]], weak: dict[str, list[str]] | None = None,
                 common_words: frozenset[str] | set[str] = frozenset()):
        self._entries: dict[str, _Entry] = {}
        self._short: dict[str, set[str]] = {}
        for is_weak, source in ((False, table), (True, weak or {})):
            for value, names in source.items():
                for name in names:
                    key = phrase_key(strip_diacritics(name))
                    if not key:
                        continue
                    self._entries.setdefault(key, _Entry(value, is_weak))
                    if len(key) <= SHORT:
                        self._short.setdefault(key, set()).add(_short_form(name))
        self.common_words = frozenset(common_words)
        # Fuzzy matching compares spelling skeletons, bucketed by length for speed.
        self._skeletons: dict[str, str] = {}
        for key in self._entries:
            if _cutoff(len(key)) is not None:
                self._skeletons.setdefault(skeleton(key), key)
        # Buckets by first letter and length: a typo rarely hits the first letter (this also
        # keeps "connaissance" from "naissance"), and a catalogue of a thousand procedures
        # must not make each candidate scan them all.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for skel in self._skeletons:
            for length in range(len(skel) - 2, len(skel) + 3):
                self._buckets.setdefault((skel[0], length), []).append(skel)

    def _lookup(self, key: str, words: int) -> tuple[_Entry, float] | None:
        """The entry for a candidate key: exact, same skeleton (97), or fuzzy on skeletons.
        A single word known as an ordinary word ("passer") is never matched fuzzily."""
        entry = self._entries.get(key)
        if entry is not None:
            return entry, 100.0
        if _cutoff(len(key)) is None or (words == 1 and key in self.common_words):
            return None
        skel = skeleton(key)
        known = self._skeletons.get(skel)
        if known is not None:
            return self._entries[known], 97.0
        cutoff = _cutoff(len(skel))
        choices = self._buckets.get((skel[0], len(skel)))
        if cutoff is None or not choices:
            return None
        found = process.extract(skel, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=4)
        if not found:
            return None
        if _cut_short(skel, found[0][0]):
            return None
        best = self._entries[self._skeletons[found[0][0]]]
        for other, score, _index in found[1:]:
            # A near miss as close to another procedure's name is a guess between two: no
            # procedure, rather than the facts of the wrong one.
            if (score >= found[0][1] - MARGIN
                    and self._entries[self._skeletons[other]].value != best.value):
                return None
        return best, float(found[0][1])

    def find(self, aligned: AlignedText, exclude: Sequence[tuple[int, int]] = ()) -> list[Match]:
        """Non-overlapping matches in the message, longest first; ``exclude`` lists original
        spans (a reference, an NPI) that must not be read as a phrase."""
        tokens = []
        for m in TOKEN.finditer(aligned.text):
            o_start, o_end = aligned.span(m.start(), m.end())
            if not any(o_start < b and a < o_end for a, b in exclude):
                tokens.append(m)
        candidates: list[tuple[float, int, int, _Entry, float]] = []
        for i, first in enumerate(tokens):
            word = first.group()
            if word in STOPWORDS:
                continue
            for head, start in self._heads(word, first.start()):
                self._extend(aligned, tokens, i, head, start, candidates)
        # Of overlapping candidates for the same value keep the best-scoring one ("permis de
        # conduire" exactly, not "permis de conduire c" fuzzily), then resolve across values
        # longest first.
        candidates = _without_contradicted(candidates)
        candidates.sort(key=lambda c: (c[4], c[2] - c[1]), reverse=True)
        best: list[tuple[float, int, int, _Entry, float]] = []
        for cand in candidates:
            if not any(c[3].value == cand[3].value and cand[1] < c[2] and c[1] < cand[2]
                       for c in best):
                best.append(cand)
        candidates = sorted(best, key=lambda c: c[0], reverse=True)
        chosen: list[Match] = []
        taken: list[tuple[int, int]] = []
        for _, start, end, entry, score in candidates:
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            o_start, o_end = aligned.span(start, end)
            confidence = round(score / 100.0 * (0.6 if entry.weak else 1.0), 3)
            chosen.append(Match(entry.value, o_start, o_end, confidence,
                                aligned.original[o_start:o_end], entry.weak))
        chosen.sort(key=lambda m: m.start)
        return chosen

    @staticmethod
    def _heads(word: str, start: int) -> list[tuple[str, int]]:
        """The first word of a phrase as typed, and without a glued article or possessive
        ("lacte de naissance", "moncasier")."""
        heads = [(word, start)]
        for prefix in PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 4:
                heads.append((word[len(prefix):], start + len(prefix)))
        return heads

    def _extend(self, aligned: AlignedText, tokens: list[re.Match], i: int, head: str,
                start: int, candidates: list[tuple[float, int, int, _Entry, float]]) -> None:
        """Grow a phrase word by word from ``tokens[i]`` and record every lexicon hit."""
        key, words = "", 0
        for j in range(i, len(tokens)):
            if j > i and tokens[j].start() - tokens[j - 1].end() > 3:
                break  # words far apart (punctuation between) are not one phrase
            word = head if j == i else tokens[j].group()
            if word in STOPWORDS:
                continue
            words += 1
            if words > MAX_WORDS:
                break
            key += word
            hit = self._lookup(key, words)
            if hit is not None and len(key) <= SHORT:
                o_start, o_end = aligned.span(start, tokens[j].end())
                if _short_form(aligned.original[o_start:o_end]) not in self._short[key]:
                    hit = None
            if hit is not None:
                entry, score = hit
                # Longer phrases win, but each point of fuzziness costs half a letter, so an
                # exact "acte de mariage" beats a near miss on a longer phrase.
                rank = (len(key) - (100.0 - score) / 2) * (0.5 if entry.weak else 1.0)
                candidates.append((rank, start, tokens[j].end(), entry, score))
