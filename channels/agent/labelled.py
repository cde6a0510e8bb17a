"""``make nlu-import-labelled``: the supervisors' labels of unanswered questions into the NLU's
training data, in Rasa's format.

    python -m channels.agent.labelled [--out nlu/data/labelled.yml] [--dry-run]

Writes every label (masked texts, one block per intent and language) to ``--out``, which the
embedded trainer reads with the other files of ``nlu/data`` (and ``make rasa-train`` too), and
stamps the labels as exported.  The file is for review before it is committed: ``git diff``
shows what the next model will learn; ``make nlu-train`` (or the next start) retrains.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from channels.agent.accounts import _engine
from channels.config import ROOT, Settings
from dialogs.insights.labels import export_yaml

DEFAULT_OUT = ROOT / "nlu" / "data" / "labelled.yml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels.agent.labelled",
                                     description="Export labelled questions as Rasa NLU data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "").strip() or Settings.database_url
    engine = _engine(url)
    try:
        export = export_yaml(engine, mark=not args.dry_run)
    finally:
        engine.dispose()
    for line in export.unplaced:  # say which examples teach the intent alone
        print(line, file=sys.stderr if args.dry_run else sys.stdout)
    if args.dry_run:
        sys.stdout.write(export.body)
        return 0
    if export.count == 0:
        print("no labelled question yet: nothing written")
        return 0
    args.out.write_text(export.body, encoding="utf-8")
    print(f"{export.count} labelled questions written to {args.out} "
          f"({export.count - len(export.unplaced)} with every entity annotated): "
          "review them, then make nlu-train")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
