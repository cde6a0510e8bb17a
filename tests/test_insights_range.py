"""The insights' date range: ``from``/``to`` (Benin days) on the page, the JSON and the CSV,
besides ``days=N``; a bad date is a 400 in French, never a 5xx."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.insights import store
from dialogs.insights.records import events
from dialogs.insights.report import between, report_between
from tests.test_insights import Console, supervised_app


@pytest.fixture
def ins_app(make_app, at_fake):
    return supervised_app(make_app, at_fake)


COLUMNS = [c.name for c in events.columns if c.name != "id"]


def question(at: dt.datetime, procedure: str, session: str) -> dict:
    return {c: None for c in COLUMNS} | {
        "at": at, "channel": "sms", "lang": "fr", "kind": "question", "session": session,
        "intent": "ask_procedure", "procedure": procedure, "aspect": "cost", "answered": True}


def test_a_day_is_a_benin_day_on_both_engines(engine):
    """23:30 UTC on the 9th is 00:30 on the 10th in Porto-Novo: it counts on the 10th, in the
    roll-up of closed days as in the live events."""
    from channels import migrate
    migrate.upgrade(engine)
    late = dt.datetime(2026, 3, 9, 23, 30, tzinfo=dt.UTC)
    with engine.begin() as db:
        store.write(db, [question(late, "passeport", "a"),
                         question(late - dt.timedelta(hours=2), "casier-judiciaire", "b")])
    tenth = report_between(engine, *between(dt.date(2026, 3, 10), dt.date(2026, 3, 10)))
    assert tenth["from"] == tenth["to"] == "2026-03-10" and tenth["days"] == 1
    assert tenth["questions"]["by_procedure"] == [{"procedure": "passeport", "count": 1}]
    both = report_between(engine, *between(dt.date(2026, 3, 9), dt.date(2026, 3, 10)))
    assert both["questions"]["by_day"] == [{"day": "2026-03-09", "count": 1},
                                           {"day": "2026-03-10", "count": 1}]
    # the same, read live (a "now" that has not closed those days yet)
    with engine.connect() as db:
        from dialogs.insights.report import per_day
        since, until = between(dt.date(2026, 3, 9), dt.date(2026, 3, 10))
        live = per_day(db, since, until, now=dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC))
    assert dict(live) == {dt.date(2026, 3, 9): 1, dt.date(2026, 3, 10): 1}


def test_supervisor_picks_dates_and_bad_dates_are_refused_in_french(ins_app):
    engine = ins_app.extensions["guichet"].desk.engine
    today = store.local_date(dt.datetime.now(dt.UTC))
    old_day = today - dt.timedelta(days=20)
    with engine.begin() as db:
        store.write(db, [question(store.midnight(old_day) + dt.timedelta(hours=9),
                                  "passeport", "x"),
                         question(store.midnight(old_day) + dt.timedelta(hours=10), None, "z")
                         | {"intent": None, "aspect": None, "answered": False,
                            "text": "recette du gateau"},
                         question(store.midnight(today) + dt.timedelta(minutes=1),
                                  "casier-judiciaire", "y")])
    supervisor = Console(ins_app, "eve")
    first, last = (old_day - dt.timedelta(days=1)).isoformat(), old_day.isoformat()
    data = supervisor.json(f"/agent/insights.json?from={first}&to={last}").get_json()
    assert (data["from"], data["to"], data["days"]) == (first, last, 2)
    assert data["questions"]["by_procedure"] == [{"procedure": "passeport", "count": 1}]
    assert [r["text"] for r in data["unanswered"]] == ["recette du gateau"]
    week = supervisor.json("/agent/insights.json?days=7").get_json()  # the contract stays
    assert week["questions"]["by_procedure"] == [{"procedure": "casier-judiciaire", "count": 1}]
    csv_response = supervisor.client.get(f"/agent/insights.csv?from={first}&to={last}")
    assert csv_response.status_code == 200
    assert f"insights-{first}_{last}.csv" in csv_response.headers["Content-Disposition"]
    assert "questions_by_procedure,passeport,,1" in csv_response.text
    assert "casier-judiciaire" not in csv_response.text
    page = supervisor.client.get(f"/agent/insights?from={first}&to={last}")
    assert page.status_code == 200
    assert f'name="from" value="{first}"' in page.text and f'name="to" value="{last}"' in page.text
    assert f"/agent/insights.csv?from={first}&amp;to={last}" in page.text
    for preset in (7, 30, 90):
        assert f'<option value="{preset}"' in page.text
    # labelling from that page comes back to the same dates
    assert f"/agent/insights/label?from={first}&amp;to={last}" in page.text
    back = supervisor.client.post(f"/agent/insights/label?from={first}&to={last}", data={
        "text": "recette du gateau", "lang": "fr", "intent": "out_of_scope",
        "csrf_token": supervisor.token})
    assert back.status_code == 303
    assert back.headers["Location"].endswith(f"/agent/insights?from={first}&to={last}#apprendre")


@pytest.mark.parametrize("query, message", [
    ("from=2026-13-01&to=2026-12-31", "Date de début illisible"),
    ("from=hier", "Date de début illisible"),
    ("from=2026-03-01&to=31/03/2026", "Date de fin illisible"),
    ("from=2026-03-10&to=2026-03-01", "est après la date de fin"),
    ("from=2020-01-01&to=2026-03-01", "Période trop longue"),
])
def test_a_bad_range_is_a_400_with_the_reason(ins_app, query, message):
    supervisor = Console(ins_app, "eve")
    as_json = supervisor.json(f"/agent/insights.json?{query}")
    assert as_json.status_code == 400 and message in as_json.get_json()["error"]
    as_csv = supervisor.client.get(f"/agent/insights.csv?{query}")
    assert as_csv.status_code == 400 and message in as_csv.text
    page = supervisor.client.get(f"/agent/insights?{query}")
    assert page.status_code == 400
    assert message in page.text and "Voici les 7 derniers jours" in page.text
