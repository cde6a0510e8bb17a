"""The agent console over HTTP, as a browser and a script use it: login, lock-out, CSRF,
expiry, roles, the queue, take-over, replies on the citizen's own channel (SMS to the fake
Africa's Talking), transfer, hand-back, rating, callbacks, audit, export, accounts CLI."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
import requests

from channels import migrate
from channels.agent import accounts as accounts_cli
from channels.gsm7 import to_gsm7
from dialogs.desk.texts import citizen_text
from dialogs.handoff import Exchange
from tests.conftest import ADMIN_KEY, wait_for
from tests.portal_fixtures import CASIER_ANSWERS

PASSWORD = "a long password"
PHONE = "+2290197003344"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class Console:
    """One browser on the console: its own cookie jar and CSRF token."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.token = ""

    def login(self, login: str, password: str = PASSWORD):
        page = self.client.get("/agent/login")
        self.token = _CSRF.search(page.text)[1]
        response = self.client.post("/agent/login", data={
            "login": login, "password": password, "csrf_token": self.token})
        if response.status_code == 303:
            self.refresh()
        return response

    def refresh(self) -> None:
        page = self.client.get("/agent/queue")
        self.token = _CSRF.search(page.text)[1]

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def json(self, path: str):
        return self.client.get(path, headers={"Accept": "application/json"})

    def post(self, path: str, data: dict | None = None, *, token: bool = True,
             as_json: bool = True):
        data = dict(data or {})
        if token:
            data["csrf_token"] = self.token
        headers = {"Accept": "application/json"} if as_json else {}
        return self.client.post(path, data=data, headers=headers)


@pytest.fixture
def agent_app(make_app, at_fake):
    fake, url = at_fake
    app = make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url,
                   OFFICE_HOURS="always", AGENT_MAX_FAILURES="3")
    desk = app.extensions["guichet"].desk
    for login, role, languages in (("awa", "agent", "fr,en"), ("kossi", "agent", "fon"),
                                   ("ben", "agent", "fr"), ("eve", "supervisor", "fr")):
        desk.accounts.add(login=login, password=PASSWORD, role=role, languages=languages,
                          display_name=login.title())
    return app


@pytest.fixture
def desk(agent_app):
    return agent_app.extensions["guichet"].desk


def console(app, login: str) -> Console:
    c = Console(app)
    assert c.login(login).status_code == 303
    return c


def handoff(desk, session: str = "sms:1", lang: str = "fr", user: str = PHONE,
            channel: str = "sms", topic: str | None = None):
    desk.record(Exchange(channel, session, user, "in", "je veux un agent", lang,
                         intent="human_handoff"))
    return desk.enqueue(channel=channel, session=session, user=user, lang=lang, reason="asked",
                        topic=topic)


def conv_id(desk, session: str) -> int:
    convs = [c for c in desk.queue(desk.accounts.by_login("eve"), "all") if c.session == session]
    return convs[-1].id


# -- login, lock-out, CSRF, expiry ------------------------------------------------------------


def test_login_with_the_right_password_and_not_with_a_wrong_one(agent_app, desk):
    c = Console(agent_app)
    assert c.get("/agent/queue").status_code == 302  # to the login page
    bad = c.login("awa", "wrong password")
    assert bad.status_code == 401 and "incorrect" in bad.text
    assert c.login("nobody", "whatever").status_code == 401
    ok = c.login("awa")
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/agent/queue")
    page = c.get("/agent/queue")
    assert page.status_code == 200 and "Awa" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    with desk.engine.connect() as db:
        import sqlalchemy as sa

        from dialogs.desk.records import accounts
        stored = db.execute(sa.select(accounts.c.password_hash)
                            .where(accounts.c.login == "awa")).scalar_one()
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    c.post("/agent/logout", as_json=False)
    assert c.get("/agent/queue").status_code == 302
    actions = [e["action"] for e in desk.audit_log()]
    assert {"login_failed", "login", "logout"} <= set(actions)


