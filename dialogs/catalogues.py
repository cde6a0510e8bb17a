"""Catalogue tooling: extract, update, compile, report, and the reviewers' CSV round trip.

``make i18n`` runs ``extract``, ``update`` and ``compile``; ``make i18n-compile`` (run by ``make
run`` and ``make test``) only ``compile``; ``make i18n-report``, ``i18n-export`` and
``i18n-import`` run the commands of the same names (``python -m dialogs.catalogues --help``).

Review convention: a translation that no native speaker has reviewed carries the translator
comment ``# unreviewed`` in its ``.po`` file.  It is compiled and shown like any other (a citizen
reads a best-effort Fon sentence rather than French); ``#, fuzzy`` is not used for this because
Babel's compile skips fuzzy entries.  A reviewer removes the comment (in the ``.po`` file, or by
answering ``yes`` in the ``reviewed`` column of the CSV); the report counts both shares.

Why not plain ``pybabel``: it refuses ``init -l fon`` (CLDR has no Fon) and its ``update`` drops
the ``Plural-Forms`` and ``X-Language-Name`` headers of such a catalogue.  The code here uses
Babel's own reader and writers and keeps them.  It also extracts texts written
``gettext_for(lang)("...")`` or ``self._t(conv)("...")``, which Babel's extractor does not see.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.extract import extract_python as babel_extract_python
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from dialogs.i18n import (
    DOMAIN,
    LOCALE_DIR,
    NAME_HEADER,
    SOURCE,
    catalogue_languages,
    catalogue_path,
)
from dialogs.pofile import (  # noqa: F401 - the tooling's names for what it shares
    UNREVIEWED,
    LocalCatalog,
    compile_bytes,
    is_reviewed,
    is_translated,
    mark,
    placeholders,
    problem,
    read,
)

ROOT = LOCALE_DIR.parent
DEFAULT_PLURAL_FORMS = "nplurals=1; plural=0;"
"""For a new language CLDR does not know: no plural agreement (Gbe languages mark a plural with
a particle, not by the number); change it in the header when a reviewer says otherwise."""
HEADER_COMMENT = """\
# {name} ({lang}) translations of Guichet; French is the source language.
# An entry marked "# unreviewed" has not been checked by a native speaker: a reviewer removes
# the mark (or answers "yes" in the CSV of make i18n-export, then make i18n-import).
# Never use "#, fuzzy" for this: compiling skips fuzzy entries."""
CSV_COLUMNS = ("msgid", "context", "translation", "reviewed", "english")
TRANSLATORS = {"gettext_for", "_t"}
"""Calls returning a ``_`` function, so that ``gettext_for(lang)("texte")`` is extracted."""


def write(catalog: Catalog, path: Path, *, omit_header: bool = False, width: int = 100) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=width, omit_header=omit_header, no_location=True,
             sort_output=True, include_previous=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def template_path(locale_dir: Path | None = None) -> Path:
    return (locale_dir or LOCALE_DIR) / f"{DOMAIN}.pot"


def languages(locale_dir: Path | None = None) -> list[str]:
    """Every language with a catalogue: English first, then by code."""
    found = catalogue_languages(locale_dir)
    return sorted(found, key=lambda code: (code != "en", code))


# -- extract, update, compile -----------------------------------------------------------------

def extract_python(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel's Python extractor, plus ``gettext_for(lang)("...")`` and ``self._t(c)("...")``."""
    source = fileobj.read()
    yield from babel_extract_python(io.BytesIO(source), keywords, comment_tags, options)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and node.args):
            continue
        inner = node.func.func
        name = inner.id if isinstance(inner, ast.Name) else getattr(inner, "attr", None)
        first = node.args[0]
        if name in TRANSLATORS and isinstance(first, ast.Constant) and isinstance(first.value,
                                                                                  str):
            yield first.lineno, "gettext", first.value, []


