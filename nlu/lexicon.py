"""Procedure and language lexicon, built in memory from the live portal catalogue.

The portal is the source of truth for what procedures exist and keeps adding them, so the word
list is never a committed file: :func:`build_lexicon` merges, at start and after every catalogue
refresh, four sources:

- the catalogue's procedures (:class:`CatalogueEntry` dicts): titles in every language and
  their meaningful parts, abbreviations (CIP, IFU), the words of the slug, and the ``keywords``
  per language the portal publishes for colloquial names ("carte grise", "titre foncier");
- the hand-written variants in ``nlu/resources/variants.yml`` (misspellings, SMS spellings, Fon
  and Yoruba names) for the procedures the catalogue still has;
- the procedure spans annotated in the training data.

Without a live catalogue (training, tests, ``python -m nlu.lexicon``) the shipped sandbox
catalogue is read instead. ``python -m nlu.lexicon [CATALOGUE] [--out FILE]`` prints (or writes)
the lexicon in Rasa 3.1 format for ``make rasa-train``; that output is generated, not committed.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.normalize import strip_diacritics
from nlu.trainingdata import iter_entity_spans

NLU_DIR = Path(__file__).resolve().parent
DATA_DIR = NLU_DIR / "data"
VARIANTS_PATH = NLU_DIR / "resources" / "variants.yml"
REPO_DIR = NLU_DIR.parent
CATALOGUE_PATH = REPO_DIR / "integrations" / "portal" / "sandbox" / "catalogue.yaml"

CatalogueEntry = Mapping[str, Any]
"""One procedure as the NLU reads it: ``slug``, ``title`` ``{lang: text}``, ``abbreviations``
``[str]`` and ``keywords`` ``{lang: [str]}`` (the composition root builds these from the
portal client's snapshot; the NLU does not import the portal client)."""


@dataclass
class Lexicon:
    """Variants per value, for the ``procedure`` and ``language`` entities."""

    procedures: dict[str, list[str]] = field(default_factory=dict)
    languages: dict[str, list[str]] = field(default_factory=dict)
    weak: dict[str, list[str]] = field(default_factory=dict)
    """Bare words that only suggest a procedure ("permis"): matched with a lower confidence."""
    unreviewed: set[str] = field(default_factory=set)
    common_words: frozenset[str] = frozenset()
    """Ordinary words that look like a procedure name ("passer"): never matched fuzzily."""


def _title_pieces(title: str) -> list[str]:
    """A title and its meaningful parts: "Casier judiciaire (bulletin n°3)" also yields
    "Casier judiciaire" and "bulletin n°3"; "Carte « C'est moi » et NPI" yields its halves."""
    cleaned = re.sub(r"[«»\"]", " ", title)
    pieces = [cleaned]
    inside = re.findall(r"\(([^)]*)\)", cleaned)
    outside = re.sub(r"\([^)]*\)", " ", cleaned)
    pieces += [outside, *inside]
    for piece in list(pieces):
        pieces += re.split(r"\s+(?:et|and)\s+", piece)
    result = []
    for piece in pieces:
        piece = re.sub(r"\s+", " ", piece).strip(" -,;")
        if sum(ch.isalpha() for ch in piece) >= 3 and piece not in result:
            result.append(piece)
    return result


def entry_names(entry: CatalogueEntry) -> list[str]:
    """Every name the catalogue gives one procedure: titles and their parts, abbreviations,
    the slug's words ("permis-conduire" -> "permis conduire") and the keywords of every
    language."""
    names: list[str] = []
    for title in (entry.get("title") or {}).values():
        names += _title_pieces(str(title))
    names += [str(a) for a in entry.get("abbreviations") or ()]
    slug_words = str(entry["slug"]).replace("-", " ").strip()
    if len(slug_words) >= 5:  # "ifu" alone would be matched exactly anyway, via abbreviations
        names.append(slug_words)
    for words in (entry.get("keywords") or {}).values():
        names += [str(w) for w in words or ()]
    return names


def shipped_catalogue(path: Path = CATALOGUE_PATH) -> list[dict[str, Any]]:
    """The procedures of a catalogue file in the sandbox schema (default: the shipped one)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [{"slug": p["slug"], "title": p.get("title") or {},
             "abbreviations": p.get("abbreviations") or [], "keywords": p.get("keywords") or {}}
            for p in doc["procedures"]]


def _merge(target: dict[str, list[str]], value: str, names: Iterable[str]) -> None:
    seen = {n.casefold() for n in target.setdefault(value, [])}
    for name in names:
        name = str(name).strip()
        if name and name.casefold() not in seen:
            target[value].append(name)
            seen.add(name.casefold())


@functools.lru_cache(maxsize=1)
def _hand_written() -> dict[str, Any]:
    """variants.yml, read once per process (it ships with the code)."""
    loaded: dict[str, Any] = yaml.safe_load(VARIANTS_PATH.read_text(encoding="utf-8"))
    return loaded


@functools.lru_cache(maxsize=4)
def _training_spans(data_dir: Path) -> tuple[tuple[str, str], ...]:
    """``(text, slug)`` of every procedure annotated in the training data (read once)."""
    return tuple((text, value) for path in sorted(data_dir.glob("*.yml"))
                 for entity, text, value in iter_entity_spans(path) if entity == "procedure")


def build_lexicon(entries: Iterable[CatalogueEntry] | None = None,
                  data_dir: Path = DATA_DIR) -> Lexicon:
    """The lexicon of the procedures in ``entries`` (default: the shipped catalogue)."""
    if entries is None:
        entries = shipped_catalogue()
    hand = _hand_written()
    lex = Lexicon()
    for entry in entries:
        _merge(lex.procedures, str(entry["slug"]), entry_names(entry))
    for slug, extra in hand["procedures"].items():
        if slug not in lex.procedures:
            continue  # the portal withdrew it: its variants must not bring it back
        _merge(lex.procedures, slug, extra.get("variants", []) + extra.get("unreviewed", []))
        lex.unreviewed.update(extra.get("unreviewed", []))
        if extra.get("weak"):
            lex.weak[slug] = list(extra["weak"])
    for code, extra in hand["languages"].items():
        _merge(lex.languages, code, extra.get("variants", []) + extra.get("unreviewed", []))
        lex.unreviewed.update(extra.get("unreviewed", []))
    for text, slug in _training_spans(data_dir):
        if slug in lex.procedures:
            _merge(lex.procedures, slug, [text])
    for slug, weak in lex.weak.items():  # a bare "permis" annotated in training stays weak
        bare = {w.casefold() for w in weak}
        lex.procedures[slug] = [n for n in lex.procedures[slug] if n.casefold() not in bare]
    lex.common_words = frozenset(strip_diacritics(w) for w in hand.get("ordinary_words", []))
    return lex


def _block(kind: str, name: str, names: list[str], unreviewed: set[str]) -> list[str]:
    lines = []
    flagged = [n for n in names if n in unreviewed]
    if flagged:
        lines.append(f"# unreviewed by a native speaker: {', '.join(flagged)}")
    lines += [f"- {kind}: {name}", "  examples: |"]
    lines += [f"    - {n}" for n in names]
    return lines


def render(lex: Lexicon) -> str:
    """The Rasa 3.1 YAML text of the lexicon (for training Rasa on the same names)."""
    lines = [
        "# Generated by `python -m nlu.lexicon` from the portal catalogue,",
        "# nlu/resources/variants.yml and the training data. Not committed: regenerate it.",
        'version: "3.1"',
        "nlu:",
    ]
    for value, names in (*lex.procedures.items(), *lex.languages.items()):
        lines += _block("synonym", value, names, lex.unreviewed)
    every = [n for names in lex.procedures.values() for n in names]
    lines += _block("lookup", "procedure", every, lex.unreviewed)
    every = [n for names in lex.languages.values() for n in names]
    lines += _block("lookup", "language", every, lex.unreviewed)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the lexicon in Rasa format, or write it to ``--out``."""
    parser = argparse.ArgumentParser(description="The NLU lexicon in Rasa 3.1 format.")
    parser.add_argument("catalogue", nargs="?", type=Path, default=CATALOGUE_PATH)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    lex = build_lexicon(shipped_catalogue(args.catalogue))
    text = render(lex)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    count = sum(len(v) for v in lex.procedures.values())
    print(f"wrote {args.out}: {len(lex.procedures)} procedures, {count} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
