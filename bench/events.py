"""``make bench``: the portal's events, from ``POST /portal/events`` to the citizen's phone.

One run, every server on loopback and stopped on exit (Ctrl-C included):

1. a private redis-server, a fresh PostgreSQL database (``TEST_POSTGRES_URL``'s server,
   dropped afterwards), the fake Africa's Talking and WhatsApp APIs in one process
   (``_fake_sinks.py``, recording when each message arrives);
2. N requests seeded: in the sandbox portal's SQLite file (filed a day ago: ``ready``) and in
   ``followed_requests`` (every fifth citizen on WhatsApp with the window closed: a template;
   the others on USSD: an SMS), each its own number;
3. **guichet**: ``channels.app:create_app()`` under gunicorn with Guichet's config and
   ``--workers`` (2) workers, plus ``--rq-workers`` (2) ``python -m channels.worker`` processes
   sending; **floor**: ``_events_floor.py`` under the same gunicorn config (HMAC check, JSON,
   insert-once in PostgreSQL, a Redis push, 202);
4. N signed ``request.status_changed`` events, **each delivered twice** (the copies shuffled),
   posted by 32 concurrent connections to each server in turn.

Prints events/s accepted by each and the ratio guichet/floor, notifications/s (first post to
last message at the fakes), the time from an event's first delivery to its message at the fake
(p50, p99), and duplicates (messages beyond one per citizen: must be 0).  Quiet hours are off
(``QUIET_HOURS=off``): news at night would be held, as it should.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.client
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ussd  # noqa: E402
from ussd import HOST, ROOT, Processes  # noqa: E402

sys.path.insert(0, str(ROOT))
from channels.portal_events.signature import sign  # noqa: E402

SECRET = "bench-portal-webhook-secret"
PG_BASE = os.environ.get("TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CONNECTIONS = 32
TIMEOUT = 10.0


def _phone(i: int) -> str:
    return f"+2290196{i:06d}"


# ------------------------------------------------------------------ set-up

def database() -> tuple[str, sa.Engine, str]:
    name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_BASE.rsplit("/", 1)[0] + "/" + name
    return url, admin, name


def drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as db:
        db.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(n: int, db_url: str, sandbox_db: Path) -> list[dict]:
    """N requests the portal says are ready, followed by Guichet; returns them."""
    from channels import migrate
    from dialogs.news.records import followed_requests
    from integrations.portal.sandbox.store import RequestStore

    RequestStore(str(sandbox_db)).close()  # the sandbox's own schema
    filed = time.time() - 86400
    rows = []
    for i in range(n):
        whatsapp = i % 5 == 0
        rows.append({"reference": f"SP-2026-{i + 1:06d}", "phone": _phone(i),
                     "channel": "whatsapp" if whatsapp else "ussd"})
    with sqlite3.connect(sandbox_db) as db:
        db.executemany("INSERT INTO requests (reference, procedure, phone, lang, answers, "
                       "submitted_at) VALUES (?, 'casier-judiciaire', ?, 'fr', '{}', ?)",
                       [(r["reference"], r["phone"], filed) for r in rows])
        db.execute("INSERT OR REPLACE INTO counters (year, last) VALUES (2026, ?)", (n,))
    engine = sa.create_engine(db_url)
    migrate.upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as db:
        db.execute(followed_requests.insert(), [
            {"reference": r["reference"], "channel": r["channel"], "address": r["phone"],
             "phone": r["phone"], "lang": "fr", "closed": False, "created_at": now}
            for r in rows])
    engine.dispose()
    return rows


def start_sinks(procs: Processes, workdir: Path) -> int:
    log = workdir / "sinks.log"
    for _attempt in range(3):
        port = ussd.free_port()
        proc = procs.start([sys.executable, str(ROOT / "bench" / "_fake_sinks.py"),
                            "--port", str(port)], env=dict(os.environ), log=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                arrivals(port)
                return port
            except OSError:
                time.sleep(0.1)
        procs.stop(proc)
    sys.exit(f"the fake providers did not start:\n{ussd._tail(log)}")


def arrivals(port: int) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", "/bench/arrivals")
        answer = conn.getresponse()
        if answer.status != 200:
            raise OSError(f"sinks: {answer.status}")
        return json.loads(answer.read())
    finally:
        conn.close()


# ------------------------------------------------------------------ load

def deliveries(rows: list[dict], seed_: int) -> list[tuple[str, bytes]]:
    """Every event twice, the copies shuffled: ``(reference, signed request bytes)``."""
    out = []
    for row in rows:
        body = json.dumps({"id": f"evt-{row['reference']}", "type": "request.status_changed",
                           "reference": row["reference"], "status": "ready",
                           "at": "2026-11-30T10:00:00+01:00"}).encode()
        head = (f"POST /portal/events HTTP/1.1\r\nHost: {HOST}\r\n"
                "Content-Type: application/json\r\n"
                f"X-Portal-Signature: {sign(SECRET, body)}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode()
        out += [(row["reference"], head + body)] * 2
    random.Random(seed_).shuffle(out)
    return out


async def _post_all(port: int, work: list[tuple[str, bytes]]) -> dict:
    from _load import _read_response

    first_sent: dict[str, float] = {}
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    position = iter(range(len(work)))

    async def connection() -> None:
        reader = writer = None
        for i in position:
            reference, request = work[i]
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            started = time.monotonic()
            first_sent.setdefault(reference, started)
            try:
                writer.write(request)
                status, _body, keep = await asyncio.wait_for(_read_response(reader), TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                status, keep = 0, False
            latencies.append(time.monotonic() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    seconds = time.monotonic() - started
    latencies.sort()
    return {"posts": len(work), "seconds": round(seconds, 2),
            "events_per_s": round(len(work) / seconds, 1), "statuses": statuses,
            "post_p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
            "post_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
            "_first_sent": first_sent, "_started": started}


def post_all(port: int, work: list[tuple[str, bytes]]) -> dict:
    return asyncio.run(_post_all(port, work))


def sent_summary(rows: list[dict], posted: dict, sinks: int, wait: float) -> dict:
    """Wait for one message per citizen (or ``wait`` seconds of no progress); then count."""
    expected, last_count, still = len(rows), -1, time.monotonic()
    while True:
        got = arrivals(sinks)
        count = len(got["arrivals"])
        if count >= expected:
            time.sleep(1.0)  # a duplicate would come now
            got = arrivals(sinks)
            break
        if count != last_count:
            last_count, still = count, time.monotonic()
        elif time.monotonic() - still > wait:
            break
        time.sleep(0.25)
    per_phone: dict[str, float] = {}
    duplicates = 0
    for to, at in got["arrivals"]:
        if to in per_phone:
            duplicates += 1
        else:
            per_phone[to] = at
    by_phone = {r["phone"]: r["reference"] for r in rows}
    delays = sorted(at - posted["_first_sent"][by_phone[to]]
                    for to, at in per_phone.items() if to in by_phone)
    last = max(per_phone.values(), default=posted["_started"])
    seconds = last - posted["_started"]
    return {"expected": expected, "citizens_told": len(per_phone), "duplicates": duplicates,
            "rejected_by_fakes": len(got["rejected"]),
            "notifications_per_s": round(len(per_phone) / seconds, 1) if seconds > 0 else 0,
            "event_to_send_p50_ms": round(1000 * statistics.median(delays), 1) if delays else None,
            "event_to_send_p99_ms": round(1000 * delays[int(len(delays) * 0.99)], 1)
            if delays else None}


# ------------------------------------------------------------------ main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="distinct events (N)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rq-workers", type=int, default=2, help="channels.worker processes")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds without a new message before giving up")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:  # noqa: C901 - one run, top to bottom
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    procs = Processes()
    admin = name = None
    with tempfile.TemporaryDirectory(prefix="guichet-bench-events-") as tmp:
        workdir = Path(tmp)
        try:
            db_url, admin, name = database()
            redis_url = ussd.start_redis(procs, workdir)
            sinks = start_sinks(procs, workdir)
            sandbox_db = workdir / "sandbox-portal.db"
            rows = seed(args.events, db_url, sandbox_db)
            env = {k: v for k, v in os.environ.items()
                   if k not in ("PORTAL_URL", "PROMETHEUS_MULTIPROC_DIR", "HOST", "PORT")}
            metrics_dir = workdir / "prometheus"
            metrics_dir.mkdir()
            env.update(REDIS_URL=redis_url, WEB_CONCURRENCY=str(args.workers),
                       PYTHONDONTWRITEBYTECODE="1", PORTAL_WEBHOOK_SECRET=SECRET,
                       DATABASE_URL=db_url, FLOOR_DATABASE_URL=db_url,
                       SANDBOX_DB=str(sandbox_db), QUIET_HOURS="off", PORTAL_POLL_SECONDS="0",
                       AT_USERNAME="sandbox", AT_API_KEY="bench-key",
                       AT_API_URL=f"http://{HOST}:{sinks}",
                       WHATSAPP_API_URL=f"http://{HOST}:{sinks}/v21.0",
                       WHATSAPP_TOKEN="bench-wa-token",
                       WHATSAPP_PHONE_NUMBER_ID="106540352242922",
                       PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
            floor_port, floor_proc, _f = ussd.start_gunicorn(
                procs, "bench._events_floor:create_app()", "floor", env, workdir,
                workers=args.workers)
            guichet_port, guichet_proc, _g = ussd.start_gunicorn(
                procs, "channels.app:create_app()", "guichet", env, workdir,
                workers=args.workers, booted='"message": "guichet ready"')
            for proc in (floor_proc, guichet_proc):
                ussd.settle(proc.pid)
            for k in range(args.rq_workers):
                procs.start([sys.executable, "-m", "channels.worker", "--url", redis_url,
                             "guichet"], env=env, log=workdir / f"worker-{k}.log")
            time.sleep(3.0)  # the workers build their app before the first job
            floor = post_all(floor_port, deliveries(
                [{**r, "reference": r["reference"] + "F"} for r in rows], 1))
            guichet = post_all(guichet_port, deliveries(rows, 2))
            sent = sent_summary(rows, guichet, sinks, args.wait)
            out = {
                "events": args.events, "deliveries_each": 2, "gunicorn_workers": args.workers,
                "rq_workers": args.rq_workers,
                "floor": {k: v for k, v in floor.items() if not k.startswith("_")},
                "guichet": {k: v for k, v in guichet.items() if not k.startswith("_")},
                "accepted_ratio": round(guichet["events_per_s"] / floor["events_per_s"], 2),
                "sent": sent,
            }
            if sent["citizens_told"] < sent["expected"]:
                out["worker_log_tail"] = ussd._tail(workdir / "worker-0.log")
        finally:
            procs.stop_all()
            if admin is not None and name is not None:
                drop(admin, name)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        g, f, s = out["guichet"], out["floor"], out["sent"]
        print(f"events: {args.events} distinct, each delivered twice "
              f"({args.workers} gunicorn workers, {args.rq_workers} RQ workers)")
        print(f"accepted  floor   {f['events_per_s']:>8} posts/s  p50 {f['post_p50_ms']} ms  "
              f"p99 {f['post_p99_ms']} ms  {f['statuses']}")
        print(f"accepted  guichet {g['events_per_s']:>8} posts/s  p50 {g['post_p50_ms']} ms  "
              f"p99 {g['post_p99_ms']} ms  {g['statuses']}")
        print(f"ratio guichet/floor (accepted): {out['accepted_ratio']}")
        print(f"sent: {s['citizens_told']}/{s['expected']} citizens told, "
              f"{s['notifications_per_s']} notifications/s, event->send p50 "
              f"{s['event_to_send_p50_ms']} ms p99 {s['event_to_send_p99_ms']} ms, "
              f"duplicates {s['duplicates']}, refused by the fakes {s['rejected_by_fakes']}")
        if "worker_log_tail" in out:
            print(out["worker_log_tail"])
    ok = out["sent"]["duplicates"] == 0 and out["sent"]["citizens_told"] == args.events
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
