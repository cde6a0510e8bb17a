"""The aggregates supervisors read (``/agent/insights.json``): one function, a few grouped
queries over a date range of ``insight_events`` (and the desk's satisfaction ratings).

Only figures and masked texts come out: no session hash, no citizen id.  The counts read the
daily roll-up (``insight_daily``) for closed days and the events for the open ones; the
unanswered texts and the USSD funnel read the events through partial indexes (texts kept,
e-service form events), so a month of a busy service (a million events) stays under a second on
PostgreSQL.
"""

from __future__ import annotations

import collections
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on

from dialogs.desk.records import handoffs as desk_handoffs
from dialogs.insights import store
from dialogs.insights.records import daily
from dialogs.insights.records import events as ev

UNANSWERED_LIMIT = 100
"""How many distinct unanswered questions the report lists (the most frequent first)."""
STEP_ORDER = {"confirm": 1000, "submitted": 1001}


def window(days: int, until: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """``[since, until)`` for the last ``days`` days, whole Benin days, today included."""
    today = store.local_date(until or dt.datetime.now(dt.UTC))
    return between(today - dt.timedelta(days=days - 1), today)


def between(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``[since, until)`` from the start of Benin's day ``first`` to the end of ``last``."""
    return store.midnight(first), store.midnight(last + dt.timedelta(days=1))


Row = tuple  # (channel, lang, kind, intent, procedure, aspect, answered, handoff, n)
CHANNEL, LANG, KIND, INTENT, PROCEDURE, ASPECT, ANSWERED, HANDOFF, N = range(9)
_DIMENSIONS = (daily.c.channel, daily.c.lang, daily.c.kind, daily.c.intent, daily.c.procedure,
               daily.c.aspect, daily.c.answered, daily.c.handoff)


def _live_dimensions() -> tuple:
    """The roll-up's dimensions computed from the events themselves ('' for none)."""
    answered = sa.case((ev.c.answered.is_(None), ""), (ev.c.answered.is_(True), "y"),
                       else_="n")
    return (ev.c.channel, ev.c.lang, ev.c.kind, sa.func.coalesce(ev.c.intent, ""),
            sa.func.coalesce(ev.c.procedure, ""), sa.func.coalesce(ev.c.aspect, ""), answered,
            sa.func.coalesce(ev.c.handoff, ""))


def rollup(db: sa.Connection, since: dt.datetime, until: dt.datetime,
           now: dt.datetime | None = None) -> list[Row]:
    """The period's counts per label set: the closed days from the roll-up, the days still
    open (today, yesterday until :data:`store.SETTLE` past midnight) from the events."""
    closed = store.closed_until(now)
    rows: list[Row] = []
    if since < closed:
        rows += [tuple(r) for r in db.execute(
            sa.select(*_DIMENSIONS, sa.func.sum(daily.c.n))
            .where(daily.c.day >= store.local_date(since),
                   daily.c.day < store.local_date(min(until, closed)))
            .group_by(*_DIMENSIONS))]
    if until > closed:
        dims = _live_dimensions()
        rows += [tuple(r) for r in db.execute(
            sa.select(*dims, sa.func.count())
            .where(ev.c.at >= max(since, closed), ev.c.at < until).group_by(*dims))]
    return rows


def per_day(db: sa.Connection, since: dt.datetime, until: dt.datetime,
            now: dt.datetime | None = None) -> collections.Counter:
    """Questions per day of the period (closed days from the roll-up, open ones live)."""
    closed = store.closed_until(now)
    counts: collections.Counter = collections.Counter()
    if since < closed:
        for d, n in db.execute(
                sa.select(daily.c.day, sa.func.sum(daily.c.n))
                .where(daily.c.kind == "question", daily.c.day >= store.local_date(since),
                       daily.c.day < store.local_date(min(until, closed)))
                .group_by(daily.c.day)):
            counts[d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))] += int(n)
    if until > closed:
        day = store.day_of(db)
        for d, n in db.execute(sa.select(day, sa.func.count()).where(
                ev.c.kind == "question", ev.c.at >= max(since, closed), ev.c.at < until)
                .group_by(day)):
            counts[d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))] += int(n)
    return counts


def _sum(rows: list[Row], column: int, key: str) -> list[dict]:
    """``[{key: value, "count": n}]`` over ``rows``, the largest first, no empty value."""
    totals: collections.Counter = collections.Counter()
    for row in rows:
        if row[column] != "":
            totals[row[column]] += int(row[N])
    return [{key: value, "count": n}
            for value, n in sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0])))]


def questions(rows: list[Row], since: dt.datetime, until: dt.datetime,
              days: collections.Counter) -> dict:
    asked = [r for r in rows if r[KIND] == "question"]
    total = sum(int(r[N]) for r in asked)
    return {
        "count": total,
        "answered": total - sum(int(r[N]) for r in asked if r[ANSWERED] == "n"),
        "by_procedure": _sum(asked, PROCEDURE, "procedure"),
        "by_aspect": _sum(asked, ASPECT, "aspect"),
        "by_intent": _sum(asked, INTENT, "intent"),
        "by_channel": _sum(asked, CHANNEL, "channel"),
        "by_language": _sum(asked, LANG, "language"),
        "by_day": _every_day(since, until, days),
    }


def _every_day(since: dt.datetime, until: dt.datetime, counts: collections.Counter) -> list[dict]:
    """One row per day of the period, 0 where nothing was asked (a chart shows the gaps)."""
    found = {(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): n
             for d, n in counts.items()}
    day, last = store.local_date(since), store.local_date(until)
    out = []
    while day < last:
        out.append({"day": day.isoformat(), "count": found.get(day, 0)})
        day += dt.timedelta(days=1)
    return out


