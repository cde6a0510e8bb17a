"""Several worker processes opening one fresh SQLite database at the same moment all start.

Gunicorn forks its workers together; each opens the sandbox portal's database and the message
log.  Switching a new file to WAL and creating the schema must not fail with ``database is
locked`` in one of them (the master would then halt).  Played with real processes released by
one barrier, on a fresh file each round.
"""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa

PROCESSES = 4
ROUNDS = 20


def _open_sandbox(path: str, barrier, errors) -> None:
    from integrations.portal.sandbox.store import RequestStore

    barrier.wait()
    try:
        RequestStore(path).close()
    except Exception as exc:  # reported by the parent
        errors.put(repr(exc))


def _open_message_log(url: str, barrier, errors) -> None:
    """What every worker does at start (channels.runtime.build): the one schema upgrade, then
    the message log and the inbox, the desk's records beside them."""
    from channels import migrate
    from channels.outbox import MessageLog, engine_for
    from channels.sms.inbox import Inbox

    barrier.wait()
    try:
        engine = engine_for(url)
        migrate.upgrade(engine)
        Inbox(MessageLog(engine).engine)
        with engine.connect() as db:
            db.execute(sa.text("SELECT count(*) FROM outbound_messages"))
            db.execute(sa.text("SELECT count(*) FROM agent_conversations"))
            assert migrate.current(engine) == migrate.head()
        engine.dispose()
    except Exception as exc:  # reported by the parent
        errors.put(repr(exc))


def _race(target, tmp_path, name: str, url=None, rounds: int = ROUNDS) -> list[str]:
    """``rounds`` times, PROCESSES processes released together on a fresh database (a SQLite
    file in ``tmp_path``, or ``url()``, a fresh PostgreSQL database, each round)."""
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    failures: list[str] = []
    for n in range(rounds):
        path = url() if url else str(tmp_path / f"{name}-{n}.db")
        barrier = context.Barrier(PROCESSES)
        procs = [context.Process(target=target, args=(path, barrier, errors))
                 for _ in range(PROCESSES)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
            if proc.exitcode != 0:
                failures.append(f"exit {proc.exitcode}")
        while not errors.empty():
            failures.append(errors.get())
    return failures


def test_workers_opening_a_fresh_sandbox_database_together_all_start(tmp_path):
    assert _race(_open_sandbox, tmp_path, "portal") == []


def test_workers_opening_a_fresh_message_log_together_all_start(tmp_path):
    n = iter(range(ROUNDS))
    assert _race(_open_message_log, tmp_path, "guichet",
                 url=lambda: f"sqlite:///{tmp_path / f'guichet-{next(n)}.db'}") == []


def test_workers_upgrading_a_fresh_postgresql_database_together_all_start(postgres_url):
    """The advisory lock: the first worker migrates, the others wait and find it at head."""
    assert _race(_open_message_log, None, "pg", url=lambda: postgres_url, rounds=1) == []
