"""Concurrent workers claiming the same message: each gets the one row, none fails.

Two workers that retry the same job (RQ's retry beside a resumed message) race on the unique
key; the loser must read the winner's row, not abort its transaction.  Played with real
threads, each on its own connection, against SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from channels import migrate
from channels.outbox import MessageLog, engine_for
from channels.sms.inbox import Inbox

NUMBER = "+2290197000510"
WORKERS = 6
ROUNDS = 15


def race(action: Callable[[int], object]) -> list[object]:
    """Run ``action(round)`` on WORKERS threads at once, ROUNDS times; every outcome or error."""
    outcomes: list[object] = []
    for n in range(ROUNDS):
        start = threading.Barrier(WORKERS)
        results: list[object] = []

        def worker(n: int = n, start: threading.Barrier = start,
                   results: list[object] = results) -> None:
            start.wait()
            try:
                results.append(action(n))
            except Exception as exc:  # the test reports it below
                results.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        outcomes.extend(results)
    return outcomes


def test_concurrent_claims_of_one_key_all_get_the_same_message(db_url):
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    try:
        log = MessageLog(engine)
        outcomes = race(lambda n: log.claim(key=f"race:{n}", channel="sms", recipient=NUMBER,
                                            body="Bonjour", lang="fr"))
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert errors == []
        assert len({(o.key, o.id) for o in outcomes}) == ROUNDS  # one row per key
        assert len(log.recent(NUMBER, limit=1000)) == ROUNDS
    finally:
        engine.dispose()


def test_concurrent_deliveries_of_one_sms_are_recorded_once(db_url):
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    try:
        inbox = Inbox(engine)
        outcomes = race(lambda n: inbox.record(provider_id=f"in-race-{n}", sender=NUMBER,
                                               recipient="1350", text="bonjour", link_id=None))
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert errors == []
        created = [o for o in outcomes if o[1]]
        assert len(created) == ROUNDS  # exactly one creator per provider id
        optouts = race(lambda n: inbox.opt_out(f"+22901970006{n:02d}"))
        assert optouts.count(True) == ROUNDS and optouts.count(False) == ROUNDS * (WORKERS - 1)
    finally:
        engine.dispose()
