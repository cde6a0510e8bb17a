"""The supervisors' insights, ``/agent/insights``: what citizens ask, which questions the bot
cannot answer, where USSD callers give up, hand-offs, satisfaction, what SMS costs; and the
learning loop (label an unanswered question, see how many the current model now answers).

Routes on the console's blueprint (login, CSRF and headers are the console's), supervisors
only: an agent gets 403.  ``/agent/insights.json?days=N`` is the contract (DESIGN.md
"Insights"); ``/agent/insights.csv`` the same aggregates as rows; the page renders the tables
on the server (readable without JavaScript) and draws charts with the vendored Chart.js.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from channels.agent.console import _done, _inert, _ip, _wants_json, bp, supervisor_only
from channels.gsm7 import segments
from channels.outbox import outbound
from dialogs.insights import labels as learning
from dialogs.insights import store
from dialogs.insights.report import between, report_between, unanswered_texts, window
from nlu.thresholds import MIN_CONFIDENCE

log = logging.getLogger(__name__)

PERIODS = (7, 30, 90)
MAX_DAYS = 366
"""The confidence the dialog needs to act on an intent (dialogs.journeys.intents)."""
RECHECK_LIMIT = 200
"""How many of last week's distinct unanswered questions are read again with the model."""


def _rt():
    return current_app.extensions["guichet"]


def _engine() -> sa.Engine:
    desk = _rt().desk
    if desk is None:
        abort(503)
    return desk.engine


def _days() -> int:
    days = request.args.get("days", 7, type=int) or 7
    return max(1, min(days, MAX_DAYS))


class PeriodError(ValueError):
    """A date range the page cannot show (the message is the console's French)."""


def _date(name: str) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10]) if len(raw) == 10 else _bad_date(name, raw)
    except ValueError:
        return _bad_date(name, raw)


def _bad_date(name: str, raw: str) -> dt.date:
    which = "de début" if name == "from" else "de fin"
    raise PeriodError(f"Date {which} illisible : « {raw[:20]} ». "
                      "Écrivez-la AAAA-MM-JJ, par exemple 2026-03-31.")


def period() -> tuple[dt.datetime, dt.datetime, dict]:
    """The period asked: ``from``/``to`` (ISO dates, Benin days, both included; one alone
    means a week up to ``to`` or from ``from`` to today), else the last ``days`` days.  Returns
    ``[since, until)`` and the query arguments that name it again (links, CSV, JSON)."""
    first, last = _date("from"), _date("to")
    if first is None and last is None:
        days = _days()
        since, until = window(days)
        return since, until, {"days": days}
    today = store.local_date(dt.datetime.now(dt.UTC))
    last = last or (today if first is not None and first <= today else
                    (first or today) + dt.timedelta(days=6))
    first = first or last - dt.timedelta(days=6)
    if first > last:
        raise PeriodError(f"La date de début ({first.isoformat()}) est après la date de fin "
                          f"({last.isoformat()}).")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"Période trop longue : {MAX_DAYS} jours au plus.")
    since, until = between(first, last)
    return since, until, {"from": first.isoformat(), "to": last.isoformat()}


