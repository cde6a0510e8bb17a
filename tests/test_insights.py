"""Insights over real traffic: citizens ask on SMS and USSD (popular questions, unanswerable
ones carrying a phone number and a name, USSD callers leaving an e-service form at a given
step, hand-offs), then a supervisor reads ``/agent/insights.json`` (an agent is refused), the
CSV, labels a question (audited) and exports the labels as Rasa training data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
import sqlalchemy as sa
import yaml

from channels import retention
from channels.agent import labelled as labelled_cli
from dialogs.desk.records import audit
from dialogs.insights import labels as learning
from dialogs.insights import store
from dialogs.insights.mask import mask_question, vocabulary
from dialogs.insights.records import daily, events
from dialogs.insights.report import report
from tests.conftest import wait_for
from tests.ussd_phone import Phone

PASSWORD = "a long password"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_ids = iter(range(1, 10**6))
NAME_QUESTION = "Bonjour je suis Koffi Agossou 0197000555, je veux adopter un chat"


class Console:
    def __init__(self, app, login: str) -> None:
        self.client = app.test_client()
        page = self.client.get("/agent/login")
        token = _CSRF.search(page.text)[1]
        assert self.client.post("/agent/login", data={
            "login": login, "password": PASSWORD, "csrf_token": token}).status_code == 303
        self.token = _CSRF.search(self.client.get("/agent/queue").text)[1]

    def json(self, path: str):
        return self.client.get(path, headers={"Accept": "application/json"})


@pytest.fixture
def ins_app(make_app, at_fake):
    return supervised_app(make_app, at_fake)


def supervised_app(make_app, at_fake):
    """An app with an agent (awa) and a supervisor (eve); other insights test files share it."""
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)
    desk = app.extensions["guichet"].desk
    for login, role in (("awa", "agent"), ("eve", "supervisor")):
        desk.accounts.add(login=login, password=PASSWORD, role=role, languages="fr",
                          display_name=login.title())
    return app


def sms(app, fake, number: str, body: str) -> str:
    client = app.test_client()
    seen = len(fake.messages_to(number))
    assert client.post("/sms/inbound", data={
        "from": number, "to": "1350", "text": body, "date": "2026-11-30 10:00:00",
        "id": f"ATXid_ins_{next(_ids)}", "linkId": "l"}).status_code == 200
    return wait_for(lambda: fake.messages_to(number)[seen:] or None, timeout=15)[0]


def to_casier_form(phone: Phone) -> str:
    """Dial, French, the procedures menu, Justice, the criminal record, "make the request"."""
    phone.dial()
    phone.press("1", "1", "1", "1", "98")
    return phone.press("2")


def play_traffic(app, fake) -> None:
    for number, question in (("+2290197000301", "combien coute le casier judiciaire"),
                             ("+2290197000302", "quels papiers pour le casier judiciaire"),
                             ("+2290197000303", "prix du passeport")):
        sms(app, fake, number, question)
    # unanswerable, twice in a row from the same citizen: then a person takes it
    sms(app, fake, "+2290197000304", NAME_QUESTION)
    sms(app, fake, "+2290197000304",
        "Mon nom est Dossou Jean, je cherche une recette de gateau 0197000555")
    client = app.test_client()
    # USSD: one caller stops at step 2 (the gateway says the session ended), one at step 1
    # (no notification: the session just times out), one submits
    first = Phone(client, "+2290197000311")
    assert to_casier_form(first).startswith("Étape 1/6")
    assert first.press("1234567890").startswith("Étape 2/6")
    client.post("/ussd/events", data={"sessionId": first.session, "phoneNumber": first.number,
                                      "status": "Incomplete", "hopsCount": "8"})
    second = Phone(client, "+2290197000312")
    assert to_casier_form(second).startswith("Étape 1/6")


def test_supervisor_reads_what_citizens_ask_and_an_agent_is_refused(ins_app, at_fake):
    fake, _ = at_fake
    play_traffic(ins_app, fake)
    supervisor = Console(ins_app, "eve")
    response = supervisor.json("/agent/insights.json?days=7")
    assert response.status_code == 200
    data = response.get_json()
    assert data["days"] == 7
    q = data["questions"]
    by_procedure = {r["procedure"]: r["count"] for r in q["by_procedure"]}
    assert by_procedure["casier-judiciaire"] == 2 and by_procedure["passeport"] == 1
    assert {r["aspect"] for r in q["by_aspect"]} >= {"cost", "documents"}
    assert {r["channel"]: r["count"] for r in q["by_channel"]}["sms"] == 5
    assert {r["language"] for r in q["by_language"]} == {"fr"}
    texts = [r["text"] for r in data["unanswered"]]
    assert len(texts) == 2 and all(r["channel"] == "sms" for r in data["unanswered"])
    assert any("adopter un chat" in t for t in texts)  # what was asked stays readable
    funnel = {(r["eservice"], r["step"]): r for r in data["ussd_funnel"]}
    assert funnel[("casier-judiciaire", "npi")]["reached"] == 2
    assert funnel[("casier-judiciaire", "npi")]["abandoned"] == 1
    assert funnel[("casier-judiciaire", "nom")] | {} == {
        "eservice": "casier-judiciaire", "step": "nom", "step_no": 2, "reached": 1,
        "abandoned": 1}
    assert data["handoffs"]["count"] == 1
    assert data["handoffs"]["by_reason"] == [{"reason": "misunderstood", "count": 1}]
    assert set(data["satisfaction"]) >= {"mean", "count"}
    assert data["sms_segments_per_day"] and data["sms_segments_per_day"][0]["segments"] >= 5
    # anonymous: no phone, NPI or name anywhere
    raw = json.dumps(data, ensure_ascii=False)
    for secret in ("0197000", "1234567890", "Koffi", "Agossou", "Dossou", "Jean", "+229"):
        assert secret not in raw
    # an agent is refused, as JSON and as a page
    agent = Console(ins_app, "awa")
    assert agent.json("/agent/insights.json?days=7").status_code == 403
    assert agent.client.get("/agent/insights").status_code == 403
    assert agent.client.get("/agent/insights.csv").status_code == 403
    # and nobody logged out reads it
    assert ins_app.test_client().get("/agent/insights.json",
                                     headers={"Accept": "application/json"}).status_code == 401


def test_the_page_csv_and_labelling_loop(ins_app, at_fake, tmp_path, monkeypatch):
    fake, _ = at_fake
    sms(ins_app, fake, "+2290197000321", NAME_QUESTION)
    supervisor = Console(ins_app, "eve")
    page = supervisor.client.get("/agent/insights?days=30")
    assert page.status_code == 200
    assert "Démarches demandées" in page.text and "adopter un chat" in page.text
    assert "Koffi" not in page.text and "0197000555" not in page.text
    assert "vendor/chart.umd.min.js" in page.text
    assert supervisor.client.get("/agent/static/vendor/chart.umd.min.js").status_code == 200
    rows = list(csv.reader(io.StringIO(supervisor.client.get("/agent/insights.csv?days=30")
                                       .get_data(as_text=True))))
    assert rows[0] == ["section", "key", "detail", "value"]
    assert ["questions", "total", "", "1"] in rows
    assert any(r[0] == "unanswered" and "adopter" in r[1] for r in rows)
    text = supervisor.json("/agent/insights.json").get_json()["unanswered"][0]["text"]
    # a label without the CSRF token is refused
    refused = supervisor.client.post("/agent/insights/label", data={"text": text,
                                                                    "intent": "out_of_scope"})
    assert refused.status_code == 400
    agent = Console(ins_app, "awa")
    assert agent.client.post("/agent/insights/label", data={
        "text": text, "intent": "out_of_scope", "csrf_token": agent.token},
        headers={"Accept": "application/json"}).status_code == 403
    bad = supervisor.client.post("/agent/insights/label", data={
        "text": text, "intent": "nonsense", "csrf_token": supervisor.token},
        headers={"Accept": "application/json"})
    assert bad.status_code == 400
    done = supervisor.client.post("/agent/insights/label", data={
        "text": text, "lang": "fr", "intent": "out_of_scope", "csrf_token": supervisor.token},
        headers={"Accept": "application/json"})
    assert done.status_code == 200 and done.get_json()["ok"]
    engine = ins_app.extensions["guichet"].desk.engine
    with engine.connect() as db:
        line = db.execute(sa.select(audit).where(audit.c.action == "insight_label")).one()
    assert line.login == "eve" and "out_of_scope" in line.detail
    export = learning.export_yaml(engine, mark=False)
    body, count = export.body, export.count
    assert count == 1
    path = tmp_path / "labelled.yml"
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert labelled_cli.main(["--out", str(path)]) == 0  # what make nlu-import-labelled runs
    assert path.read_text(encoding="utf-8") == body
    doc = yaml.safe_load(body)
    assert doc["version"] == "3.1"
    assert doc["nlu"][0]["intent"] == "out_of_scope"
    assert doc["nlu"][0]["metadata"]["language"] == "fr"
    assert text in doc["nlu"][0]["examples"]
    from nlu.trainingdata import load_file
    assert [e.intent for e in load_file(path)] == ["out_of_scope"]
    page = supervisor.client.get("/agent/insights?days=30")
    assert re.search(r'Sur les <strong data-figure="last-week-unanswered">1</strong> questions '
                     r"restées sans réponse", page.text)
    assert "étiquetée" in page.text
    assert all(label["exported_at"] for label in learning.listed(engine))


def test_prometheus_counts_questions_by_procedure_and_abandonment(ins_app, at_fake):
    fake, _ = at_fake
    sms(ins_app, fake, "+2290197000331", "combien coute le casier judiciaire")
    client = ins_app.test_client()
    phone = Phone(client, "+2290197000332")
    to_casier_form(phone)
    client.post("/ussd/events", data={"sessionId": phone.session, "phoneNumber": phone.number,
                                      "status": "Incomplete"})
    ins_app.extensions["guichet"].events.flush()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'guichet_questions_total\{answered="yes",channel="sms",'
                     r'intent="ask_procedure",language="fr",procedure="casier-judiciaire"\} [1-9]',
                     metrics)
    assert re.search(r'guichet_ussd_form_abandoned_total\{eservice="casier-judiciaire",'
                     r'step="npi"\} [1-9]', metrics)


def test_recording_off_keeps_nothing(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   INSIGHTS_ENABLED="false")
    sms(app, fake, "+2290197000341", "prix du passeport")
    engine = app.extensions["guichet"].desk.engine
    with engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(events)).scalar() == 0


def test_unanswered_texts_are_masked_and_purged_after_their_retention(ins_app, at_fake):
    fake, _ = at_fake
    sms(ins_app, fake, "+2290197000351", NAME_QUESTION)
    rt = ins_app.extensions["guichet"]
    rt.events.flush()
    with rt.desk.engine.connect() as db:
        stored = db.execute(sa.select(events.c.text)
                            .where(events.c.text.is_not(None))).scalars().all()
    assert stored and "Koffi" not in stored[0] and "0197" not in stored[0]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=rt.settings.retention_unanswered_days + 1)
    counts = retention.purge(rt.settings, rt.desk.engine, now=later)
    assert counts["unanswered_texts"] == 1
    with rt.desk.engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(events)
                          .where(events.c.text.is_not(None))).scalar() == 0
        assert db.execute(sa.select(sa.func.count()).select_from(events)).scalar() > 0


@pytest.mark.parametrize("text, hidden", [
    ("Je m'appelle koffi agossou, mon passeport", ["koffi", "agossou"]),
    ("NPI 1234567890 tel +229 01 97 00 00 01", ["1234567890", "97"]),
    ("écrivez à jean.dossou@mail.bj", ["jean", "dossou"]),
    ("my name is John Smith", ["John", "Smith"]),
    ("pour madame marie dossou, le passeport", ["marie", "dossou"]),
])
def test_masking_hides_digits_and_names(text, hidden):
    masked = mask_question(text, vocabulary(["passeport casier judiciaire"]))
    assert not re.search(r"\d", masked)
    for word in hidden:
        assert word not in masked
    assert mask_question("Combien coûte le Passeport", vocabulary(["passeport"])) == \
        "Combien coûte le Passeport"


def test_funnel_counts_the_last_step_of_each_session_on_both_engines(engine):
    from channels import migrate
    migrate.upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    rows = []
    for session, steps in (("a", ["npi", "nom"]), ("b", ["npi"]),
                           ("c", ["npi", "nom", "confirm", "submitted"])):
        for i, step in enumerate(steps):
            rows.append({"at": now - dt.timedelta(minutes=10 - i), "channel": "ussd",
                         "lang": "fr", "kind": "answer", "session": session,
                         "eservice": "casier-judiciaire", "step": step,
                         "step_no": i + 1 if step in ("npi", "nom") else None})
    rows.append({"at": now, "channel": "sms", "lang": "fr", "kind": "question", "session": "d",
                 "procedure": "passeport", "aspect": "cost", "answered": True})
    columns = [c.name for c in events.columns if c.name != "id"]
    with engine.begin() as db:
        store.write(db, [{c: row.get(c) for c in columns} for row in rows])
    data = report(engine, 1)
    funnel = {r["step"]: (r["reached"], r["abandoned"]) for r in data["ussd_funnel"]}
    assert funnel == {"npi": (3, 1), "nom": (2, 1), "confirm": (1, 0), "submitted": (1, 0)}
    assert [r["step"] for r in data["ussd_funnel"]] == ["npi", "nom", "confirm", "submitted"]
    assert data["questions"]["by_procedure"] == [{"procedure": "passeport", "count": 1}]
    assert report(engine, 1, now - dt.timedelta(days=10))["questions"]["count"] == 0
    # a closed day is counted from the roll-up, once, and reads the same as live events
    old = {c: None for c in columns} | {
        "at": now - dt.timedelta(days=3), "channel": "ussd", "lang": "fon", "kind": "question",
        "session": "e", "procedure": "passeport", "aspect": "delay", "answered": False,
        "handoff": "misunderstood"}
    with engine.begin() as db:
        store.write(db, [old])
    week = report(engine, 7)
    assert week["questions"]["by_procedure"] == [{"procedure": "passeport", "count": 2}]
    assert {"language": "fon", "count": 1} in week["questions"]["by_language"]
    assert week["questions"]["answered"] == 1
    assert week["handoffs"]["by_reason"] == [{"reason": "misunderstood", "count": 1}]
    assert sum(d["count"] for d in week["questions"]["by_day"]) == 2
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=6)
    assert store.roll_up(engine, since, now) == 0  # already counted by the report
    with engine.connect() as db:
        assert db.execute(sa.select(sa.func.sum(daily.c.n))).scalar() == 1