def test_repeated_failures_lock_the_account(agent_app, desk):
    c = Console(agent_app)
    for _ in range(3):  # AGENT_MAX_FAILURES=3
        c.login("ben", "not the password")
    locked = c.login("ben")  # even the right password, while locked
    assert locked.status_code == 401 and "verrouillé" in locked.text
    assert "account_locked" in [e["action"] for e in desk.audit_log()]
    desk.accounts.unlock("ben", by="test")
    assert c.login("ben").status_code == 303


def test_a_post_without_the_csrf_token_is_refused(agent_app, desk):
    handoff(desk)
    c = console(agent_app, "awa")
    cid = conv_id(desk, "sms:1")
    refused = c.post(f"/agent/c/{cid}/take", token=False)
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]
    forged = c.client.post(f"/agent/c/{cid}/take", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert desk.conversation(cid).status == "waiting"
    fresh = Console(agent_app)
    login = fresh.client.post("/agent/login", data={"login": "awa", "password": PASSWORD})
    assert login.status_code == 400  # the login form too
    assert c.post(f"/agent/c/{cid}/take").status_code == 200


def test_an_idle_session_expires(agent_app, desk):
    c = console(agent_app, "awa")
    assert c.get("/agent/queue").status_code == 200
    with c.client.session_transaction("/agent/") as session:
        session["ag_seen_at"] -= 31 * 60  # AGENT_SESSION_MINUTES defaults to 30
    expired = c.get("/agent/queue")
    assert expired.status_code == 302 and "expired=1" in expired.headers["Location"]
    assert c.json("/agent/queue.json").status_code == 401
    assert "session_expired" in [e["action"] for e in desk.audit_log()]
    c2 = console(agent_app, "awa")
    desk.accounts.set_password("awa", "another long password")  # ends every session
    assert c2.json("/agent/queue.json").status_code == 401


# -- roles and routing ------------------------------------------------------------------------


def test_agents_see_their_languages_and_supervisors_see_everything(agent_app, desk):
    handoff(desk, "sms:fr", "fr")
    handoff(desk, "sms:fon", "fon", user="+2290197005566")
    awa, kossi, eve = (console(agent_app, n) for n in ("awa", "kossi", "eve"))
    sessions = lambda c, view="waiting": [  # noqa: E731
        desk.conversation(i["id"]).session for i in c.json(f"/agent/queue.json?view={view}")
        .json["items"]]
    assert sessions(awa) == ["sms:fr"]
    assert sessions(kossi) == ["sms:fon"]
    assert sessions(eve) == ["sms:fr", "sms:fon"]
    assert sessions(eve, "all") == ["sms:fr", "sms:fon"]
    assert awa.json("/agent/queue.json?view=all").status_code == 403
    assert awa.get("/agent/supervisor").status_code == 403
    assert awa.get("/agent/audit").status_code == 403
    assert awa.get("/agent/export.csv").status_code == 403
    fon = conv_id(desk, "sms:fon")
    assert awa.get(f"/agent/c/{fon}").status_code == 403
    assert awa.post(f"/agent/c/{fon}/take").status_code == 403
    taken = kossi.post("/agent/next")
    assert taken.status_code == 200 and taken.json["id"] == fon
    assert eve.get("/agent/supervisor").status_code == 200


# -- the hand-off on SMS, end to end ---------------------------------------------------------


def test_take_reply_close_on_sms_with_the_citizen_told_and_the_rating_kept(
        agent_app, desk, at_fake):
    fake, _ = at_fake
    ticket = handoff(desk, "sms:1", "fr")
    assert (ticket.position, ticket.wait_minutes) == (1, 5)
    desk.record(Exchange("sms", "sms:1", PHONE, "in", "c'est pour mon passeport", "fr",
                         intent="ask_procedure", procedure="passeport"))
    awa = console(agent_app, "awa")
    queue = awa.get("/agent/queue")
    assert "c&#39;est pour mon passeport" in queue.text  # the last message, while waiting
    cid = conv_id(desk, "sms:1")
    page = awa.get(f"/agent/c/{cid}")
    assert page.status_code == 200
    assert "intention ask_procedure" in page.text and "démarche passeport" in page.text
    assert "Réponses types" not in page.text  # not taken yet: no reply box

    assert awa.post(f"/agent/c/{cid}/take").status_code == 200
    told = wait_for(lambda: fake.messages_to(PHONE))
    assert told[0] == "Un conseiller du 135 (Awa) a pris votre demande. Écrivez-lui ici."
    page = awa.get(f"/agent/c/{cid}")
    assert "Réponses types" in page.text and "je suis Awa, conseiller du 135" in page.text

    sent = awa.post(f"/agent/c/{cid}/reply", {"text": "Bonjour, je vérifie ça — un instant."})
    assert sent.status_code == 200
    reply = wait_for(lambda: fake.messages_to(PHONE)[1:])
    assert reply == ["Bonjour, je vérifie ca - un instant."]  # GSM-7 on the SMS path
    assert awa.post(f"/agent/c/{cid}/reply", {"text": "  "}).status_code == 400

    closed = awa.post(f"/agent/c/{cid}/close")
    assert closed.status_code == 200
    last = wait_for(lambda: fake.messages_to(PHONE)[2:])
    assert last == ["Le conseiller a terminé. L'assistant automatique vous répond à nouveau.\n"
                    "Etes-vous satisfait ? Répondez par un chiffre de 1 (pas du tout) à 5 "
                    "(très)."]
    assert not desk.with_agent("sms", "sms:1")
    assert desk.record_satisfaction("sms", "sms:1", 5)
    eve = console(agent_app, "eve")
    stats = eve.json("/agent/supervisor.json").json
    assert (stats["handled_today"], stats["satisfaction"], stats["waiting"]) == (1, 5.0, 0)
    assert "5.0 / 5" in eve.get("/agent/supervisor").text
    transcript = eve.json(f"/agent/c/{cid}.json").json["messages"]
    assert [m["direction"] for m in transcript] == ["in", "in", "out", "agent", "out"]


def test_an_opted_out_citizen_gets_no_sms_from_an_agent(agent_app, desk, at_fake):
    fake, _ = at_fake
    agent_app.extensions["guichet"].inbox.opt_out(PHONE)
    handoff(desk)
    awa = console(agent_app, "awa")
    cid = conv_id(desk, "sms:1")
    awa.post(f"/agent/c/{cid}/take")
    awa.post(f"/agent/c/{cid}/reply", {"text": "Bonjour"})
    agent_app.extensions["guichet"].queue.drain(5)
    assert fake.messages_to(PHONE) == []
    statuses = {m.body: m.status for m in agent_app.extensions["guichet"].messages.recent(PHONE)}
    assert statuses["Bonjour"] == "opted_out"


def test_transfer_to_a_colleague_and_back_to_the_queue(agent_app, desk, at_fake):
    fake, _ = at_fake
    handoff(desk)
    awa, ben = console(agent_app, "awa"), console(agent_app, "ben")
    cid = conv_id(desk, "sms:1")
    awa.post(f"/agent/c/{cid}/take")
    ben_id = desk.accounts.by_login("ben").id
    moved = awa.post(f"/agent/c/{cid}/transfer", {"to": str(ben_id)})
    assert moved.status_code == 200
    assert [i["id"] for i in ben.json("/agent/queue.json?view=mine").json["items"]] == [cid]
    assert wait_for(lambda: any("(Ben)" in m for m in fake.messages_to(PHONE)))
    assert awa.post(f"/agent/c/{cid}/reply", {"text": "x"}).status_code == 403
    assert ben.post(f"/agent/c/{cid}/reply", {"text": "Ben ici"}).status_code == 200
    assert ben.post(f"/agent/c/{cid}/transfer", {"to": "queue"}).status_code == 200
    assert desk.conversation(cid).status == "waiting"
    assert "transfer" in [e["action"] for e in desk.audit_log()]


def test_the_citizen_is_told_in_their_language(agent_app, desk, at_fake):
    fake, _ = at_fake
    handoff(desk, "sms:en", "en")
    awa = console(agent_app, "awa")
    cid = conv_id(desk, "sms:en")
    awa.post(f"/agent/c/{cid}/take")
    wait_for(lambda: fake.messages_to(PHONE))
    awa.post(f"/agent/c/{cid}/close")
    messages = wait_for(lambda: fake.messages_to(PHONE)[1:] and fake.messages_to(PHONE))
    assert messages[0] == to_gsm7(citizen_text("taken", "en", name="Awa"))
    assert messages[1].startswith(to_gsm7(citizen_text("handed_back", "en")))
    assert "conseiller" not in " ".join(messages)


# -- callbacks, portal requests, live updates -------------------------------------------------


def test_callbacks_are_listed_taken_and_done(agent_app, desk):
    desk.request_callback(channel="ussd", session="u1", user=PHONE, phone=PHONE,
                          slot="demain 8h-10h", lang="fr", topic="casier-judiciaire")
    awa = console(agent_app, "awa")
    page = awa.get("/agent/queue?view=callbacks")
    assert PHONE in page.text and "demain 8h-10h" in page.text
    [item] = awa.json("/agent/queue.json?view=callbacks").json["items"]
    assert awa.json("/agent/queue.json").json["counts"]["callbacks"] == 1
    assert awa.post(f"/agent/callbacks/{item['id']}/take").status_code == 200
    assert awa.post(f"/agent/callbacks/{item['id']}/done", {"note": "rappelé"}).status_code == 200
    assert awa.json("/agent/queue.json?view=callbacks").json["items"] == []
    assert {"take_callback", "callback_done"} <= {e["action"] for e in desk.audit_log()}


def test_the_citizens_portal_requests_are_shown_and_a_broken_portal_is_survived(
        agent_app, desk, sandbox):
    rt = agent_app.extensions["guichet"]
    submission = rt.portal.submit("casier-judiciaire", CASIER_ANSWERS, PHONE, "fr", "k-agent-1")
    handoff(desk)
    awa = console(agent_app, "awa")
    cid = conv_id(desk, "sms:1")
    data = awa.json(f"/agent/c/{cid}.json").json
    assert [r["reference"] for r in data["requests"]] == [submission.reference]
    assert submission.reference in awa.get(f"/agent/c/{cid}").text
    requests.post(f"{sandbox['url']}/api/v1/admin/faults", json={"fail_status": 503},
                  headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    page = awa.get(f"/agent/c/{cid}")
    assert page.status_code == 200 and "Le portail ne répond pas" in page.text
    handoff(desk, "webchat:abc", channel="webchat", user="wc-abc")
    page = awa.get(f"/agent/c/{conv_id(desk, 'webchat:abc')}")
    assert "Pas de numéro de téléphone" in page.text


def test_the_updates_payload_carries_new_messages_and_the_queue(agent_app, desk):
    awa = console(agent_app, "awa")
    handoff(desk)
    cid = conv_id(desk, "sms:1")
    queue = awa.json("/agent/updates.json?view=waiting").json
    assert queue["ids"] == [cid] and queue["counts"]["waiting"] == 1
    assert f'data-id="{cid}"' in queue["queue_html"]
    first = awa.json(f"/agent/updates.json?conversation={cid}").json["messages"]
    desk.record(Exchange("sms", "sms:1", PHONE, "in", "toujours là ?", "fr"))
    later = awa.json(f"/agent/updates.json?conversation={cid}&after={first[-1]['id']}").json
    assert [m["text"] for m in later["messages"]] == ["toujours là ?"]
    figures = console(agent_app, "eve").json("/agent/updates.json?view=supervisor").json
    assert "Plus longue attente" in figures["queue_html"]
    assert "Plus longue attente" not in awa.json("/agent/updates.json?view=supervisor").json[
        "queue_html"]  # an agent asking for the supervisor's figures gets their queue


# -- audit, export, accounts CLI --------------------------------------------------------------


def test_the_audit_log_says_who_read_or_did_what(agent_app, desk):
    handoff(desk)
    awa = console(agent_app, "awa")
    cid = conv_id(desk, "sms:1")
    awa.get(f"/agent/c/{cid}")
    awa.post(f"/agent/c/{cid}/take")
    entries = desk.audit_log()
    read = next(e for e in entries if e["action"] == "read_transcript")
    assert (read["login"], read["target"]) == ("awa", f"conversation:{cid}")
    page = console(agent_app, "eve").get("/agent/audit")
    assert "read_transcript" in page.text and f"conversation:{cid}" in page.text


def test_the_export_masks_personal_data(agent_app, desk):
    handoff(desk)
    desk.record(Exchange("sms", "sms:1", PHONE, "in", "mon NPI 1234567890", "fr"))
    eve = console(agent_app, "eve")
    response = eve.get("/agent/export.csv?days=7")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and all(r["user"] == "'+***********44" for r in rows)  # no formula
    assert PHONE not in response.text and "1234567890" not in response.text
    assert "export" in [e["action"] for e in desk.audit_log()]


def test_the_accounts_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert migrate.main(["upgrade"]) == 0  # what make agent-add runs first (make db-upgrade)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert accounts_cli.main(["add", "--login", "Afi", "--name", "Afi K.", "--role",
                              "supervisor", "--languages", "fr,fon", "--password-stdin"]) == 0
    assert "created afi (supervisor, fr,fon)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert accounts_cli.main(["add", "--login", "bad", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert accounts_cli.main(["list"]) == 0
    assert "afi\tsupervisor\tfr,fon" in capsys.readouterr().out


