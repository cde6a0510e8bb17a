"""The insights' acceptance check, played as it will be: known traffic on SMS and USSD (popular
questions, unanswerable ones carrying a phone number, an NPI and a name, USSD callers leaving
the criminal-record form at given steps, callers who complete it and are offered to pay, menu
navigation, hand-offs), then ``/agent/insights.json`` read by a supervisor, every figure
compared with what was played, and by an agent (403)."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import wait_for
from tests.test_insights import Console, sms, supervised_app, to_casier_form
from tests.ussd_phone import Phone

ANSWERS = ("1234567890", "KOFFI", "Jean", "05/03/1990", "Cotonou", "1")
"""The criminal record's six steps: NPI, name, first names, birth date, birth place, motive."""
UNANSWERABLE = (
    "Bonjour je m'appelle Kofi Adjovi, mon numéro est +229 01 97 12 34 56, le match de foot "
    "est à quelle heure",
    "mon NPI 1234567890 je veux jouer au loto ce soir",
)
SECRETS = ("Kofi", "Adjovi", "1234567890", "97 12", "0197", "+229", "KOFFI", "Jean",
           "Cotonou")


def _form(client, number: str, answers: int) -> Phone:
    """A caller on the criminal record's form who typed the first ``answers`` answers."""
    phone = Phone(client, number)
    assert to_casier_form(phone).startswith("Étape 1/6")
    if answers:
        phone.press(*ANSWERS[:answers])
    return phone


def _end(client, phone: Phone, status: str = "Incomplete") -> None:
    """Africa's Talking's end-of-session notification."""
    assert client.post("/ussd/events", data={
        "sessionId": phone.session, "phoneNumber": phone.number, "status": status,
        "hopsCount": "9", "serviceCode": "*202#"}).status_code == 200