def sms_segments_per_day(engine: sa.Engine, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """SMS parts the network billed per day (what the service costs), from the outbox."""
    per_day: dict[str, dict[str, int]] = {}
    with engine.connect() as db:
        rows = db.execute(sa.select(outbound.c.body, outbound.c.created_at)
                          .where(outbound.c.channel == "sms",
                                 outbound.c.status.in_(("sent", "outbox", "submitted",
                                                        "delivered", "buffered")),
                                 outbound.c.created_at >= since, outbound.c.created_at < until))
        for body, created in rows:
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            day = store.local_date(created).isoformat()
            entry = per_day.setdefault(day, {"messages": 0, "segments": 0})
            entry["messages"] += 1
            entry["segments"] += segments(body)
    return [{"day": day, **figures} for day, figures in sorted(per_day.items())]


def answered_now(texts: list[tuple[str, str]]) -> int:
    """How many of ``texts`` the running NLU now reads with enough confidence."""
    nlu = _rt().nlu
    count = 0
    for text, lang in texts:
        try:
            result = nlu.parse(text, lang)
        except Exception:  # the NLU away: this one is not answered
            log.exception("nlu failed while re-reading an unanswered question")
            continue
        intent = result.get("intent") or {}
        named = {e.get("entity") for e in result.get("entities") or []}
        if "unknown_procedure" in named and "procedure" not in named:
            continue  # still "not in the catalogue": answered once the portal publishes it
        if intent.get("name") not in (None, "out_of_scope") \
                and intent.get("confidence", 0) >= MIN_CONFIDENCE:
            count += 1
    return count


def learning_figures(engine: sa.Engine) -> dict:
    """Of last week's unanswered questions (distinct masked texts of the last 7 Benin days,
    today included, whatever period the page shows), how many the current model answers now,
    and how many are labelled."""
    since, until = window(7)
    texts = unanswered_texts(engine, since, until, RECHECK_LIMIT)
    done = learning.labelled_texts(engine)
    return {"last_week_unanswered": len(texts), "now_answered": answered_now(texts),
            "labelled": sum(1 for t in texts if t in done),
            "from": store.local_date(since).isoformat(),
            "to": (store.local_date(until) - dt.timedelta(days=1)).isoformat()}


def build(since: dt.datetime, until: dt.datetime, *, with_learning: bool = False) -> dict:
    rt = _rt()
    if rt.events is not None:
        rt.events.flush()  # this process's last events count too
        if rt.settings.redis_url:  # other workers write theirs within one interval: wait it
            time.sleep(min(rt.events.interval, 1.0))
    engine = _engine()
    data = report_between(engine, since, until)
    data["sms_segments_per_day"] = sms_segments_per_day(engine, since, until)
    data["sms_segments"] = sum(d["segments"] for d in data["sms_segments_per_day"])
    data["recording"] = rt.events is not None
    if with_learning:
        data["learning"] = learning_figures(engine)
    return data


@bp.get("/insights.json")
@supervisor_only
def insights_json():
    try:
        since, until, _ = period()
    except PeriodError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(build(since, until, with_learning=request.args.get("learning") == "1"))


@bp.get("/insights")
@supervisor_only
def insights():
    """The page; a bad date range shows the last week with the reason, as a 400."""
    error, status = None, 200
    try:
        since, until, args = period()
    except PeriodError as exc:
        error, status = str(exc), 400
        since, until = window(7)
        args = {"days": 7}
    data = build(since, until, with_learning=True)
    procedures = sorted(p.slug for p in _procedures())
    return render_template("agent/insights.html", data=data, days=data["days"], args=args,
                           periods=PERIODS, error=error,
                           intents=learning.INTENTS, aspects=learning.ASPECTS,
                           procedures=procedures, labels=learning.listed(_engine(), 50),
                           labelled=learning.labelled_texts(_engine()),
                           counts=_rt().desk.counts(g.agent)), status


def _procedures():
    try:
        return _rt().portal.procedures()
    except Exception:  # the portal away: the label form offers no procedure list
        log.warning("catalogue unavailable for the labelling form")
        return []


@bp.get("/insights.csv")
@supervisor_only
def insights_csv():
    """The aggregates as ``section,key,sub,value`` rows (one file for a spreadsheet)."""
    try:
        since, until, args = period()
    except PeriodError as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    data = build(since, until)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "detail", "value"])
    q = data["questions"]
    writer.writerow(["questions", "total", "", q["count"]])
    writer.writerow(["questions", "answered", "", q["answered"]])
    for name, field in (("by_procedure", "procedure"), ("by_aspect", "aspect"),
                        ("by_intent", "intent"), ("by_channel", "channel"),
                        ("by_language", "language"), ("by_day", "day")):
        for row in q[name]:
            writer.writerow([f"questions_{name}", row[field], "", row["count"]])
    for row in data["unanswered"]:
        writer.writerow(["unanswered", _inert(row["text"]),
                         f"{row['channel']}/{row['language']}", row["count"]])
    for row in data["ussd_funnel"]:
        writer.writerow(["ussd_funnel_reached", row["eservice"], row["step"], row["reached"]])
        writer.writerow(["ussd_funnel_abandoned", row["eservice"], row["step"],
                         row["abandoned"]])
    writer.writerow(["handoffs", "total", "", data["handoffs"]["count"]])
    for row in data["handoffs"]["by_reason"]:
        writer.writerow(["handoffs_by_reason", row["reason"], "", row["count"]])
    sat = data["satisfaction"]
    writer.writerow(["satisfaction", "mean", "", "" if sat["mean"] is None else sat["mean"]])
    writer.writerow(["satisfaction", "count", "", sat["count"]])
    for row in data["sms_segments_per_day"]:
        writer.writerow(["sms_segments_per_day", row["day"], row["messages"], row["segments"]])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=insights-{_name(args)}.csv"})


def _name(args: dict) -> str:
    return f"{args['days']}d" if "days" in args else f"{args['from']}_{args['to']}"


@bp.post("/insights/label")
@supervisor_only
def insights_label():
    """A supervisor's label of an unanswered question (audited; exported to the training data
    by ``make nlu-import-labelled``)."""
    form = request.form
    slugs = {p.slug for p in _procedures()} or None
    try:
        label = learning.check(form.get("text", ""), form.get("lang", "fr"),
                               form.get("intent", ""), form.get("procedure"),
                               form.get("aspect"), slugs)
    except learning.LabelError as exc:
        if _wants_json():
            return jsonify(error=str(exc)), 400
        flash(str(exc), "error")
        return redirect(_back(), 303)
    learning.save(_engine(), label, agent_id=g.agent.id, login=g.agent.login, ip=_ip())
    return _done("Question étiquetée : elle entrera dans les données d'entraînement à la "
                 "prochaine importation.", _back() + "#apprendre",
                 label={"text": label.text, "intent": label.intent,
                        "procedure": label.procedure, "aspect": label.aspect})


def _back() -> str:
    """The page the label was posted from, same period (days, or from/to)."""
    args: dict[str, Any] = {k: request.args[k][:10] for k in ("days", "from", "to")
                            if request.args.get(k)}
    return url_for("agent.insights", **args)


ASPECT_NAMES = {"cost": "coût", "documents": "pièces à fournir", "delay": "délai",
                "where": "où aller", "validity": "validité", "online": "en ligne"}
INTENT_NAMES = {"ask_procedure": "question sur une démarche",
                "start_eservice": "faire une demande en ligne",
                "track_request": "suivre une demande",
                "human_handoff": "parler à un conseiller", "change_language": "changer de langue",
                "greet": "salutation", "goodbye": "au revoir", "thanks": "remerciement",
                "help": "aide", "affirm": "oui", "deny": "non",
                "out_of_scope": "hors sujet (le robot n'a pas à répondre)"}
STEP_NAMES = {"confirm": "vérification", "submitted": "demande envoyée"}


@bp.app_template_filter("aspect_name")
def _aspect_name(aspect: str | None) -> str:
    return ASPECT_NAMES.get(aspect or "", aspect or "")


@bp.app_template_filter("intent_name")
def _intent_name(intent: str | None) -> str:
    return INTENT_NAMES.get(intent or "", intent or "")


@bp.app_template_filter("step_name")
def _step_name(step: str | None) -> str:
    return STEP_NAMES.get(step or "", step or "")
