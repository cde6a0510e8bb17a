"""Bring the database to the newest schema: the one Alembic history of every table.

``make db-upgrade`` (``python -m channels.migrate [upgrade [REVISION] | downgrade REVISION |
current]``) is the one way the schema changes; the service runs the same upgrade at start
(:func:`channels.runtime.build`) so a fresh machine needs no step.

Every table Guichet keeps in its database is in the history (``channels/migrations``): the
outbound message log, incoming SMS and opt-outs (the SMS channel's), the desk's records and the
console sessions.  The folder sits at the composition root because its ``env.py`` reads the
table descriptions of several layers (``channels.sms`` and ``dialogs.desk``), which only the
composition root may import together.

Several workers starting together (gunicorn forks them at once) must not race: the upgrade runs
under an exclusive lock - a ``flock`` on ``<database>.lock`` for a SQLite file (the one engine
creation already takes), ``pg_advisory_xact_lock`` on PostgreSQL - and the revision is read again
under it, so the losers find the schema at head and do nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from channels.outbox import startup_lock

HERE = Path(__file__).resolve().parent
LOCK_ID = 7_201_350  # any constant: "Guichet's schema" advisory lock on PostgreSQL


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head() or ""


def _revision(conn: sa.Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def _run(engine: sa.Engine, action, revision: str) -> None:
    """Run an Alembic command in one transaction, holding the schema lock throughout."""
    cfg = config()
    with startup_lock(engine.url), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        if action is command.upgrade and revision == "head" and _revision(conn) == head():
            return  # another worker got there first
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (a database made by an older release included:
    see ``0003_channel_tables``)."""
    if revision == "head" and current(engine) == head():
        return  # the usual start: nothing to lock for
    _run(engine, command.upgrade, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def main(argv: list[str] | None = None) -> int:
    from channels.config import Settings
    from channels.outbox import engine_for

    parser = argparse.ArgumentParser(prog="python -m channels.migrate",
                                     description="Migrate Guichet's database")
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
            print(f"schema at {current(engine)}")
        elif args.command == "downgrade":
            downgrade(engine, args.revision)
            print(f"schema at {current(engine) or 'base'}")
        else:
            print(f"database: {current(engine) or 'base'}  newest: {head()}")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
