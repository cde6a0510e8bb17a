"""Personal data is kept only as long as its setting says, in every table that holds it, and
only what a hand-off needs is recorded at all.  Real SQLite, PostgreSQL and Redis; the purge
runs from its command line and from the worker process, as operators run it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import redis
import sqlalchemy as sa

from channels import migrate, retention
from channels.config import ROOT, Settings
from channels.outbox import engine_for, outbound
from channels.sms.inbox import inbound, optouts
from dialogs.desk import HandoffDesk, records
from dialogs.desk.accounts import Accounts
from dialogs.desk.hours import OfficeHours
from dialogs.desk.recent import RecentExchanges
from dialogs.handoff import Exchange
from dialogs.sender import Senders
from dialogs.store import RedisStore
from tests.test_sms_channel import Texter

PHONE = "+2290197000777"
DAY = dt.timedelta(days=1)


def _count(engine, table, *where) -> int:
    with engine.connect() as db:
        return db.execute(sa.select(sa.func.count()).select_from(table).where(*where)
                          ).scalar_one()


def _seed(engine, at: dt.datetime, tag: str) -> None:
    """One row of personal data of every kind, dated ``at``."""
    with engine.begin() as db:
        db.execute(inbound.insert().values(
            provider_id=f"ATX-{tag}", sender=PHONE, recipient="1350",
            text="mon NPI est 1234567890, Awa Dossou", status="done", received_at=at))
        db.execute(outbound.insert().values(
            key=f"sms:{tag}", channel="sms", recipient=PHONE, body="Votre demande SP-2026-1",
            lang="fr", status="delivered", attempts=1, created_at=at, updated_at=at))
        db.execute(records.messages.insert().values(  # a bot exchange from older versions
            channel="sms", session=f"s-{tag}", user=PHONE, direction="in",
            text="Awa Dossou, 1234567890", lang="fr", at=at))
        records.write_audit(db, action="login", login="awa", ip="10.0.0.1", at=at)
        agent_id = db.execute(sa.select(records.accounts.c.id)).scalar()
        db.execute(records.sessions.insert().values(id=f"sid-{tag}", agent_id=agent_id,
                                                    created_at=at))


def test_one_purge_covers_every_table_each_after_its_own_retention(engine):
    now = records.now()
    Accounts(engine).add(login="awa", password="a long password")
    with engine.begin() as db:
        db.execute(optouts.insert().values(phone=PHONE, since=now - 900 * DAY))
    _seed(engine, now - 400 * DAY, "ancient")  # older than every retention
    _seed(engine, now - 45 * DAY, "month")  # older than the SMS ones, not the audit's
    _seed(engine, now - 2 * dt.timedelta(hours=1), "fresh")
    settings = Settings.from_env({"RETENTION_SMS_INBOUND_DAYS": "30",
                                  "RETENTION_OUTBOUND_DAYS": "40",
                                  "RETENTION_AUDIT_DAYS": "365",
                                  "RETENTION_BOT_EXCHANGES_HOURS": "1"})
    counts = retention.purge(settings, engine, now=now)
    assert counts["inbound_sms"] == 2 and counts["outbound_messages"] == 2
    assert counts["audit"] == 1 and counts["sessions"] == 2  # two days after login
    assert counts["messages"] == 3  # bot exchanges no hand-off took: gone after an hour
    assert _count(engine, inbound) == 1 and _count(engine, outbound) == 1
    assert _count(engine, records.messages) == 0
    assert _count(engine, records.audit, records.audit.c.action == "login") == 2
    assert _count(engine, optouts) == 1  # an opt-out is a promise: kept while it stands
    assert retention.purge(settings, engine, now=now)["inbound_sms"] == 0


def test_an_sms_conversation_never_handed_off_leaves_no_text_after_its_retention(
        make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)
    rt = app.extensions["guichet"]
    texter = Texter(app.test_client(), fake, PHONE)
    assert "passeport" in texter.text("combien coute le passeport").lower()
    rt.queue.drain(5)
    engine = rt.messages.engine
    assert _count(engine, records.messages) == 0  # no hand-off: nothing in the records
    (recent,) = rt.store.get_many([RecentExchanges.key(PHONE, "sms", PHONE)])
    assert recent is None or len(recent["items"]) <= 2  # only the session store, briefly
    later = records.now() + 31 * DAY
    retention.purge(rt.settings, engine, now=later)
    texts = []
    with engine.connect() as db:
        texts += db.execute(sa.select(inbound.c.text)).scalars().all()
        texts += db.execute(sa.select(outbound.c.body)).scalars().all()
        texts += db.execute(sa.select(records.messages.c.text)).scalars().all()
    assert texts == []


def _desk(engine, store, ttl: int) -> HandoffDesk:
    return HandoffDesk(engine, hours=OfficeHours.parse("always"), senders=Senders(),
                       recent=RecentExchanges(store, ttl))


def test_bot_exchanges_expire_from_redis_and_only_a_handoff_writes_them(engine, redis_url):
    store = RedisStore(redis_url)
    desk = _desk(engine, store, ttl=1)
    desk.record(Exchange("whatsapp", "wa-1", PHONE, "in", "mon NPI est 1234567890", "fr"))
    desk.record(Exchange("whatsapp", "wa-1", PHONE, "out", "Voici la procédure...", "fr"))
    key = RecentExchanges.key(PHONE, "whatsapp", "wa-1")
    client = redis.Redis.from_url(redis_url)
    assert 0 < client.ttl(key) <= 1
    assert _count(engine, records.messages) == 0
    time.sleep(1.5)
    assert client.get(key) is None  # nothing stored anywhere after its retention
    desk.enqueue(channel="whatsapp", session="wa-1", user=PHONE, lang="fr", reason="asked",
                 topic=None)
    assert _count(engine, records.messages) == 0  # nothing left for a late hand-off

    desk = _desk(engine, store, ttl=3600)
    desk.record(Exchange("sms", "sms-2", "+2290197000888", "in", "combien coute le casier",
                         "fr", intent="ask_procedure", procedure="casier-judiciaire"))
    desk.record(Exchange("sms", "sms-2", "+2290197000888", "out", "Le casier coute...", "fr"))
    desk.enqueue(channel="sms", session="sms-2", user="+2290197000888", lang="fr",
                 reason="asked", topic="casier-judiciaire")
    desk.record(Exchange("sms", "sms-2", "+2290197000888", "in", "vous etes la ?", "fr"))
    supervisor = desk.accounts.add(login="eve", password="a long password",
                                   role="supervisor")
    (conv,) = [c for c in desk.queue(supervisor, "all") if c.session == "sms-2"]
    said = [(m["direction"], m["text"], m["intent"]) for m in desk.transcript(conv, supervisor)]
    assert said == [("in", "combien coute le casier", "ask_procedure"),
                    ("out", "Le casier coute...", None), ("in", "vous etes la ?", None)]
    assert client.get(RecentExchanges.key("+2290197000888", "sms", "sms-2")) is None


def test_the_old_transcript_setting_still_works_and_the_new_one_wins():
    assert Settings.from_env({}).transcript_retention_days == 90
    assert Settings.from_env({"TRANSCRIPT_RETENTION_DAYS": "30"}).transcript_retention_days == 30
    both = Settings.from_env({"TRANSCRIPT_RETENTION_DAYS": "30", "RETENTION_TRANSCRIPT_DAYS": "7"})
    assert both.transcript_retention_days == 7


def _environment(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RETENTION_", "REDIS"))}
    env.update(DATABASE_URL=db_url, PYTHONPATH=str(ROOT), **extra)
    return env


def test_make_agent_purge_purges_every_table(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'ops.db'}"
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    Accounts(engine).add(login="awa", password="a long password")
    _seed(engine, records.now() - 400 * DAY, "ancient")
    done = subprocess.run(["make", "-s", "agent-purge"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=_environment(db_url))
    assert done.returncode == 0, done.stderr
    assert "inbound_sms=1" in done.stdout and "outbound_messages=1" in done.stdout
    assert _count(engine, inbound) == 0 and _count(engine, outbound) == 0
    engine.dispose()


def test_the_scheduling_worker_purges_at_start(tmp_path, redis_url, sandbox):
    db_url = f"sqlite:///{tmp_path / 'worker.db'}"
    engine = engine_for(db_url)
    migrate.upgrade(engine)
    Accounts(engine).add(login="awa", password="a long password")
    _seed(engine, records.now() - 400 * DAY, "ancient")
    done = subprocess.run(
        [sys.executable, "-m", "channels.worker", "--burst", "--with-scheduler",
         "--url", redis_url], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=_environment(db_url, PORTAL_URL=sandbox["url"], REDIS_URL=redis_url))
    assert done.returncode == 0, done.stderr
    assert _count(engine, inbound) == 0 and _count(engine, outbound) == 0
    assert _count(engine, records.messages) == 0
    engine.dispose()