def test_live_stream_answers_and_reconnect_hint(agent_app, desk):
    """The stream opens with a retry hint and a first update (the full SSE path is timed in
    tests/test_agent_live.py on a real server)."""
    awa = console(agent_app, "awa")
    handoff(desk)
    response = awa.client.get("/agent/events?view=waiting", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = response.response
    start = time.monotonic()
    text = ""
    for chunk in chunks:
        text += chunk.decode() if isinstance(chunk, bytes) else chunk
        if "event: update" in text and "\n\n" in text.split("event: update", 1)[1]:
            break
        assert time.monotonic() - start < 5
    response.close()
    assert text.startswith("retry: 2000")
    assert '"waiting": 1' in text


def test_beyond_the_live_screens_a_process_can_hold_the_console_polls(agent_app):
    agent_app.config["AGENT_MAX_STREAMS"] = 0
    awa = console(agent_app, "awa")
    busy = awa.client.get("/agent/events?view=waiting")
    assert busy.status_code == 503 and "polling" in busy.json["error"]
    assert awa.json("/agent/updates.json?view=waiting").status_code == 200


def test_the_console_speaks_french_to_its_agents(agent_app, desk):
    """What an agent reads: French role names, a plural only when there are several, one full
    stop after an initial, and a web visitor described rather than a session id."""
    desk.accounts.add(login="kofi", password=PASSWORD, display_name="Kofi A.", languages="fr")
    handoff(desk, session="web-abc", channel="webchat", user="web:k1UEPOHYsIVg0q8iQDkoGv-8")
    eve, kofi = console(agent_app, "eve"), console(agent_app, "kofi")
    cid = conv_id(desk, "web-abc")
    eve.post(f"/agent/c/{cid}/take")
    moved = eve.post(f"/agent/c/{cid}/transfer", {"to": str(desk.accounts.by_login("kofi").id)})
    assert moved.json["message"] == "Conversation transférée à Kofi A."
    page = kofi.get(f"/agent/c/{cid}").get_data(as_text=True)
    assert "web:k1UE" not in page and "Visiteur web (numéro non vérifié)" in page
    figures = eve.get("/agent/supervisor").get_data(as_text=True)
    assert "superviseur" in figures and "conseiller" in figures
    assert ">supervisor<" not in figures and ">agent<" not in figures
    assert "(0 note)" in figures and "notes)" not in figures
