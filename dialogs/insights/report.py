"""The aggregates supervisors read (``/agent/insights.json``): one function, a few grouped
queries over a date range of ``insight_events`` (and the desk's satisfaction ratings).

Only figures and masked texts come out: no session hash, no citizen id.  The counts read the
daily roll-up (``insight_daily``); the unanswered texts and the USSD funnel read the events
through partial indexes (texts kept, e-service form events), so a month of a busy service (a
million events) stays under a second on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from dialogs.desk.records import handoffs as desk_handoffs
from dialogs.insights.records import daily
from dialogs.insights.records import events as ev

UNANSWERED_LIMIT = 100
"""How many distinct unanswered questions the report lists (the most frequent first)."""
STEP_ORDER = {"confirm": 1000, "submitted": 1001}


def window(days: int, until: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """``[since, until)`` for the last ``days`` days, whole UTC days, today included."""
    until = until or dt.datetime.now(dt.UTC)
    end = (until + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return end - dt.timedelta(days=days), end


def _counts(db: sa.Connection, column: sa.ColumnElement, where: list) -> list[tuple[Any, int]]:
    """``(value, count)`` from the daily roll-up, the largest first ('' is no value)."""
    n = sa.func.sum(daily.c.n).label("n")
    rows = db.execute(sa.select(column, n).where(*where).group_by(column)
                      .order_by(n.desc(), column)).all()
    return [(r[0], int(r[1])) for r in rows]


def _days(since: dt.datetime, until: dt.datetime) -> list:
    return [daily.c.day >= since.date(), daily.c.day < until.date()]


def questions(db: sa.Connection, since: dt.datetime, until: dt.datetime) -> dict:
    where = [daily.c.kind == "question", *_days(since, until)]
    total = answered = 0
    for value, count in _counts(db, daily.c.answered, where):
        total += count
        answered += count if value != "n" else 0
    return {
        "count": total,
        "answered": answered,
        "by_procedure": [{"procedure": p, "count": n} for p, n in
                         _counts(db, daily.c.procedure, [*where, daily.c.procedure != ""])],
        "by_aspect": [{"aspect": a, "count": n} for a, n in
                      _counts(db, daily.c.aspect, [*where, daily.c.aspect != ""])],
        "by_intent": [{"intent": i, "count": n} for i, n in
                      _counts(db, daily.c.intent, [*where, daily.c.intent != ""])],
        "by_channel": [{"channel": c, "count": n} for c, n in _counts(db, daily.c.channel, where)],
        "by_language": [{"language": c, "count": n} for c, n in
                        _counts(db, daily.c.lang, where)],
        "by_day": _every_day(since, until, _counts(db, daily.c.day, where)),
    }


def _every_day(since: dt.datetime, until: dt.datetime,
               counts: list[tuple[Any, int]]) -> list[dict]:
    """One row per day of the period, 0 where nothing was asked (a chart shows the gaps)."""
    found = {(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))): n
             for d, n in counts}
    day, last = since.date(), until.date()
    rows = []
    while day < last:
        rows.append({"day": day.isoformat(), "count": found.get(day, 0)})
        day += dt.timedelta(days=1)
    return rows


def exchanges(db: sa.Connection, since: dt.datetime, until: dt.datetime) -> dict:
    """Every exchange (menus, forms and questions) per channel and language."""
    where = _days(since, until)
    by_channel = _counts(db, daily.c.channel, where)
    return {"count": sum(n for _, n in by_channel),
            "by_channel": [{"channel": c, "count": n} for c, n in by_channel],
            "by_language": [{"language": c, "count": n} for c, n in
                            _counts(db, daily.c.lang, where)]}


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
    reached = db.execute(
        sa.select(ev.c.eservice, ev.c.step, sa.func.max(ev.c.step_no),
                  sa.func.count(sa.distinct(ev.c.session)))
        .where(*where).group_by(ev.c.eservice, ev.c.step)).all()
    ranked = sa.select(
        ev.c.eservice, ev.c.step,
        sa.func.row_number().over(partition_by=ev.c.session,
                                  order_by=(ev.c.at.desc(), ev.c.id.desc())).label("rn"),
    ).where(*where).subquery()
    stopped = {(e, s): int(n) for e, s, n in db.execute(
        sa.select(ranked.c.eservice, ranked.c.step, sa.func.count())
        .where(ranked.c.rn == 1, ranked.c.step != "submitted")
        .group_by(ranked.c.eservice, ranked.c.step)).all()}
    rows = [{"eservice": e, "step": s, "step_no": no, "reached": int(n),
             "abandoned": stopped.get((e, s), 0)} for e, s, no, n in reached]
    rows.sort(key=lambda r: (r["eservice"], STEP_ORDER.get(r["step"], r["step_no"] or 0)))
    return rows


def handoff_counts(db: sa.Connection, since: dt.datetime, until: dt.datetime) -> dict:
    where = [daily.c.handoff != "", *_days(since, until)]
    by_reason = _counts(db, daily.c.handoff, where)
    return {"count": sum(n for _, n in by_reason),
            "by_reason": [{"reason": r, "count": n} for r, n in by_reason],
            "by_channel": [{"channel": c, "count": n} for c, n in
                           _counts(db, daily.c.channel, where)]}


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
    since, end = window(days, until)
    with engine.connect() as db:
        return {
            "days": days,
            "from": since.date().isoformat(),
            "to": (end - dt.timedelta(days=1)).date().isoformat(),
            "questions": questions(db, since, end),
            "exchanges": exchanges(db, since, end),
            "unanswered": unanswered(db, since, end),
            "ussd_funnel": ussd_funnel(db, since, end),
            "handoffs": handoff_counts(db, since, end),
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
