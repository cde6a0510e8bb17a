"""Bring the call-centre tables to the newest schema (Alembic ``upgrade head``).

The service runs this at start (:func:`channels.runtime.build`), so a fresh machine needs no
step; operators can also run it alone: ``make db-upgrade`` or
``python -m channels.agent.migrate [upgrade [REVISION] | downgrade REVISION | current]``.

Several workers starting together must not trip over each other: on PostgreSQL the upgrade
holds an advisory lock; on SQLite a loser retries once the winner has committed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent
LOCK_ID = 7_201_350  # any constant: "the agent schema" advisory lock on PostgreSQL


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head() or ""


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(engine: sa.Engine, action, revision: str) -> None:
    cfg = config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def upgrade(engine: sa.Engine, revision: str = "head", attempts: int = 5) -> None:
    """Apply the migrations up to ``revision``; tolerate a concurrent upgrade (SQLite)."""
    if revision == "head" and current(engine) == head():
        return
    for attempt in range(attempts):
        try:
            _run(engine, command.upgrade, revision)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def downgrade(engine: sa.Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def main(argv: list[str] | None = None) -> int:
    from channels.config import Settings
    from channels.outbox import engine_for

    parser = argparse.ArgumentParser(prog="python -m channels.agent.migrate",
                                     description="Migrate the call-centre tables")
    sub = parser.add_subparsers(dest="command")
    up = sub.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="revert to a revision (base: drop the tables)")
    down.add_argument("revision")
    sub.add_parser("current", help="print the database's revision and the newest one")
    args = parser.parse_args(argv)
    engine = engine_for(Settings.from_env().database_url)
    try:
        if args.command in (None, "upgrade"):
            upgrade(engine, getattr(args, "revision", "head"))
            print(f"agent schema at {current(engine)}")
        elif args.command == "downgrade":
            downgrade(engine, args.revision)
            print(f"agent schema at {current(engine) or 'base'}")
        else:
            print(f"database: {current(engine) or 'base'}  newest: {head()}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
