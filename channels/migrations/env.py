"""Alembic environment for every table of Guichet's database (``DATABASE_URL``, the service's
default when unset).

:func:`channels.migrate.upgrade` passes its own connection (``config.attributes``), holding the
schema lock, so the app and the tests migrate in the transaction they hold; the ``alembic``
command line builds an engine from the URL.  The tables are described where they are used: the
outbox's (``channels.outbox``), the SMS inbox's (``channels.sms.inbox``), the desk's
(``dialogs.desk.records``) and the payment attempts' (``dialogs.payments``).
"""

from __future__ import annotations

import os

from alembic import context

from channels.outbox import metadata as sms_metadata
from channels.sms import inbox as _inbox  # noqa: F401  (its tables join the SMS metadata)
from dialogs.desk.records import metadata as desk_metadata
from dialogs.news.records import metadata as news_metadata
from dialogs.payments import metadata as payments_metadata

config = context.config
METADATA = [sms_metadata, desk_metadata, payments_metadata, news_metadata]
TABLES = {name for m in METADATA for name in m.tables}


def _url() -> str:
    from channels.config import Settings

    return (config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "").strip()
            or Settings.database_url)


def _include(obj, name, type_, reflected, compare_to) -> bool:
    """Only Guichet's own tables (a shared database may hold others)."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", None)
    return table_name is None or table_name in TABLES


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=METADATA,
                      include_object=_include, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=METADATA, literal_binds=True,
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
