"""Alembic environment: the database is ``DATABASE_URL`` (the service's default when unset).

:func:`channels.agent.migrate.upgrade` passes its own connection (``config.attributes``) so the
app and the tests migrate in the transaction they hold; the ``alembic`` command line builds an
engine from the URL.  Only the call-centre tables are this history's business.
"""

from __future__ import annotations

import os

from alembic import context

from channels.agent.records import TABLES, metadata

config = context.config


def _url() -> str:
    from channels.config import Settings

    return (config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "").strip()
            or Settings.database_url)


def _include(obj, name, type_, reflected, compare_to) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", None)
    return table_name is None or table_name in TABLES


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      include_object=_include, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True,
                      include_object=_include, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from channels.outbox import engine_for

    engine = engine_for(_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
