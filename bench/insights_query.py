"""How long the supervisor's insights take over a million recorded events on PostgreSQL.

Creates a scratch database on the PostgreSQL server at ``TEST_POSTGRES_URL`` (default the
machine's loopback trust-auth server), brings it to the schema head, fills ``insight_events``
with ``--events`` rows (default 1,000,000) spread over ``--spread`` days (default 90) in the
proportions of a busy service (questions, menu choices, form answers on USSD with sessions
stopping at every step, hand-offs, unanswered questions with masked texts), ANALYZEs, then
times :func:`dialogs.insights.report.report` for 30 days (``--days``) ``--repeat`` times and
prints p50/p95.  Target: p95 under 1 s.  The database is dropped at the end.

    .venv/bin/python bench/insights_query.py [--events 1000000] [--days 30] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from channels import migrate  # noqa: E402
from dialogs.insights.report import report  # noqa: E402

TARGET_P95 = 1.0

FILL = """
INSERT INTO insight_events (at, channel, lang, kind, session, intent, procedure, aspect, state,
                            eservice, step, step_no, answered, handoff, outcome, text)
SELECT now() - (random() * :spread) * interval '1 day',
       (ARRAY['ussd','ussd','ussd','sms','sms','whatsapp','webchat'])[1 + (g % 7)],
       (ARRAY['fr','fr','fr','fr','en','fon','yo'])[1 + ((g / 7) % 7)],
       k.kind,
       substr(md5((g / 6)::text), 1, 16),
       CASE WHEN k.kind = 'question' THEN
         (ARRAY['ask_procedure','ask_procedure','ask_procedure','start_eservice',
                'track_request','human_handoff','out_of_scope'])[1 + (g % 7)] END,
       CASE WHEN k.kind = 'question' AND g % 5 <> 0 THEN
         (ARRAY['passeport','casier-judiciaire','acte-naissance','carte-identite','cip',
                'visa','permis-conduire','certificat-nationalite'])[1 + ((g / 3) % 8)] END,
       CASE WHEN k.kind = 'question' AND g % 3 = 0 THEN
         (ARRAY['cost','documents','delay','where','validity','online'])[1 + (g % 6)] END,
       CASE WHEN k.kind = 'answer' THEN 'form' ELSE 'home' END,
       CASE WHEN k.kind = 'answer' THEN
         (ARRAY['casier-judiciaire','acte-naissance','passeport'])[1 + (g % 3)] END,
       CASE WHEN k.kind = 'answer' THEN
         (ARRAY['npi','nom','prenoms','date_naissance','lieu_naissance','motif','confirm',
                'submitted'])[1 + ((g / 11) % 8)] END,
       CASE WHEN k.kind = 'answer' AND (g / 11) % 8 < 6 THEN 1 + ((g / 11) % 8) END,
       CASE WHEN k.kind = 'question' THEN g % 9 <> 0 END,
       CASE WHEN g % 97 = 0 THEN (ARRAY['asked','misunderstood'])[1 + (g % 2)] END,
       NULL,
       CASE WHEN k.kind = 'question' AND g % 9 = 0 THEN
         'question sans reponse numero ' || (g % 500)::text END
FROM generate_series(1, :n) AS g,
     LATERAL (SELECT (ARRAY['question','question','choice','choice','answer','answer',
                            'start','choice'])[1 + ((g / 13) % 8)] AS kind) AS k
"""


def profile(engine: sa.Engine, days: int) -> None:
    from dialogs.insights import report as r

    since, until = r.window(days)
    with engine.connect() as db:
        t = time.perf_counter()
        rows = r.rollup(db, since, until)
        r.questions(rows, since, until, r.per_day(db, since, until))
        r.exchanges(rows), r.handoff_counts(rows)
        print(f"  roll-up counts: {(time.perf_counter() - t) * 1000:.0f} ms ({len(rows)} rows)")
        for name in ("unanswered", "ussd_funnel", "satisfaction"):
            t = time.perf_counter()
            getattr(r, name)(db, since, until)
            print(f"  {name}: {(time.perf_counter() - t) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--spread", type=int, default=90, help="days the events cover")
    parser.add_argument("--days", type=int, default=30, help="the report's period")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="time each query too")
    parser.add_argument("--keep", action="store_true", help="keep the database (print its name)")
    parser.add_argument("--reuse", help="a database kept by --keep: time it again, fill nothing")
    args = parser.parse_args(argv)
    base = os.environ.get("TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = args.reuse or f"guichet_bench_{uuid.uuid4().hex[:10]}"
    if not args.reuse:
        with admin.connect() as db:
            db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = sa.create_engine(sa.make_url(base).set(database=name), hide_parameters=True)
    try:
        migrate.upgrade(engine)
        started = time.perf_counter()
        if not args.reuse:
            with engine.begin() as db:
                db.execute(sa.text(FILL), {"n": args.events, "spread": args.spread})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
            db.execute(sa.text("VACUUM ANALYZE insight_events"))
            rolled = db.execute(sa.text("SELECT count(*) FROM insight_daily")).scalar()
            in_period = db.execute(sa.text(
                "SELECT count(*) FROM insight_events WHERE at > now() - make_interval(days => :d)"),
                {"d": args.days}).scalar()
        print(f"{args.events} events over {args.spread} days written in "
              f"{time.perf_counter() - started:.1f} s ({in_period} in the last {args.days} days, "
              f"{rolled} daily roll-up rows before the first report)")
        t = time.perf_counter()
        report(engine, args.days)  # rolls the closed days up once, as the first reader does
        print(f"first report (rolls the period's closed days up once): "
              f"{time.perf_counter() - t:.1f} s")
        report(engine, args.days)  # warm the cache, as a page in use is
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            data = report(engine, args.days)
            times.append(time.perf_counter() - t)
        times.sort()
        if args.profile:
            profile(engine, args.days)
        p95 = times[max(0, int(round(0.95 * len(times) + 0.5)) - 1)]
        p50 = statistics.median(times)
        print(f"report({args.days} days) x{args.repeat}: p50 {p50 * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
              f"(target p95 < {TARGET_P95 * 1000:.0f} ms: "
              f"{'met' if p95 < TARGET_P95 else 'MISSED'}); "
              f"{data['questions']['count']} questions, {len(data['ussd_funnel'])} funnel rows")
        return 0 if p95 < TARGET_P95 else 1
    finally:
        engine.dispose()
        if args.keep or args.reuse:
            print(f"database kept: {name}")
            admin.dispose()
            return 0  # noqa: B012
        with admin.connect() as db:
            db.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