def test_heldout_traffic_reads_back_exactly(make_app, at_fake):
    fake, _ = at_fake
    app = supervised_app(make_app, at_fake)
    for i in range(3):
        sms(app, fake, f"+22901970004{i:02d}", "prix du passeport")
    for i in range(2):
        sms(app, fake, f"+22901970005{i:02d}", "casier judiciaire documents")
    for i, text in enumerate(UNANSWERABLE):
        sms(app, fake, f"+22901970006{i:02d}", text)
    sms(app, fake, "+2290197000700", "AGENT")
    sms(app, fake, "+2290197000701", "parler à un agent")
    client = app.test_client()
    # a question typed on the USSD menu is refused there (a screen takes its numbers)
    asker = Phone(client, "+2290197000800")
    asker.dial()
    assert "Choix invalide" in asker.press("1", "prix du passeport")
    # menu navigation to a procedure's sheet: not a question
    browser = Phone(client, "+2290197000801")
    browser.dial()
    assert "1 900" in browser.press("1", "1", "1", "1")
    _end(client, browser, "Success")
    # leaving the form: two at step 3 (first names) told by the gateway, one at step 5
    # (birth place) by time-out (no notification), one on the review screen
    for i in range(2):
        _end(client, _form(client, f"+22901970009{i:02d}", 2))
    _form(client, "+2290197000910", 4)
    _end(client, _form(client, "+2290197000911", 6))
    # completing it: sent, then offered to pay now (the form's fee), and hanging up there
    done = _form(client, "+2290197000920", 6)
    done.press("98")
    assert "Demande envoyée" in done.press("1")
    _end(client, done, "Success")

    supervisor = Console(app, "eve")
    app.extensions["guichet"].events.flush()
    response = supervisor.json("/agent/insights.json?days=1")
    assert response.status_code == 200
    data = response.get_json()
    q = data["questions"]
    # typed questions only: 3 + 2 popular, 2 unanswerable, "parler à un agent"
    assert q["count"] == 8
    assert q["by_procedure"] == [{"procedure": "passeport", "count": 3},
                                 {"procedure": "casier-judiciaire", "count": 2}]
    assert q["by_aspect"] == [{"aspect": "cost", "count": 3},
                              {"aspect": "documents", "count": 2}]
    assert q["by_channel"] == [{"channel": "sms", "count": 8}]
    assert q["by_language"] == [{"language": "fr", "count": 8}]
    unanswered = data["unanswered"]
    assert sorted(r["count"] for r in unanswered) == [1, 1]
    assert all(r["channel"] == "sms" and r["language"] == "fr" for r in unanswered)
    assert any("match de foot" in r["text"] for r in unanswered)
    assert any("jouer au loto" in r["text"] for r in unanswered)
    funnel = {r["step"]: (r["reached"], r["abandoned"]) for r in data["ussd_funnel"]
              if r["eservice"] == "casier-judiciaire"}
    assert funnel == {"npi": (5, 0), "nom": (5, 0), "prenoms": (5, 2),
                      "date_naissance": (3, 0), "lieu_naissance": (3, 1), "motif": (2, 0),
                      "confirm": (2, 1), "submitted": (1, 0)}
    assert [r["step"] for r in data["ussd_funnel"]][-2:] == ["confirm", "submitted"]
    assert data["handoffs"]["count"] == 2
    assert data["handoffs"]["by_reason"] == [{"reason": "asked", "count": 2}]
    assert data["satisfaction"]["count"] == 0
    raw = json.dumps(data, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in raw, secret
    page = supervisor.client.get("/agent/insights?days=1")
    sheet = supervisor.client.get("/agent/insights.csv?days=1")
    assert page.status_code == 200 and sheet.status_code == 200
    assert "match de foot" in page.text and "jouer au loto" in sheet.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in page.text and secret not in sheet.get_data(as_text=True), secret
    agent = Console(app, "awa")
    assert agent.json("/agent/insights.json?days=1").status_code == 403
    assert agent.client.get("/agent/insights").status_code == 403


def test_a_caller_who_left_on_the_review_screen_resumes_there_and_sends(make_app, at_fake):
    """The draft of a form answered to the end is kept at "every answer given": calling back
    and resuming shows the review again (it used to end the call on an error), and the funnel
    counts the second call as sent, the first as left on the review."""
    app = supervised_app(make_app, at_fake)
    client = app.test_client()
    first = _form(client, "+2290197000930", 6)
    assert first.screen.startswith("Vérifiez")
    _end(client, first)
    again = Phone(client, first.number)
    assert "Reprendre votre demande" in again.dial()
    assert again.press("1").startswith("Vérifiez : Casier judiciaire")
    again.press("98")
    assert "Demande envoyée" in again.press("1")
    app.extensions["guichet"].events.flush()
    data = Console(app, "eve").json("/agent/insights.json?days=1").get_json()
    funnel = {r["step"]: (r["reached"], r["abandoned"]) for r in data["ussd_funnel"]}
    assert funnel["confirm"] == (2, 1) and funnel["submitted"] == (1, 0)


def test_yes_to_a_review_by_sms_is_a_form_answer_not_a_question(make_app, at_fake):
    """"oui" typed on the review screen is read by the NLU (affirm) but answers the form:
    one exchange, not a question, and the form counts as sent."""
    fake, _ = at_fake
    app = supervised_app(make_app, at_fake)
    number = "+2290197000940"
    assert "Étape 1/6" in sms(app, fake, number, "je veux demander un casier judiciaire")
    for answer in ANSWERS:
        sms(app, fake, number, answer)
    assert "Demande envoyée" in sms(app, fake, number, "oui")
    app.extensions["guichet"].events.flush()
    data = Console(app, "eve").json("/agent/insights.json?days=1").get_json()
    assert data["questions"]["count"] == 1
    assert data["questions"]["by_intent"] == [{"intent": "start_eservice", "count": 1}]
    assert data["exchanges"]["count"] == 8


def test_a_rating_after_the_hand_back_is_read_and_is_no_question(make_app, at_fake):
    fake, _ = at_fake
    app = supervised_app(make_app, at_fake)
    number = "+2290197000950"
    sms(app, fake, number, "parler à un agent")
    agent = Console(app, "awa")
    headers = {"Accept": "application/json", "X-CSRFToken": agent.token}
    taken = agent.client.post("/agent/next", headers=headers, data={"csrf_token": agent.token})
    assert taken.status_code == 200
    assert agent.client.post(f"/agent/c/{taken.get_json()['id']}/close", headers=headers,
                             data={"csrf_token": agent.token}).status_code == 200
    wait_for(lambda: any("satisfait" in m for m in fake.messages_to(number)))
    assert "Merci" in sms(app, fake, number, "4")
    app.extensions["guichet"].events.flush()
    data = Console(app, "eve").json("/agent/insights.json?days=1").get_json()
    assert data["satisfaction"]["count"] == 1 and data["satisfaction"]["mean"] == 4.0
    assert data["questions"]["count"] == 1  # "parler à un agent"; the rating is an answer
    assert data["handoffs"] == {"count": 1, "by_reason": [{"reason": "asked", "count": 1}],
                                "by_channel": [{"channel": "sms", "count": 1}]}


def test_a_procedure_the_catalogue_lacks_is_listed_unanswered_and_masked(make_app, at_fake):
    """Told "not in the catalogue" (and the 135), the citizen got no answer to the question:
    the supervisor reads it among the unanswered ones, without the name or the number."""
    fake, _ = at_fake
    app = supervised_app(make_app, at_fake)
    reply = sms(app, fake, "+2290197000960",
                "je m'appelle Kofi Adjovi, 0197123456, comment avoir un permis de chasse")
    assert "catalogue" in reply
    app.extensions["guichet"].events.flush()
    data = Console(app, "eve").json("/agent/insights.json?days=1").get_json()
    assert data["questions"]["count"] == 1 and data["questions"]["answered"] == 0
    [row] = data["unanswered"]
    assert "permis de chasse" in row["text"] and row["count"] == 1
    for secret in ("Kofi", "Adjovi", "0197", "123456"):
        assert secret not in row["text"]
    page = Console(app, "eve").client.get("/agent/insights?days=1").text
    assert '<strong data-figure="last-week-unanswered">1</strong>' in page
    assert '<strong data-figure="now-answered">0</strong>' in page  # still not in it


def test_a_ussd_call_over_midnight_is_one_caller_in_the_funnel(engine):
    """The session hash changes every day, but not within one USSD call: a caller who
    answered step 1 before midnight (UTC) and step 2 after it gave up at step 2 only."""
    from channels import migrate
    from channels.events import EventRecorder
    from dialogs.insights import Event
    from dialogs.insights.report import report

    migrate.upgrade(engine)
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    recorder = EventRecorder(engine, "secret-of-this-test")
    for seconds, step, no in ((-20, "npi", 1), (10, "nom", 2)):
        recorder.record(Event(channel="ussd", lang="fr", kind="answer", session="ATUid_night",
                              at=(midnight + dt.timedelta(seconds=seconds)).timestamp(),
                              state="form", eservice="casier-judiciaire", step=step,
                              step_no=no))
    recorder.flush()
    funnel = {r["step"]: (r["reached"], r["abandoned"]) for r in report(engine, 2)["ussd_funnel"]}
    assert funnel == {"npi": (1, 0), "nom": (1, 1)}
