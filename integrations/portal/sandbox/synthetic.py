"""A synthetic catalogue at national scale, in the sandbox's schema (``catalogue.yaml``).

service-public.bj describes about 150 procedures and 25+ e-services and keeps adding them; the
sandbox ships 16.  This writes a deterministic catalogue of any size (same arguments, same
file) with realistic French titles (and English ones) across many themes, some fees unknown
(``null``: shown "à confirmer"), a few abbreviations and published short codes, and small
e-service forms like the shipped ones, so menus, search and benchmarks can be tried at 150 or
1,000 procedures::

    python -m integrations.portal.sandbox.synthetic --procedures 150 --eservices 40 -o cat.yaml

The content is invented for load and navigation only: it is not a source of facts.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import yaml

SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's dumper when PyYAML has it: a 1,000-procedure file in a fraction of the time."""

CATEGORIES: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("etat-civil", "État civil", "Civil status", [
        ("acte de naissance", "birth certificate"), ("acte de mariage", "marriage certificate"),
        ("acte de décès", "death certificate"), ("certificat de vie", "life certificate"),
        ("livret de famille", "family booklet"), ("certificat de célibat", "single status"),
        ("jugement supplétif", "substitute judgment"), ("certificat de non-remariage",
                                                         "non-remarriage certificate")]),
    ("justice", "Justice", "Justice", [
        ("casier judiciaire", "criminal record"), ("certificat de nationalité",
                                                   "nationality certificate"),
        ("légalisation de signature", "signature legalisation"), ("copie de jugement",
                                                                  "copy of judgment"),
        ("certificat de non-appel", "no-appeal certificate"), ("procuration", "power of attorney"),
        ("aide juridictionnelle", "legal aid")]),
    ("identite-voyage", "Identité et voyage", "Identity and travel", [
        ("passeport", "passport"), ("carte d'identité", "identity card"),
        ("certificat d'identification personnelle", "personal identification certificate"),
        ("visa de séjour", "residence visa"), ("carte de séjour", "residence card"),
        ("laissez-passer", "travel pass"), ("carte consulaire", "consular card")]),
    ("transports", "Transports", "Transport", [
        ("permis de conduire", "driving licence"), ("carte grise", "vehicle registration"),
        ("visite technique", "roadworthiness test"), ("licence de transport", "transport licence"),
        ("plaque d'immatriculation", "number plate"), ("permis de bateau", "boat licence"),
        ("autorisation de transport scolaire", "school transport permit")]),
    ("foncier-urbanisme", "Foncier et urbanisme", "Land and planning", [
        ("permis de construire", "building permit"), ("titre foncier", "land title"),
        ("certificat de propriété", "certificate of ownership"), ("permis de démolir",
                                                                  "demolition permit"),
        ("certificat d'urbanisme", "planning certificate"), ("morcellement de parcelle",
                                                             "plot division"),
        ("attestation de détention coutumière", "customary holding certificate")]),
    ("education", "Éducation", "Education", [
        ("diplôme du BEPC", "BEPC diploma"), ("diplôme du baccalauréat", "baccalaureate diploma"),
        ("relevé de notes", "transcript"), ("équivalence de diplôme", "diploma equivalence"),
        ("bourse d'études", "study grant"), ("inscription aux examens", "exam registration"),
        ("certificat de scolarité", "school certificate"), ("diplôme du CEP", "CEP diploma")]),
    ("sante", "Santé", "Health", [
        ("carnet de vaccination", "vaccination record"), ("certificat médical",
                                                          "medical certificate"),
        ("autorisation d'ouverture de pharmacie", "pharmacy licence"),
        ("agrément de clinique", "clinic approval"), ("évacuation sanitaire",
                                                      "medical evacuation"),
        ("assurance maladie", "health insurance"), ("carte d'invalidité", "disability card")]),
    ("commerce", "Commerce et entreprise", "Trade and business", [
        ("registre de commerce", "trade register"), ("carte de commerçant", "trader card"),
        ("licence d'importation", "import licence"), ("agrément d'entreprise", "business approval"),
        ("autorisation d'exercer", "licence to practise"), ("déclaration de marque",
                                                            "trademark filing"),
        ("certificat d'origine", "certificate of origin")]),
    ("emploi", "Emploi et travail", "Jobs and work", [
        ("contrat de travail", "employment contract"), ("attestation de travail",
                                                        "work certificate"),
        ("carte de demandeur d'emploi", "jobseeker card"), ("autorisation de travail",
                                                            "work permit"),
        ("déclaration d'accident du travail", "work accident report"),
        ("certificat de cessation", "end of work certificate"), ("stage professionnel",
                                                                 "professional internship")]),
    ("fiscalite", "Fiscalité", "Taxes", [
        ("numéro fiscal", "tax number"), ("attestation fiscale", "tax certificate"),
        ("quitus fiscal", "tax clearance"), ("déclaration de revenus", "income return"),
        ("taxe foncière", "property tax"), ("vignette automobile", "car tax disc"),
        ("exonération fiscale", "tax exemption")]),
    ("agriculture", "Agriculture et élevage", "Farming", [
        ("carte de producteur", "farmer card"), ("certificat phytosanitaire",
                                                 "phytosanitary certificate"),
        ("agrément de semences", "seed approval"), ("permis de pêche", "fishing permit"),
        ("certificat vétérinaire", "veterinary certificate"), ("permis de chasse",
                                                               "hunting permit"),
        ("subvention d'intrants", "input subsidy")]),
    ("securite-sociale", "Sécurité sociale", "Social security", [
        ("pension de retraite", "retirement pension"), ("allocations familiales",
                                                        "family allowance"),
        ("immatriculation à la CNSS", "CNSS registration"), ("pension de réversion",
                                                             "survivor pension"),
        ("rente d'accident", "accident annuity"), ("carte d'assuré social",
                                                   "social insurance card")]),
    ("environnement", "Environnement", "Environment", [
        ("permis environnemental", "environmental permit"), ("autorisation d'abattage",
                                                             "tree felling permit"),
        ("certificat de conformité environnementale", "environmental compliance"),
        ("autorisation de forage", "borehole permit"), ("permis d'exploitation de carrière",
                                                        "quarry permit")]),
    ("culture-sport", "Culture et sport", "Culture and sport", [
        ("agrément d'association", "association approval"), ("licence sportive",
                                                              "sports licence"),
        ("autorisation de spectacle", "show permit"), ("carte d'artiste", "artist card"),
        ("déclaration d'association", "association filing"), ("autorisation de tournage",
                                                              "filming permit")]),
]
"""Themes, each with the documents its procedures are about (French, English)."""

