"""One Alembic history for every table: a fresh database, and databases made by older releases
(SMS tables created at run time beside the call-centre's migrated tables), reach the newest
schema with their rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from channels import migrate
from channels.outbox import MessageLog, engine_for, outbound
from channels.sms.inbox import Inbox, inbound, optouts
from dialogs.desk import records

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
PHONE = "+2290197001122"
SMS_TABLES = ("outbound_messages", "inbound_sms", "sms_optouts")
PROVIDER_INDEX = "ix_outbound_messages_provider_id"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'old.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = engine_for(url)
    yield engine
    engine.dispose()


def _old_sms_tables(engine: sa.Engine, *, with_index: bool) -> None:
    """What older releases did at start: ``create_all`` of the SMS tables (no Alembic), and the
    provider-id index only once a WhatsApp sender had been built."""
    old = sa.MetaData()
    for table in (outbound, inbound, optouts):
        sa.Table(table.name, old, *[c._copy() for c in table.columns])
    if with_index:
        sa.Index(PROVIDER_INDEX, old.tables["outbound_messages"].c.provider_id)
    old.create_all(engine)


def _old_rows(engine: sa.Engine) -> None:
    with engine.begin() as db:
        db.execute(outbound.insert().values(
            key="k1", channel="sms", recipient=PHONE, body="Votre demande est prete.",
            lang="fr", status="sent", provider_id="ATXid_1", attempts=1, created_at=NOW,
            updated_at=NOW))
        db.execute(inbound.insert().values(provider_id="in-1", sender=PHONE, recipient="1350",
                                           text="bonjour", status="answered", received_at=NOW))
        db.execute(optouts.insert().values(phone="+2290197009999", since=NOW))


def _indexes(engine: sa.Engine) -> set[str]:
    return {i["name"] for i in sa.inspect(engine).get_indexes("outbound_messages")}


def _kept(engine: sa.Engine) -> None:
    """The old rows are there and the service's code works on them."""
    log, inbox = MessageLog(engine), Inbox(engine)
    (message,) = log.recent(PHONE)
    assert (message.key, message.status, message.body) == ("k1", "sent", "Votre demande est prete.")
    assert log.update_by_provider_id("ATXid_1", status="delivered")
    assert inbox.opted_out("+2290197009999")
    _, created = inbox.record(provider_id="in-1", sender=PHONE, recipient="1350",
                              text="bonjour", link_id=None)
    assert not created  # still recognised: the unique provider id survived


def test_a_fresh_database_gets_every_table_from_the_one_history(engine):
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    names = set(sa.inspect(engine).get_table_names())
    assert set(SMS_TABLES) | set(records.TABLES) <= names
    assert PROVIDER_INDEX in _indexes(engine)


@pytest.mark.parametrize("with_index", [False, True])
def test_a_database_of_the_previous_release_is_brought_to_head_with_its_rows(engine, with_index):
    _old_sms_tables(engine, with_index=with_index)
    migrate.upgrade(engine, "0002_agent_sessions")  # the call-centre's own history, then
    _old_rows(engine)
    with engine.begin() as db:
        db.execute(records.accounts.insert().values(
            login="awa", display_name="Awa", password_hash="x", role="agent", created_at=NOW))

    migrate.upgrade(engine)

    assert migrate.current(engine) == migrate.head()
    assert PROVIDER_INDEX in _indexes(engine)
    _kept(engine)
    with engine.connect() as db:
        assert db.execute(sa.select(records.accounts.c.login)).scalars().all() == ["awa"]


def test_a_database_made_before_the_call_centre_gets_its_tables(engine):
    _old_sms_tables(engine, with_index=False)
    _old_rows(engine)
    assert migrate.current(engine) is None  # no Alembic at all

    migrate.upgrade(engine)

    assert migrate.current(engine) == migrate.head()
    assert set(records.TABLES) <= set(sa.inspect(engine).get_table_names())
    _kept(engine)


def test_db_upgrade_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert migrate.main(["upgrade"]) == 0
    assert f"schema at {migrate.head()}" in capsys.readouterr().out
    assert migrate.main(["current"]) == 0
    assert f"database: {migrate.head()}" in capsys.readouterr().out