def extract(root: Path = ROOT) -> Catalog:
    """Every marked text of the code base, as ``pybabel extract -F babel.cfg`` finds it."""
    with open(root / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    method_map = [(pattern, "dialogs.catalogues:extract_python" if method == "python" else method)
                  for pattern, method in method_map]
    catalog = Catalog(domain=DOMAIN, project="Guichet")
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, keywords=DEFAULT_KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_template(catalog: Catalog, locale_dir: Path | None = None) -> Path:
    path = template_path(locale_dir)
    write(catalog, path, omit_header=True, width=76)
    return path


def update(locale_dir: Path | None = None) -> list[tuple[str, int, int]]:
    """Merge the template into every catalogue; returns (lang, new untranslated, obsolete)."""
    template = read(template_path(locale_dir))
    done = []
    for lang in languages(locale_dir):
        path = catalogue_path(lang, locale_dir)
        catalog = read(path, lang)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        write(catalog, path)
        missing = sum(1 for m in catalog if m.id and not is_translated(m))
        done.append((lang, missing, len(catalog.obsolete)))
    return done


def compile_all(locale_dir: Path | None = None) -> list[str]:
    """Write every ``.mo``; returns the problems found (entries left out)."""
    errors: list[str] = []
    for lang in languages(locale_dir):
        po = catalogue_path(lang, locale_dir)
        po.with_suffix(".mo").write_bytes(compile_bytes(po, lang, errors))
    return errors


def init(lang: str, name: str, plural_forms: str = DEFAULT_PLURAL_FORMS,
         locale_dir: Path | None = None) -> Path:
    """Start the catalogue of a new language (``guw``, ``bba``, ``ddn``...) from the template."""
    path = catalogue_path(lang, locale_dir)
    if path.exists():
        raise FileExistsError(path)
    catalog = LocalCatalog(locale=lang, domain=DOMAIN, project="Guichet", fuzzy=False,
                           language_team=f"{name} <{lang}@guichet>",
                           last_translator="none yet", header_comment=HEADER_COMMENT.format(
                               name=name, lang=lang))
    catalog.mime_headers = [("Plural-Forms", plural_forms), (NAME_HEADER, name)]
    for message in read(template_path(locale_dir)):
        if message.id:
            catalog.add(message.id, "", auto_comments=message.auto_comments,
                        flags=message.flags, context=message.context)
    write(catalog, path)
    return path


# -- report -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    lang: str
    total: int
    translated: int
    reviewed: int

    @property
    def translated_share(self) -> float:
        return self.translated / self.total if self.total else 1.0

    @property
    def reviewed_share(self) -> float:
        return self.reviewed / self.total if self.total else 1.0

    @property
    def missing(self) -> int:
        return self.total - self.translated


def coverage(locale_dir: Path | None = None) -> list[Coverage]:
    """Per language, against the template: how many texts are translated, how many reviewed."""
    ids = [(m.id, m.context) for m in read(template_path(locale_dir)) if m.id]
    rows = [Coverage(SOURCE, len(ids), len(ids), len(ids))]
    for lang in languages(locale_dir):
        catalog = read(catalogue_path(lang, locale_dir), lang)
        found = [catalog.get(msgid, context) for msgid, context in ids]
        ok = [m for m in found if m is not None and is_translated(m) and not problem(m)]
        rows.append(Coverage(lang, len(ids), len(ok), sum(1 for m in ok if is_reviewed(m))))
    return rows


def report(locale_dir: Path | None = None) -> str:
    from dialogs.i18n import LANGUAGE_NAMES

    lines = [f"{'lang':<5} {'name':<10} {'texts':>5}  {'translated':>11}  {'reviewed':>11}"]
    for row in coverage(locale_dir):
        name = LANGUAGE_NAMES.get(row.lang, row.lang)
        reviewed = "(source)" if row.lang == SOURCE else (
            f"{row.reviewed:>4} {row.reviewed_share:>5.0%}")
        lines.append(f"{row.lang:<5} {name:<10} {row.total:>5}  "
                     f"{row.translated:>4} {row.translated_share:>5.0%}  {reviewed:>11}")
    lines.append(f"reviewed = checked by a native speaker (no '# {UNREVIEWED}' comment)")
    return "\n".join(lines)


# -- CSV round trip for reviewers -------------------------------------------------------------

def csv_path(lang: str, folder: Path) -> Path:
    return folder / f"{DOMAIN}-{lang}.csv"


def export_csv(lang: str, folder: Path, locale_dir: Path | None = None) -> Path:
    """One row per text: the French, its context, the translation, reviewed yes/no, English."""
    catalog = read(catalogue_path(lang, locale_dir), lang)
    english_path = catalogue_path("en", locale_dir)
    english = read(english_path, "en") if english_path.is_file() else None
    path = csv_path(lang, folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel reads UTF-8
        out = csv.writer(handle)
        out.writerow(CSV_COLUMNS)
        for message in sorted((m for m in catalog if m.id and isinstance(m.id, str)),
                              key=lambda m: (m.context or "", m.id)):
            en = english.get(message.id, message.context) if english else None
            out.writerow([message.id, message.context or "", message.string or "",
                          "yes" if is_reviewed(message) else "no",
                          (en.string if en is not None else "") or ""])
    return path


@dataclass
class ImportResult:
    lang: str
    changed: int = 0
    unchanged: int = 0
    unknown: int = 0
    errors: tuple[str, ...] = ()


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "y", "oui", "o", "1", "true", "x", "ɛɛn", "beeni")


def import_csv(path: Path, lang: str, locale_dir: Path | None = None) -> ImportResult:
    """Apply a reviewed CSV to the catalogue of ``lang``; nothing is written if a row is wrong
    (a translation that loses or invents a ``{field}``), so a bad sheet cannot break a screen."""
    po = catalogue_path(lang, locale_dir)
    catalog = read(po, lang)
    result = ImportResult(lang)
    errors: list[str] = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        msgid, context = row.get("msgid") or "", (row.get("context") or "") or None
        message = catalog.get(msgid, context)
        if not msgid or message is None:
            result.unknown += 1
            continue
        before = (message.string, is_reviewed(message), tuple(message.user_comments))
        message.string = (row.get("translation") or "").strip()
        message.flags.discard("fuzzy")
        # an empty translation has nothing to review: it carries no mark either way
        mark(message, reviewed=_yes(row.get("reviewed") or "") or not message.string)
        why = problem(message)
        if why:
            errors.append(f"{path.name} line {number}: {why}")
        if (message.string, is_reviewed(message), tuple(message.user_comments)) != before:
            result.changed += 1
        else:
            result.unchanged += 1
    result.errors = tuple(errors)
    if result.changed and not errors:  # an untouched sheet leaves the file as it was
        write(catalog, po)
    return result


# -- command line -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dialogs.catalogues", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locales", type=Path, default=None, help="catalogue folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract", help="write locales/messages.pot from the code")
    sub.add_parser("update", help="merge messages.pot into every catalogue")
    sub.add_parser("compile", help="write every .mo (unreviewed entries included)")
    sub.add_parser("report", help="per language: share translated, share reviewed")
    check = sub.add_parser("check", help="fail if a language misses a text or breaks a {field}")
    check.add_argument("--complete", default="en", help="languages that must be complete")
    new = sub.add_parser("init", help="start the catalogue of a new language")
    new.add_argument("lang")
    new.add_argument("--name", required=True, help="its name in that language (menu label)")
    new.add_argument("--plural-forms", default=DEFAULT_PLURAL_FORMS)
    for name in ("export", "import"):
        cmd = sub.add_parser(name, help=f"{name} one CSV per language for reviewers")
        cmd.add_argument("--dir", type=Path, default=ROOT / "var" / "i18n")
        cmd.add_argument("--lang", action="append", help="only these languages")
    args = parser.parse_args(argv)
    locale_dir = args.locales
    if args.command == "extract":
        path = write_template(extract(), locale_dir)
        print(f"extracted {len(read(path))} texts into {path}")
    elif args.command == "update":
        for lang, missing, obsolete in update(locale_dir):
            print(f"updated {lang}: {missing} untranslated, {obsolete} obsolete")
    elif args.command == "compile":
        for error in compile_all(locale_dir):
            print(f"left out: {error}", file=sys.stderr)
    elif args.command == "report":
        print(report(locale_dir))
    elif args.command == "check":
        required = [code for code in args.complete.split(",") if code and code != SOURCE]
        failed = False
        for row in coverage(locale_dir):
            if row.lang in required and row.missing:
                print(f"{row.lang}: {row.missing} texts untranslated", file=sys.stderr)
                failed = True
        for lang in languages(locale_dir):
            for message in read(catalogue_path(lang, locale_dir), lang):
                if problem(message):
                    print(f"{lang}: {problem(message)}", file=sys.stderr)
                    failed = True
        return 1 if failed else 0
    elif args.command == "init":
        print(f"created {init(args.lang, args.name, args.plural_forms, locale_dir)}")
    elif args.command == "export":
        for lang in args.lang or languages(locale_dir):
            print(f"wrote {export_csv(lang, args.dir, locale_dir)}")
    elif args.command == "import":
        status = 0
        for lang in args.lang or languages(locale_dir):
            path = csv_path(lang, args.dir)
            if not path.is_file():
                continue
            result = import_csv(path, lang, locale_dir)
            for error in result.errors:
                print(error, file=sys.stderr)
            status |= bool(result.errors)
            state = "not imported" if result.errors else "imported"
            print(f"{lang}: {state}, {result.changed} changed, {result.unchanged} unchanged, "
                  f"{result.unknown} unknown rows")
        return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
