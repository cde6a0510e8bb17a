"""Procedure and language lexicon: generated from the portal catalogue, read at run time.

``python -m nlu.lexicon`` (re)writes ``nlu/data/lexicon.yml`` in Rasa 3.1 format (``synonym`` and
``lookup`` items) from three sources: the catalogue's titles and abbreviations (the portal is the
source of truth for what procedures exist), the hand-written variants in
``nlu/resources/variants.yml`` (misspellings, SMS spellings, Fon and Yoruba names) and the
procedure spans annotated in the training data. The file is committed, so the embedded model and
Rasa both work without the catalogue at run time; rerun the script when the catalogue changes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlu.languages import LANGUAGE_CODES
from nlu.normalize import strip_diacritics
from nlu.trainingdata import iter_entity_spans

NLU_DIR = Path(__file__).resolve().parent
DATA_DIR = NLU_DIR / "data"
LEXICON_PATH = DATA_DIR / "lexicon.yml"
VARIANTS_PATH = NLU_DIR / "resources" / "variants.yml"
REPO_DIR = NLU_DIR.parent
CATALOGUE_PATH = REPO_DIR / "integrations" / "portal" / "sandbox" / "catalogue.yaml"
FACTS_PATH = REPO_DIR.parent / "shared" / "facts" / "procedures.yaml"


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


def catalogue_variants(path: Path | None = None) -> tuple[dict[str, list[str]], Path]:
    """Titles and abbreviations per slug from the portal catalogue, or from the facts file when
    the catalogue is not there (its ``title_fr`` only)."""
    if path is None:
        path = CATALOGUE_PATH if CATALOGUE_PATH.exists() else FACTS_PATH
    text = path.read_text(encoding="utf-8")
    if path == FACTS_PATH:  # only its procedures section is needed (the rest is prose-like)
        text = text.split("\ncontext:", 1)[0]
    doc = yaml.safe_load(text)
    found: dict[str, list[str]] = {}
    procedures = doc["procedures"]
    if isinstance(procedures, dict):  # facts/procedures.yaml: {slug: {title_fr: ...}}
        procedures = [{"slug": slug, "title": {"fr": p.get("title_fr", "")}}
                      for slug, p in procedures.items()]
    for proc in procedures:
        names: list[str] = []
        for title in (proc.get("title") or {}).values():
            names += _title_pieces(str(title))
        names += [str(a) for a in proc.get("abbreviations") or []]
        found[proc["slug"]] = names
    return found, path


def _merge(target: dict[str, list[str]], value: str, names: list[str]) -> None:
    seen = {n.casefold() for n in target.setdefault(value, [])}
    for name in names:
        name = str(name).strip()
        if name and name.casefold() not in seen:
            target[value].append(name)
            seen.add(name.casefold())


def build_lexicon(catalogue: Path | None = None) -> tuple[Lexicon, Path]:
    """Merge the catalogue, the hand-written variants and the annotated training spans."""
    from_catalogue, source = catalogue_variants(catalogue)
    hand = yaml.safe_load(VARIANTS_PATH.read_text(encoding="utf-8"))
    lex = Lexicon()
    for slug, names in from_catalogue.items():
        _merge(lex.procedures, slug, names)
    for slug, entry in hand["procedures"].items():
        if slug not in lex.procedures:
            print(f"warning: {slug} is in variants.yml but not in {source}", file=sys.stderr)
            continue
        _merge(lex.procedures, slug, entry.get("variants", []) + entry.get("unreviewed", []))
        lex.unreviewed.update(entry.get("unreviewed", []))
        if entry.get("weak"):
            lex.weak[slug] = list(entry["weak"])
    for code, entry in hand["languages"].items():
        _merge(lex.languages, code, entry.get("variants", []) + entry.get("unreviewed", []))
        lex.unreviewed.update(entry.get("unreviewed", []))
    for path in sorted(DATA_DIR.glob("*.yml")):
        if path == LEXICON_PATH:
            continue
        for entity, text, value in iter_entity_spans(path):
            if entity == "procedure" and value in lex.procedures:
                _merge(lex.procedures, value, [text])
    return lex, source


def _block(kind: str, name: str, names: list[str], unreviewed: set[str]) -> list[str]:
    lines = []
    flagged = [n for n in names if n in unreviewed]
    if flagged:
        lines.append(f"# unreviewed by a native speaker: {', '.join(flagged)}")
    lines += [f"- {kind}: {name}", "  examples: |"]
    lines += [f"    - {n}" for n in names]
    return lines


def render(lex: Lexicon, source: Path) -> str:
    """The Rasa 3.1 YAML text of the lexicon."""
    if source.is_relative_to(REPO_DIR):
        shown = str(source.relative_to(REPO_DIR))
    elif source.is_relative_to(REPO_DIR.parent):
        shown = f"../{source.relative_to(REPO_DIR.parent)}"
    else:
        shown = source.name
    lines = [
        "# Generated by `python -m nlu.lexicon` (make nlu-lexicon) from the portal catalogue",
        f"# ({shown}), nlu/resources/variants.yml",
        "# and the procedure spans annotated in nlu/data. Do not edit: edit those and rerun.",
        'version: "3.1"',
        "nlu:",
    ]
    for slug, names in lex.procedures.items():
        lines += _block("synonym", slug, names, lex.unreviewed)
    for code, names in lex.languages.items():
        lines += _block("synonym", code, names, lex.unreviewed)
    every = [n for names in lex.procedures.values() for n in names]
    lines += _block("lookup", "procedure", every, lex.unreviewed)
    every = [n for names in lex.languages.values() for n in names]
    lines += _block("lookup", "language", every, lex.unreviewed)
    return "\n".join(lines) + "\n"


def read_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """Read the generated lexicon back (run time: no catalogue needed)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    lex = Lexicon()
    for item in doc.get("nlu", []):
        if "synonym" not in item:
            continue
        value = str(item["synonym"])
        names = [line[2:].strip() for line in item["examples"].splitlines()
                 if line.startswith("- ")]
        (lex.languages if value in LANGUAGE_CODES else lex.procedures)[value] = names
    hand = yaml.safe_load(VARIANTS_PATH.read_text(encoding="utf-8"))
    for slug, entry in hand["procedures"].items():
        if entry.get("weak"):
            lex.weak[slug] = list(entry["weak"])
    lex.common_words = frozenset(strip_diacritics(w) for w in hand.get("ordinary_words", []))
    return lex


def main(argv: list[str] | None = None) -> int:
    """Write nlu/data/lexicon.yml; an optional argument names another catalogue file."""
    args = sys.argv[1:] if argv is None else argv
    lex, source = build_lexicon(Path(args[0]) if args else None)
    LEXICON_PATH.write_text(render(lex, source), encoding="utf-8")
    count = sum(len(v) for v in lex.procedures.values())
    print(f"wrote {LEXICON_PATH.relative_to(REPO_DIR)}: {len(lex.procedures)} procedures, "
          f"{count} variants, from {source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