ACTIONS: list[tuple[str, str]] = [
    ("Demande de {o}", "Application for {o}"),
    ("Renouvellement de {o}", "Renewal of {o}"),
    ("Duplicata de {o}", "Duplicate of {o}"),
    ("Rectification de {o}", "Correction of {o}"),
    ("Attestation de {o}", "Certificate of {o}"),
    ("Authentification de {o}", "Authentication of {o}"),
    ("Transfert de {o}", "Transfer of {o}"),
]
DEPARTMENTS = ["Alibori", "Atacora", "Atlantique", "Borgou", "Collines", "Couffo", "Donga",
               "Littoral", "Mono", "Ouémé", "Plateau", "Zou"]
ANCHORS: list[tuple[str, str, str, str, list[str]]] = [
    ("identite-voyage", "cip-synthetique", "Certificat d'identification personnelle (CIP)",
     "Personal identification certificate (CIP)", ["CIP"]),
    ("identite-voyage", "npi-anip", "Numéro personnel d'identification auprès de l'ANIP",
     "Personal identification number from ANIP", ["ANIP", "NPI"]),
    ("fiscalite", "ifu-synthetique", "Identifiant fiscal unique (IFU)",
     "Single tax identifier (IFU)", ["IFU"]),
    ("commerce", "rccm", "Registre du commerce et du crédit mobilier (RCCM)",
     "Trade and personal property credit register (RCCM)", ["RCCM"]),
]
"""Procedures known by their initials: a search by "CIP" or "ANIP" must find them."""
DELAYS = [("24 heures", "24 hours"), ("72 heures", "72 hours"), ("7 jours", "7 days"),
          ("15 jours", "15 days"), ("1 mois", "1 month")]
WHERES = [("Mairie de la commune", "Town hall"), ("En ligne sur service-public.bj",
                                                  "Online at service-public.bj"),
          ("Direction départementale", "Departmental directorate"), ("Tribunal de première "
                                                                    "instance", "Court")]


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60]


def _elide(title: str) -> str:
    """French elision: "Demande de acte" -> "Demande d'acte"."""
    return re.sub(r"\bde ([aeiouyhéèêAEIOUÉ])", r"d'\1", title)


def _titles(rng: random.Random) -> list[tuple[str, str, str]]:
    """Every (category, French title, English title), themes interleaved, in a fixed order."""
    per_theme: list[list[tuple[str, str, str]]] = []
    for slug, _fr, _en, objects in CATEGORIES:
        combos = [(slug, _elide(fa.format(o=fo)), ea.format(o=eo))
                  for fo, eo in objects for fa, ea in ACTIONS]
        rng.shuffle(combos)
        per_theme.append(combos)
    out: list[tuple[str, str, str]] = []
    for i in range(max(len(t) for t in per_theme)):
        out.extend(t[i] for t in per_theme if i < len(t))
    return out