def exchanges(rows: list[Row]) -> dict:
    """Every exchange (menus, forms and questions) per channel and language."""
    return {"count": sum(int(r[N]) for r in rows),
            "by_channel": _sum(rows, CHANNEL, "channel"),
            "by_language": _sum(rows, LANG, "language"),
            "by_kind": _sum(rows, KIND, "kind")}


def handoff_counts(rows: list[Row]) -> dict:
    handed = [r for r in rows if r[HANDOFF] != ""]
    return {"count": sum(int(r[N]) for r in handed),
            "by_reason": _sum(handed, HANDOFF, "reason"),
            "by_channel": _sum(handed, CHANNEL, "channel")}


def unanswered(db: sa.Connection, since: dt.datetime, until: dt.datetime,
               limit: int = UNANSWERED_LIMIT) -> list[dict]:
    n = sa.func.count().label("n")
    rows = db.execute(
        sa.select(ev.c.text, ev.c.channel, ev.c.lang, n)
        .where(ev.c.kind == "question", ev.c.at >= since, ev.c.at < until,
               ev.c.answered.is_(False), ev.c.text.is_not(None))
        .group_by(ev.c.text, ev.c.channel, ev.c.lang)
        .order_by(n.desc(), ev.c.text).limit(limit)).all()
    return [{"text": t, "count": int(c), "channel": ch, "language": lang}
            for t, ch, lang, c in rows]


def ussd_funnel(db: sa.Connection, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Each e-service's steps on USSD: how many sessions reached it, and how many stopped
    there for good (their last form event is that step, short of ``submitted``: they hung up,
    timed out or left the form)."""
    where = [ev.c.channel == "ussd", ev.c.eservice.is_not(None), ev.c.at >= since,
             ev.c.at < until]
    pairs = sa.select(ev.c.session, ev.c.eservice, ev.c.step, ev.c.step_no).distinct() \
        .where(*where).subquery()
    reached = db.execute(
        sa.select(pairs.c.eservice, pairs.c.step, sa.func.max(pairs.c.step_no), sa.func.count())
        .group_by(pairs.c.eservice, pairs.c.step)).all()
    if db.dialect.name == "postgresql":  # one backward pass of the covering index
        last = sa.select(ev.c.eservice, ev.c.step).where(*where) \
            .ext(distinct_on(ev.c.session)).order_by(ev.c.session.desc(), ev.c.at.desc()).subquery()
    else:
        ranked = sa.select(
            ev.c.eservice, ev.c.step,
            sa.func.row_number().over(partition_by=ev.c.session,
                                      order_by=(ev.c.at.desc(), ev.c.id.desc())).label("rn"),
        ).where(*where).subquery()
        last = sa.select(ranked.c.eservice, ranked.c.step).where(ranked.c.rn == 1).subquery()
    stopped = {(e, s): int(n) for e, s, n in db.execute(
        sa.select(last.c.eservice, last.c.step, sa.func.count())
        .where(last.c.step != "submitted")
        .group_by(last.c.eservice, last.c.step)).all()}
    rows = [{"eservice": e, "step": s, "step_no": no, "reached": int(n),
             "abandoned": stopped.get((e, s), 0)} for e, s, no, n in reached]
    rows.sort(key=lambda r: (r["eservice"], STEP_ORDER.get(r["step"], r["step_no"] or 0)))
    return rows


def satisfaction(db: sa.Connection, since: dt.datetime, until: dt.datetime) -> dict:
    """The citizens' 1-5 ratings after a conversation with an agent (the desk's records)."""
    h = desk_handoffs
    rows = db.execute(sa.select(h.c.satisfaction, sa.func.count())
                      .where(h.c.satisfaction.is_not(None), h.c.closed_at >= since,
                             h.c.closed_at < until)
                      .group_by(h.c.satisfaction)).all()
    count = sum(int(n) for _, n in rows)
    total = sum(int(s) * int(n) for s, n in rows)
    return {"mean": round(total / count, 2) if count else None, "count": count,
            "by_rating": [{"rating": int(s), "count": int(n)} for s, n in sorted(rows)]}


def report(engine: sa.Engine, days: int, until: dt.datetime | None = None) -> dict:
    """Every aggregate of the insights page for the last ``days`` days."""
    return report_between(engine, *window(days, until))


def report_between(engine: sa.Engine, since: dt.datetime, end: dt.datetime) -> dict:
    """Every aggregate of the insights page for ``[since, end)`` (Benin midnights)."""
    store.roll_up(engine, since, end)  # closed days not counted yet (once, by the 1st reader)
    with engine.connect() as db:
        rows = rollup(db, since, end)
        return {
            "days": (store.local_date(end) - store.local_date(since)).days,
            "from": store.local_date(since).isoformat(),
            "to": (store.local_date(end) - dt.timedelta(days=1)).isoformat(),
            "questions": questions(rows, since, end, per_day(db, since, end)),
            "exchanges": exchanges(rows),
            "unanswered": unanswered(db, since, end),
            "ussd_funnel": ussd_funnel(db, since, end),
            "handoffs": handoff_counts(rows),
            "satisfaction": satisfaction(db, since, end),
        }


def unanswered_texts(engine: sa.Engine, since: dt.datetime, until: dt.datetime,
                     limit: int = 500) -> list[tuple[str, str]]:
    """The distinct masked unanswered questions of a period, with their language (for
    re-reading them with the current model)."""
    with engine.connect() as db:
        rows = db.execute(
            sa.select(ev.c.text, ev.c.lang).distinct()
            .where(ev.c.kind == "question", ev.c.answered.is_(False), ev.c.text.is_not(None),
                   ev.c.at >= since, ev.c.at < until).limit(limit)).all()
    return [(t, lang) for t, lang in rows]
