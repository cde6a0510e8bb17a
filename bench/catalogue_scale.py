"""``make bench`` (catalogue scale): does understanding hold up as the portal's catalogue grows?

For catalogues of 16 (the shipped one), 150 (service-public.bj today) and 1,000 procedures, in
one run on one machine, this prints:

* lexicon build: the time to build the NLU's word list and entity matcher from the catalogue
  (what runs at start and after each refresh that changes the procedures);
* model training: the embedded model is trained once from nlu/data (its intent model sees every
  procedure mention as one placeholder), so a larger catalogue retrains nothing; its one-off
  training time is printed once for reference;
* parse p50/p99 through ``POST /api/v1/parse`` and USSD hop p99 through ``POST /ussd`` (home,
  procedures by theme, a theme), on a Guichet app built in this process with the in-process
  sandbox portal reading the catalogue from ``SANDBOX_CATALOGUE``;

and each figure as a ratio to the 16-procedure figure (target: parse p99 and hop p99 at 150
within 1.10). The larger catalogues are the shipped one plus simple synthetic procedures
(generated here, each with a distinct two-word title and a keyword). It is not a timed test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.portal.sandbox.catalogue import DEFAULT_PATH  # noqa: E402
from nlu.embedded import EmbeddedNLU, load_or_train  # noqa: E402
from nlu.lexicon import shipped_catalogue  # noqa: E402

SIZES = (16, 150, 1000)
# Words to build distinct synthetic titles from: "Agrément de pêche artisanale" ...
_HEADS = ["Agrément", "Attestation", "Autorisation", "Déclaration", "Licence", "Inscription",
          "Renouvellement", "Enregistrement", "Homologation", "Visa technique"]
_OBJECTS = ["pêche", "transport fluvial", "commerce ambulant", "boulangerie", "pharmacie",
            "école privée", "clinique", "débit de boisson", "forage", "carrière", "scierie",
            "auto-école", "station-service", "marché", "imprimerie", "radio privée", "hôtel",
            "agence de voyage", "coopérative", "association", "ONG", "mutuelle", "cybercafé",
            "salle de fête", "garage", "élevage", "apiculture", "transit", "gardiennage",
            "microfinance", "cantine scolaire", "taxi-moto", "port de plaisance", "abattoir",
            "menuiserie", "couture", "coiffure", "photographie", "artisanat", "maraîchage",
            "pisciculture", "laboratoire", "cabinet médical", "crèche", "librairie",
            "quincaillerie", "blanchisserie", "restaurant", "bar", "cinéma"]
_QUALIFIERS = ["", "artisanale", "industrielle", "temporaire", "provisoire", "annuelle",
               "communale", "nationale", "régionale", "spéciale", "de catégorie B",
               "de catégorie C", "à l'export", "à l'import", "saisonnière", "de nuit",
               "mobile", "rurale", "urbaine", "collective"]
QUESTIONS = ["combien coute le passeport", "kel delai pr le casier stp",
             "acte de mariage c cb et c a la mairie?", "permis de chasse prix",
             "How much is a birth certificate", "owo melo ni iwe irinna",
             "Bonsoir. Je suis commerçante à Dantokpa et je voudrais savoir où on demande "
             "l'IFU exactement. Merci beaucoup."]
USSD_PATHS = [["", "1", "1*1"], ["", "1", "1*2"], ["", "1", "1*3"]]


def synthetic(n: int) -> dict:
    """The shipped catalogue grown to ``n`` procedures with generated ones."""
    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    categories = [c["slug"] for c in doc["categories"]]
    titles = (f"{h} {o} {q}".strip() for q in _QUALIFIERS for o in _OBJECTS for h in _HEADS)
    for i, title in zip(range(n - len(doc["procedures"])), titles, strict=False):
        doc["procedures"].append({
            "slug": f"synth-{i:04d}", "category": categories[i % len(categories)],
            "title": {"fr": title, "en": f"{title} (en)"}, "abbreviations": [],
            "keywords": {"fr": [f"{title.split()[-1]} {i}"]},
            "summary": {"fr": title}, "cost_xof": 1000 + i, "cost_note": None,
            "delay": {"fr": f"{i % 30 + 1} jours"}, "validity": None, "documents": None,
            "where": {"fr": "Mairie"}, "online": "no", "online_url": None})
    return doc


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def lexicon_seconds(model: EmbeddedNLU, entries: list[dict], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        model.with_catalogue(entries)
        best = min(best, time.perf_counter() - started)
    return best


def build_app(catalogue: Path, workdir: Path):
    """A Guichet app whose in-process sandbox reads ``catalogue``, its word list built."""
    from channels import runtime
    from channels.app import create_app
    from channels.config import Settings

    os.environ["SANDBOX_DB"] = str(workdir / f"sandbox-{catalogue.stem}.db")
    settings = Settings.from_env({
        "DATABASE_URL": f"sqlite:///{workdir / f'guichet-{catalogue.stem}.db'}",
        "SANDBOX_CATALOGUE": str(catalogue), "SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "OFFICE_HOURS": "always", "SIMULATOR_ENABLED": "false"})
    rt = runtime.build(settings)
    app = create_app(rt=rt)
    rt.nlu.warm()
    deadline = time.monotonic() + 120
    while rt.nlu.catalogue_version == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the word list of this catalogue, built on the refresh thread
    return app, rt


def one_round(client, code: str, tag: str, parse: list[float], hops: list[float]) -> None:
    """Every question once through the parse API, and three USSD sessions of three hops."""
    for text in QUESTIONS:
        started = time.perf_counter()
        response = client.post("/api/v1/parse", json={"text": text})
        parse.append(time.perf_counter() - started)
        assert response.status_code == 200, response.data
    for k, path in enumerate(USSD_PATHS):
        session = f"bench-{tag}-{k}"
        for text in path:
            started = time.perf_counter()
            response = client.post("/ussd", data={
                "sessionId": session, "serviceCode": code, "phoneNumber": "+2290195999999",
                "networkCode": "61000", "text": text})
            hops.append(time.perf_counter() - started)
            assert response.status_code == 200, response.data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="measured rounds per size")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    model = load_or_train()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    EmbeddedNLU.train()
    trained = time.perf_counter() - started
    print(f"model: loaded in {loaded:.2f} s; one-off training {trained:.2f} s "
          "(any catalogue size: only the word list is rebuilt)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="guichet-catalogue-bench-") as tmp:
        workdir = Path(tmp)
        apps = []
        for size in SIZES:
            doc = synthetic(size)
            path = workdir / f"catalogue-{size}.yaml"
            path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
            entries = shipped_catalogue(path)
            rows.append({"size": len(entries),
                         "lexicon_ms": lexicon_seconds(model, entries) * 1000})
            apps.append(build_app(path, workdir))
        # Sizes take turns round by round, so the load of a shared machine falls on all alike.
        samples: list[tuple[list[float], list[float]]] = [([], []) for _ in SIZES]
        try:
            for r in range(args.rounds + 5):
                for (app, rt), (parse, hops) in zip(apps, samples, strict=True):
                    if r < 5:  # warm-up
                        one_round(app.test_client(), rt.settings.ussd_service_code,
                                  f"w{r}", [], [])
                    else:
                        one_round(app.test_client(), rt.settings.ussd_service_code,
                                  f"{r}", parse, hops)
        finally:
            for _app, rt in apps:
                rt.close()
        for row, (parse, hops) in zip(rows, samples, strict=True):
            row.update({"parse_p50": percentile(parse, 50) * 1000,
                        "parse_p99": percentile(parse, 99) * 1000,
                        "hop_p50": statistics.median(hops) * 1000,
                        "hop_p99": percentile(hops, 99) * 1000})
    base = rows[0]
    keys = ["lexicon_ms", "parse_p50", "parse_p99", "hop_p50", "hop_p99"]
    print(f"{'procedures':>10} " + " ".join(f"{k:>11}" for k in keys))
    for row in rows:
        print(f"{row['size']:>10} " + " ".join(f"{row[k]:>9.2f}ms" for k in keys))
    print("ratios to 16 procedures:")
    for row in rows[1:]:
        print(f"{row['size']:>10} " + " ".join(f"{row[k] / base[k]:>11.2f}" for k in keys))
    at150 = rows[1]
    ok = all(at150[k] / base[k] <= 1.10 for k in ("parse_p99", "hop_p99"))
    print(f"target (parse p99 and hop p99 at 150 within 10% of 16): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