def _form(rng: random.Random, fee: int | None) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"name": "npi", "label": {"fr": "Votre NPI (10 chiffres)", "en": "Your NPI (10 digits)"},
         "type": "npi", "required": True, "pattern": r"^\d{10}$",
         "hint": {"fr": "Ex. : 1234567890", "en": "E.g. 1234567890"}, "max_length": 10},
        {"name": "nom", "label": {"fr": "Nom de famille", "en": "Surname"}, "type": "text",
         "required": True, "pattern": "^[A-Za-zÀ-ÖØ-öø-ÿ' -]+$",
         "hint": {"fr": "Lettres seulement", "en": "Letters only"}, "max_length": 40},
    ]
    extra = rng.choice(["date", "choice", "commune"])
    if extra == "date":
        fields.append({"name": "date_naissance", "label": {"fr": "Date de naissance",
                                                          "en": "Date of birth"},
                       "type": "date", "not_future": True, "required": True,
                       "hint": {"fr": "JJ/MM/AAAA, ex. 05/03/1990",
                                "en": "DD/MM/YYYY, e.g. 05/03/1990"}, "max_length": 10})
    elif extra == "choice":
        fields.append({"name": "motif", "label": {"fr": "Motif de la demande",
                                                  "en": "Purpose of the request"},
                       "type": "choice", "required": True,
                       "hint": {"fr": "Choisissez un motif", "en": "Choose a purpose"},
                       "options": [{"value": "personnel", "label": {"fr": "Personnel",
                                                                    "en": "Personal"}},
                                   {"value": "emploi", "label": {"fr": "Emploi", "en": "Job"}},
                                   {"value": "autre", "label": {"fr": "Autre", "en": "Other"}}]})
    else:
        fields.append({"name": "commune", "label": {"fr": "Commune", "en": "Town"},
                       "type": "text", "required": True,
                       "hint": {"fr": "Ex. : Parakou", "en": "E.g. Parakou"}, "max_length": 40})
    return {"fee_xof": fee, "fields": fields}


def generate(procedures: int = 150, eservices: int = 40, seed: int = 229) -> dict[str, Any]:
    """The catalogue as the YAML's data: ``procedures`` sheets, ``eservices`` of them with a
    form.  Deterministic for given arguments."""
    rng = random.Random(seed)
    titles = _titles(rng)
    rows: list[tuple[str, str, str, str, list[str]]] = [
        (c, s, fr, en, ab) for c, s, fr, en, ab in ANCHORS][:procedures]
    used = {r[1] for r in rows}
    round_ = 0
    while len(rows) < procedures:
        for category, fr, en in titles:
            if len(rows) >= procedures:
                break
            if round_:
                place = DEPARTMENTS[(round_ - 1) % len(DEPARTMENTS)]
                fr, en = f"{fr} - {place}", f"{en} - {place}"
            slug = slugify(fr)
            if slug in used:
                continue
            used.add(slug)
            rows.append((category, slug, fr, en, []))
        round_ += 1
        if round_ > len(DEPARTMENTS) + 1:
            raise ValueError(f"cannot write {procedures} distinct procedures")
    with_form = set(rng.sample(range(len(rows)), min(eservices, len(rows))))
    out_procs: list[dict[str, Any]] = []
    forms: dict[str, Any] = {}
    for i, (category, slug, fr, en, abbreviations) in enumerate(rows):
        fee = rng.choice([None, None, 0, 1000, 1500, 2000, 2500, 5000, 10000, 25000])
        delay = rng.choice(DELAYS + [None])
        where = rng.choice(WHERES)
        proc: dict[str, Any] = {
            "slug": slug, "category": category,
            "title": {"fr": fr[:1].upper() + fr[1:], "en": en[:1].upper() + en[1:]},
            "abbreviations": abbreviations,
            "summary": {"fr": f"{fr[:1].upper() + fr[1:]}.", "en": f"{en[:1].upper() + en[1:]}."},
            "cost_xof": fee, "cost_note": None,
            "delay": None if delay is None else {"fr": delay[0], "en": delay[1]},
            "validity": None,
            "documents": rng.choice([None, {"fr": ["CIP", "Photo d'identité"],
                                            "en": ["CIP", "ID photo"]}]),
            "where": {"fr": where[0], "en": where[1]},
            "online": "yes" if i in with_form else "no",
            "online_url": "https://service-public.bj" if i in with_form else None,
            "eservice": i in with_form,
        }
        if i < 12:  # the most asked: the portal publishes a short code for them
            proc["short_code"] = str(20 + i)
        out_procs.append(proc)
        if i in with_form:
            forms[slug] = _form(rng, fee)
    return {
        "version": 1,
        "categories": [{"slug": s, "title": {"fr": fr, "en": en}}
                       for s, fr, en, _objects in CATEGORIES],
        "procedures": out_procs,
        "eservices": forms,
    }


def write(path: str | Path, procedures: int = 150, eservices: int = 40, seed: int = 229) -> Path:
    """Write the catalogue to ``path`` (for ``create_sandbox_app(catalogue_path=...)``)."""
    data = generate(procedures, eservices, seed)
    target = Path(path)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write("# Synthetic catalogue for scale tests: invented content, not facts.\n")
        yaml.dump(data, handle, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False,
                  width=100)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--procedures", type=int, default=150)
    parser.add_argument("--eservices", type=int, default=40)
    parser.add_argument("--seed", type=int, default=229)
    parser.add_argument("-o", "--output", default="-", help="file to write (- for stdout)")
    args = parser.parse_args(argv)
    if args.procedures < 1 or args.eservices < 0:
        parser.error("--procedures must be >= 1 and --eservices >= 0")
    if args.output == "-":
        data = generate(args.procedures, args.eservices, args.seed)
        yaml.dump(data, sys.stdout, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False,
                  width=100)
    else:
        write(args.output, args.procedures, args.eservices, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
