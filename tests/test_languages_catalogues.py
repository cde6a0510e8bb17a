"""The catalogues: complete in French and English, honest about review in Fon and Yoruba.

French is the source: every text marked in the code must be in ``messages.pot``; English must
translate all of it (CI fails otherwise).  Fon and Yoruba are reported, not failed, on how much
is translated and reviewed.  The reviewers' CSV round trip, Fon's locale metadata and adding a
new language (Goun) with a catalogue and a line of configuration are checked on copies.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys

import pytest
from babel import Locale, UnknownLocaleError
from babel.support import Translations

from channels.config import LANGUAGES, ConfigError, Settings
from dialogs import catalogues, i18n
from dialogs.i18n import LANGUAGE_NAMES, LOCALE_DIR, catalogue_path, gettext_for, money
from tests.conftest import artifacts_dir
from tests.ussd_phone import Phone

COMPLETE = ("en",)
"""Languages whose catalogue must translate every text (French is the source)."""


@pytest.fixture(scope="module")
def extracted():
    return {(m.id, m.context) for m in catalogues.extract() if m.id}


def test_the_template_has_every_text_of_the_code(extracted):
    template = {(m.id, m.context) for m in catalogues.read(catalogues.template_path()) if m.id}
    missing = sorted(str(msgid) for msgid, _ctx in extracted - template)
    assert missing == [], "run `make i18n`: texts missing from locales/messages.pot"


@pytest.mark.parametrize("lang", COMPLETE)
def test_english_translates_every_text_of_the_code(extracted, lang):
    catalog = catalogues.read(catalogue_path(lang), lang)
    missing = sorted(str(msgid) for msgid, ctx in extracted
                     if catalog.get(msgid, ctx) is None
                     or not catalogues.is_translated(catalog.get(msgid, ctx)))
    assert missing == []


def test_every_translation_keeps_the_fields_of_the_french():
    problems = [f"{lang}: {catalogues.problem(m)}" for lang in catalogues.languages()
                for m in catalogues.read(catalogue_path(lang), lang) if catalogues.problem(m)]
    assert problems == []


def test_fon_and_yoruba_coverage_is_reported_and_unreviewed_texts_are_marked():
    rows = {row.lang: row for row in catalogues.coverage()}
    report = catalogues.report()
    (artifacts_dir() / "i18n-report.txt").write_text(report + "\n", encoding="utf-8")
    print(report)
    for lang in ("fon", "yo"):
        assert lang in rows and rows[lang].total == rows["fr"].total
        catalog = catalogues.read(catalogue_path(lang), lang)
        assert not [m.id for m in catalog if m.id and m.fuzzy], "mark '# unreviewed', not fuzzy"
    # no native speaker has reviewed these drafts yet: the report must not claim otherwise
    for lang in ("fon", "yo"):
        catalog = catalogues.read(catalogue_path(lang), lang)
        reviewed = [m for m in catalog if catalogues.is_reviewed(m)]
        assert len(reviewed) == rows[lang].reviewed


def test_report_command_prints_both_shares_per_language():
    out = subprocess.run([sys.executable, "-m", "dialogs.catalogues", "report"],
                         capture_output=True, text=True, check=True, cwd=LOCALE_DIR.parent)
    lines = {line.split()[0]: line for line in out.stdout.splitlines() if line.strip()}
    for lang in ("fr", "en", "fon", "yo"):
        assert lang in lines and "%" in lines[lang]
    assert "(source)" in lines["fr"] and "Fongbe" in lines["fon"]
    assert "100%" in lines["en"]


def test_unreviewed_entries_are_compiled_not_skipped():
    assert gettext_for("fon")("Démarches et coûts") == "Azɔ̌ kpo akwɛ kpo"
    assert gettext_for("yo")("Démarches et coûts") == "Ìlànà àti owó"
    entry = catalogues.read(catalogue_path("fon"), "fon").get("Démarches et coûts")
    assert not catalogues.is_reviewed(entry) and catalogues.is_translated(entry)


def test_fon_has_the_locale_metadata_cldr_lacks():
    with pytest.raises(UnknownLocaleError):
        Locale.parse("fon")
    assert LANGUAGE_NAMES["fon"] == "Fongbe" and LANGUAGE_NAMES["yo"] == "Yoruba"
    assert money(1234567, "fon") == money(1234567, "fr")  # fr_BJ: 1 234 567 F CFA
    assert i18n.date("2026-11-22", "fon") == "22/11/2026"
    headers = i18n.catalogue_headers("fon")
    assert headers["Plural-Forms"] == "nplurals=1; plural=0;"
    assert headers[i18n.NAME_HEADER] == "Fongbe"
    found = Translations.load(dirname=str(LOCALE_DIR), locales=["fon"], domain="messages")
    assert found.gettext("Annuler") != "Annuler"


def test_a_missing_or_stale_mo_is_compiled_in_memory(tmp_path, monkeypatch):
    target = tmp_path / "locales"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setenv("GUICHET_LOCALES", str(target))  # a copy without any .mo
    assert gettext_for("yo")("Annuler") == "Fagilé"


def test_pybabel_compiles_fon(tmp_path):
    target = tmp_path / "locales"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    done = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile",
                           "-d", str(target), "-D", "messages", "-l", "fon"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = Translations.load(dirname=str(target), locales=["fon"], domain="messages")
    assert found.gettext("Annuler") == gettext_for("fon")("Annuler")


def test_update_keeps_the_headers_and_the_review_marks(tmp_path):
    target = tmp_path / "locales"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    before = catalogue_path("fon", target).read_text(encoding="utf-8")
    catalogues.update(target)
    after = catalogue_path("fon", target).read_text(encoding="utf-8")
    assert "Plural-Forms: nplurals=1; plural=0;" in after and "X-Language-Name: Fongbe" in after
    assert after.count("# unreviewed") == before.count("# unreviewed")
    assert not catalogues.compile_all(target)
    assert (catalogue_path("fon", target).with_suffix(".mo")).stat().st_size > 1000


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=catalogues.CSV_COLUMNS)
        out.writeheader()
        out.writerows(rows)


def test_csv_round_trip_for_reviewers(tmp_path):
    target = tmp_path / "locales"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    sheets = tmp_path / "review"
    path = catalogues.export_csv("fon", sheets, target)
    rows = _rows(path)
    assert list(rows[0]) == list(catalogues.CSV_COLUMNS)
    assert len(rows) == len([m for m in catalogues.read(catalogue_path("fon", target)) if m.id])
    assert {r["reviewed"] for r in rows} == {"no"}
    assert any(r["msgid"] == "Annuler" and r["english"] == "Cancel" for r in rows)

    original = catalogue_path("fon", target).read_bytes()
    result = catalogues.import_csv(path, "fon", target)  # untouched sheet: nothing changes
    assert (result.changed, result.errors) == (0, ())
    assert catalogue_path("fon", target).read_bytes() == original

    for row in rows:  # a reviewer checks two texts and corrects one of them
        if row["msgid"] == "Annuler":
            row.update(translation="Gbɛ́", reviewed="yes")
        if row["msgid"] == "Confirmer":
            row.update(reviewed="oui")
        if row["msgid"] == "Passer":  # a wrong draft taken out: French until retranslated
            row.update(translation="", reviewed="no")
    _write(path, rows)
    result = catalogues.import_csv(path, "fon", target)
    assert result.changed == 3 and not result.errors
    catalog = catalogues.read(catalogue_path("fon", target), "fon")
    assert catalog.get("Annuler").string == "Gbɛ́" and catalogues.is_reviewed(catalog["Annuler"])
    assert catalogues.is_reviewed(catalog["Confirmer"])
    assert not catalogues.is_reviewed(catalog["Corriger"])
    assert catalog["Passer"].string == "" and catalog["Passer"].user_comments == []
    fon = next(r for r in catalogues.coverage(target) if r.lang == "fon")
    assert (fon.reviewed, fon.missing) == (2, 1)

    for row in rows:  # a broken {field} is refused and nothing is written
        if row["msgid"] == "Coût : {cost}":
            row.update(translation="Akwɛ: {akwɛ}")
        if row["msgid"] == "Corriger":
            row.update(reviewed="yes")
    _write(path, rows)
    before = catalogue_path("fon", target).read_bytes()
    result = catalogues.import_csv(path, "fon", target)
    assert result.errors and "Coût" in result.errors[0]
    assert catalogue_path("fon", target).read_bytes() == before


def test_cli_export_then_import_through_make_targets_arguments(tmp_path):
    target = tmp_path / "locales"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    run = [sys.executable, "-m", "dialogs.catalogues", "--locales", str(target)]
    subprocess.run([*run, "export", "--dir", str(tmp_path / "csv")], check=True,
                   capture_output=True, cwd=LOCALE_DIR.parent)
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "messages-en.csv", "messages-fon.csv", "messages-yo.csv"]
    done = subprocess.run([*run, "import", "--dir", str(tmp_path / "csv")], check=True,
                          capture_output=True, text=True, cwd=LOCALE_DIR.parent)
    assert "fon: imported, 0 changed" in done.stdout


def test_a_new_language_is_a_catalogue_and_a_line_of_configuration(tmp_path, monkeypatch,
                                                                    make_app):
    """Goun (guw): `python -m dialogs.catalogues init guw --name Gungbe`, translate, then
    LANGUAGES=fr,...,guw.  Babel has no data for it either: fr_BJ formats its numbers."""
    target = tmp_path / "locales"
    shutil.copytree(LOCALE_DIR, target, ignore=shutil.ignore_patterns("*.mo"))
    subprocess.run([sys.executable, "-m", "dialogs.catalogues", "--locales", str(target),
                    "init", "guw", "--name", "Gungbe"], check=True, capture_output=True,
                   cwd=LOCALE_DIR.parent)
    po = catalogue_path("guw", target)
    catalog = catalogues.read(po, "guw")
    for message in catalog:  # a translator's first strings, not yet reviewed
        if message.id == "Démarches et coûts":
            message.string = "Azọ̀n lẹ po akuẹ yetọn lẹ po"
            catalogues.mark(message, reviewed=False)
    catalogues.write(catalog, po)
    assert not catalogues.compile_all(target)

    monkeypatch.setenv("GUICHET_LOCALES", str(target))  # the operator's catalogues, Goun added
    with pytest.raises(ConfigError) as bad:
        Settings.from_env({"LANGUAGES": "fr,ddn"})
    assert bad.value.variable == "LANGUAGES"
    assert Settings.from_env({"LANGUAGES": "fr,guw"}).languages == ("fr", "guw")
    assert LANGUAGE_NAMES["guw"] == "Gungbe"
    assert money(1900, "guw") == money(1900, "fr")
    app = make_app(LANGUAGES="fr,guw")
    phone = Phone(app.test_client(), number="+2290197000700")
    assert "2 Gungbe" in phone.dial()
    assert "Azon le po akue yeton le po" in phone.press("2")  # GSM-7, tones dropped
    assert "guw" in catalogues.report(target)


def test_languages_setting_defaults_to_all_four_and_is_checked():
    assert Settings.from_env({}).languages == LANGUAGES == ("fr", "en", "fon", "yo")
    assert Settings.from_env({"LANGUAGES": "fr, EN"}).languages == ("fr", "en")
    for bad in ("fr,xx", "fr,../etc", ","):
        with pytest.raises(ConfigError):
            Settings.from_env({"LANGUAGES": bad})
