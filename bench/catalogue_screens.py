"""``make bench``: screens a caller needs to reach an e-service, as the catalogue grows.

For synthetic catalogues of 16, 150 and 1,000 procedures (``integrations.portal.sandbox
.synthetic``), a sandbox portal serves the catalogue on loopback and Guichet's real ``POST /ussd``
(in-process app, same settings as ``make run``) is walked as a feature phone would: main menu,
"Faire une demande", every theme (and alphabetical range), every page.  Printed for each size:
the screens to reach the deepest e-service and the median one (main menu = 1); the most screens
through "Rechercher" of "Faire une demande" for 10 e-services (typing the start of three words
of the name; the form opens at once or after picking among the matches); and the ratio to the
floor of this run, the 16-procedure catalogue.  Not a timed test: the counts are exact.

    python bench/catalogue_screens.py [--sizes 16,150,1000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels import runtime  # noqa: E402
from channels.app import create_app  # noqa: E402
from channels.config import Settings  # noqa: E402
from integrations.portal.sandbox import (  # noqa: E402
    create_sandbox_app,
    serve_in_thread,
    stop_server,
)
from integrations.portal.sandbox.synthetic import generate, write  # noqa: E402
from tests.catalogue_walk import (  # noqa: E402
    eservice_reach,
    open_path,
    search_reach,
    typed_letters,
)
from tests.ussd_phone import Phone  # noqa: E402

ESERVICES = {16: 5, 150: 40, 1000: 250}
"""E-services per catalogue size: the portal's 25+ of 150 today, a quarter at 1,000."""


def measure(size: int, workdir: Path) -> dict:
    eservices = ESERVICES.get(size, max(1, size // 4))
    path = write(workdir / f"catalogue-{size}.yaml", size, eservices)
    portal = create_sandbox_app(db_path=str(workdir / f"portal-{size}.db"), catalogue_path=path)
    url, server = serve_in_thread(portal)
    settings = Settings.from_env({"PORTAL_URL": url, "OFFICE_HOURS": "always",
                                  "DATABASE_URL": f"sqlite:///{workdir / f'guichet-{size}.db'}",
                                  "SECRET_KEY": "bench-secret-key-of-this-run-0123456789"})
    rt = runtime.build(settings)
    try:
        phone = Phone(create_app(rt=rt).test_client())
        reach = eservice_reach(phone)
        deepest = max(reach, key=lambda r: r.screens)
        if "tape 1/" not in open_path(phone, deepest.path):
            raise SystemExit(f"{size}: the deepest e-service did not open: {phone.screen!r}")
        titles = [p["title"]["fr"] for p in generate(size, eservices)["procedures"]
                  if p["eservice"]]
        # typing the start of three words of the title ("authe attes trava"), 10 e-services
        searched = [search_reach(phone, typed_letters(t), t)
                    for t in titles[:: max(1, len(titles) // 10)]] if size > 30 else []
        return {"size": size, "eservices": len(reach),
                "deepest": deepest.screens, "median": statistics.median(r.screens for r in reach),
                "search_max": max(searched) if searched else None}
    finally:
        rt.close()
        stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="16,150,1000")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # a stopped sandbox's refresh warnings are not results
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(size, Path(tmp)) for size in sizes]
    floor = rows[0]
    print(f"screens to reach an e-service on USSD (main menu = 1), floor = {floor['size']} "
          "procedures in this run")
    print(f"{'procedures':>10} {'e-services':>10} {'deepest':>8} {'median':>7} "
          f"{'deepest/floor':>14} {'search max':>10}")
    for row in rows:
        ratio = row["deepest"] / floor["deepest"]
        search = "-" if row["search_max"] is None else str(row["search_max"])
        print(f"{row['size']:>10} {row['eservices']:>10} {row['deepest']:>8} "
              f"{row['median']:>7} {ratio:>14.2f} {search:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
