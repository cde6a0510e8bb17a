"""The WhatsApp channel end to end: Meta's signed webhook in, a checking fake Graph API out."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from channels.whatsapp.alerts import token_expired
from dialogs.manager import HOME_CHOICES
from tests.conftest import wait_for
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.serving import serve
from tests.whatsapp_user import (
    APP_SECRET,
    VERIFY_TOKEN,
    WhatsAppUser,
    body_of,
    choices_of,
    envelope,
    plain,
    signed,
)


@pytest.fixture
def graph():
    fake = FakeGraphApi()
    url, server = serve(fake.app())
    url += "/v21.0"  # the Graph API's versioned base
    fake.url = url
    yield fake
    server.shutdown()
    assert fake.rejected == [], "Guichet sent a request Meta would refuse"


@pytest.fixture
def wa_app(make_app, graph):
    return make_app(WHATSAPP_TOKEN=graph.token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                    WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
                    WHATSAPP_API_URL=graph.url)


@pytest.fixture
def user(wa_app, graph) -> WhatsAppUser:
    return WhatsAppUser(wa_app, graph)


def records(user: WhatsAppUser, msg_id: str | None = None):
    """The outbound records of the replies to one inbound message (default: the last one)."""
    prefix = f"wa:reply:{msg_id or user.last_id}:"
    found = [m for m in user.runtime.messages.recent(f"+{user.wa_id}") if m.key.startswith(prefix)]
    return sorted(found, key=lambda m: m.key)


# -- the webhook ------------------------------------------------------------------------------

def test_verification_handshake(wa_app):
    client = wa_app.test_client()
    ok = client.get("/whatsapp/webhook", query_string={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.data == b"1158201444"
    assert ok.mimetype == "text/plain"
    for query in ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
                  {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN,
                   "hub.challenge": "1"},
                  {"hub.challenge": "1"}):
        refused = client.get("/whatsapp/webhook", query_string=query)
        assert refused.status_code == 403 and b"1" not in refused.data


def test_unsigned_or_badly_signed_events_are_refused_and_not_processed(user, graph):
    payload = user.message("text", {"text": {"body": "bonjour"}})
    body = json.dumps(payload).encode()
    assert user.post(body, headers={"Content-Type": "application/json"}).status_code == 401
    assert user.post(body, headers=signed(body, "another-secret")).status_code == 403
    assert user.post(body, headers=signed(body + b" ")).status_code == 403
    assert user.post(body, headers={"X-Hub-Signature-256": "sha256=zz"}).status_code == 403
    user.settle()
    assert graph.calls == 0
    assert user.runtime.messages.recent(f"+{user.wa_id}") == []
    assert user.send(payload), "the same message, signed, is answered"


def test_without_an_app_secret_events_are_refused(make_app, graph):
    app = make_app(WHATSAPP_TOKEN=graph.token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                   WHATSAPP_API_URL=graph.url)
    body = json.dumps(envelope({"messages": []}, graph.phone_number_id)).encode()
    response = app.test_client().post("/whatsapp/webhook", data=body, headers=signed(body))
    assert response.status_code == 503 and response.is_json and "error" in response.json


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe", b"[]", b'"text"', b'{"object": "page", "entry": []}',
    b'{"object": "whatsapp_business_account", "entry": "x"}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",'
    b' "value": {"messages": [{"from": "+22901", "type": "text"}, 7]}}]}]}',
])
def test_malformed_or_unexpected_payloads_get_200_and_nothing_is_done(user, graph, body):
    response = user.post(body)
    assert response.status_code == 200
    user.settle()
    assert graph.calls == 0


# -- conversations ----------------------------------------------------------------------------

def test_a_cost_question_is_answered_with_buttons(user, graph):
    (reply,) = user.say("combien coute le casier judiciaire")
    assert "1 900 F CFA" in plain(body_of(reply))
    assert "1\u202f900\xa0F\u202fCFA" in body_of(reply)  # real letters, not GSM-7
    assert reply["interactive"]["type"] == "button"
    assert [i for i, _ in choices_of(reply)] == ["more", "sms", "apply"]
    sent = graph.delivered[0]
    assert sent["to"] == user.wa_id and sent["message"]["recipient_type"] == "individual"
    (record,) = records(user)
    assert record.status == "sent" and record.provider_id == sent["id"]
    assert record.channel == "whatsapp" and json.loads(record.body)["type"] == "interactive"


def test_a_button_reply_picks_the_choice(user):
    user.say("combien coute le casier judiciaire")
    (sheet,) = user.tap("more")
    assert "72 heures" in body_of(sheet) and "Validité" in body_of(sheet)
    (step,) = user.tap("apply")
    assert "Étape 1/6" in body_of(step)
    assert choices_of(step) == [("nav:home", "Menu")]  # free text expected, a way home


def test_the_home_menu_and_the_seven_categories_are_lists(user):
    (home,) = user.say("bonjour")
    assert home["interactive"]["type"] == "list"
    assert [i for i, _ in choices_of(home)] == list(HOME_CHOICES)
    (themes,) = user.tap("procedures")
    ids = [i for i, _ in choices_of(themes)]
    assert len([i for i in ids if i.startswith("cat:")]) == 7 and ids[-1] == "nav:home"
    titles = [t for _, t in choices_of(themes)]
    assert "Foncier et urbanisme" in titles and "Identité et voyage" in titles
    (justice,) = user.tap("cat:justice")
    assert "proc:casier-judiciaire" in dict(choices_of(justice))
    (sheet,) = user.tap("proc:casier-judiciaire")
    assert "1 900" in plain(body_of(sheet))
    (menu,) = user.tap("nav:home")
    assert [i for i, _ in choices_of(menu)] == list(HOME_CHOICES)


def test_a_redelivered_message_is_answered_once(user, graph):
    payload = user.message("text", {"text": {"body": "bonjour"}})
    assert len(user.send(payload)) == 1
    assert user.send(payload) == []
    assert graph.calls == 1
    again = user.message("text", {"text": {"body": "merci"}})
    for _ in range(3):  # delivered three times at once: handled by concurrent workers
        assert user.post(again).status_code == 200
    user.settle()
    assert graph.calls == 2


def test_a_voice_note_gets_text_only_in_the_users_language(user):
    (reply,) = user.voice_note()
    assert reply["type"] == "text" and "écrits" in body_of(reply)
    user.say("bonjour")
    (again,) = user.send(user.message("location", {"location": {
        "latitude": 6.37, "longitude": 2.39, "name": "Cotonou"}}))
    assert body_of(again).startswith("Je ne lis que les messages écrits")
    assert [i for i, _ in choices_of(again)] == list(HOME_CHOICES)  # and the menu again
    assert user.send(user.message("reaction", {"reaction": {"message_id": "x",
                                                            "emoji": "👍"}})) == []


def test_an_english_question_is_answered_in_english(user):
    (reply,) = user.say("how much is a passport")
    assert "30,000 F CFA" in plain(body_of(reply))


def test_a_long_list_is_paged_by_the_adapter(make_app, graph, tmp_path):
    import yaml

    from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server

    source = json.loads(json.dumps(_catalogue()))
    base = next(p for p in source["procedures"] if p["slug"] == "casier-judiciaire")
    for n in range(1, 14):
        extra = dict(base, slug=f"extrait-{n}", eservice=False, abbreviations=[],
                     title={"fr": f"Attestation judiciaire spéciale numéro {n}",
                            "en": f"Special judicial certificate number {n}"})
        source["procedures"].append(extra)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    portal = create_sandbox_app(db_path=str(tmp_path / "big.db"), catalogue_path=path)
    url, server = serve_in_thread(portal)
    try:
        app = make_app(PORTAL_URL=url, WHATSAPP_TOKEN=graph.token,
                       WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                       WHATSAPP_APP_SECRET=APP_SECRET, WHATSAPP_API_URL=graph.url)
        user = WhatsAppUser(app, graph, wa_id="2290197000061")
        user.say("bonjour")
        user.tap("procedures")
        (first,) = user.tap("cat:justice")
        rows = choices_of(first)
        assert len(rows) == 10 and rows[-1][0] == "wa:more"
        (second,) = user.tap("wa:more")
        rest = [i for i, _ in choices_of(second)]
        assert rest[0] == "wa:prev" and rest[-1] == "nav:home" and "wa:more" not in rest
        justice = [p for p in source["procedures"] if p["category"] == "justice"]
        assert len({i for i, _ in rows[:-1]} | set(rest[1:-1])) == len(justice) > 10
        row = next(r for s in second["interactive"]["action"]["sections"] for r in s["rows"]
                   if r["id"] == "proc:extrait-13")
        assert row["description"] == "Attestation judiciaire spéciale numéro 13"
        (sheet,) = user.tap("proc:extrait-13")
        assert "1 900" in plain(body_of(sheet))
    finally:
        stop_server(server)


def _catalogue() -> dict:

    import yaml

    import integrations.portal.sandbox as sandbox

    path = Path(sandbox.__file__).with_name("catalogue.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# -- statuses and sending ---------------------------------------------------------------------

def test_statuses_update_the_message_and_never_move_it_back(user, graph):
    user.say("bonjour")
    (record,) = records(user)
    for status in ("delivered", "read", "delivered", "sent"):
        user.status(record.provider_id, status)
    (record,) = records(user)
    assert record.status == "read"
    user.say("merci")
    (thanks,) = records(user)
    user.status(thanks.provider_id, "failed",
                errors=[{"code": 131026, "title": "Message undeliverable"}])
    (thanks,) = records(user)
    assert thanks.status == "failed" and thanks.error.startswith("131026")
    user.status("wamid.unknown", "delivered")  # someone else's message: nothing breaks


def test_outside_the_window_meta_refuses_and_it_is_not_retried(user, graph):
    graph.errors_for[user.wa_id] = 131047
    assert user.say("bonjour") == []
    assert graph.calls == 1
    (record,) = records(user)
    assert record.status == "window_closed" and "131047" in record.error
    sender = user.runtime.whatsapp
    status = sender.send(f"+{user.wa_id}", {"type": "text", "text": {"body": "x"}}, lang="fr",
                         key="later")
    assert status == "window_closed" and graph.calls == 1  # not attempted blindly


def test_a_user_who_never_wrote_is_not_sent_free_text(user, graph):
    status = user.runtime.whatsapp.send("+2290197000099", {"type": "text", "text": {
        "body": "Bonjour"}}, lang="fr", key="cold")
    assert status == "window_closed" and graph.calls == 0


def test_rate_limits_and_outages_are_retried_then_sent_once(user, graph):
    graph.fail_next = [130429, 0, 131056]
    (reply,) = user.say("bonjour")
    assert reply["interactive"]["type"] == "list"
    assert graph.calls == 4 and len(graph.delivered) == 1
    (record,) = records(user)
    assert record.status == "sent" and record.attempts == 4


def test_an_expired_token_raises_an_operator_alert(user, graph, caplog):
    graph.token_expired = True
    with caplog.at_level(logging.ERROR):
        assert user.say("bonjour") == []
    assert graph.calls == 1  # not retried: only an operator can fix it
    (record,) = records(user)
    assert record.status == "failed" and record.error.startswith("190")
    assert any("operator alert" in r.getMessage() and r.levelno == logging.ERROR
               for r in caplog.records)
    assert token_expired(user.runtime.store)
    graph.token_expired = False
    assert user.say("bonjour")
    assert not token_expired(user.runtime.store)


def test_events_are_answered_by_a_real_rq_worker(make_app, redis_url, graph, sandbox,
                                                  tmp_path):
    database = f"sqlite:///{tmp_path / 'guichet.db'}"
    env = {"REDIS_URL": redis_url, "PORTAL_URL": sandbox["url"], "DATABASE_URL": database,
           "WHATSAPP_TOKEN": graph.token, "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
           "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_API_URL": graph.url}
    app = make_app(**env)
    user = WhatsAppUser(app, graph)
    payload = user.message("text", {"text": {"body": "combien coute le casier judiciaire"}})
    assert user.post(payload).status_code == 200
    assert user.post(payload).status_code == 200  # Meta redelivers it
    assert graph.calls == 0  # queued in Redis, not handled by the web process
    done = subprocess.run([sys.executable, "-m", "channels.worker", "--burst", "--url",
                           redis_url], env=dict(os.environ, **env), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    (reply,) = wait_for(lambda: graph.messages_to(user.wa_id), timeout=20)
    assert "1 900 F CFA" in plain(body_of(reply)) and graph.calls == 1


def test_an_agents_text_reaches_the_user_within_the_window(user, graph):
    from channels.whatsapp.tasks import send_text

    user.say("bonjour")
    with user.app.app_context():  # where a task runs: the runtime is the app's
        assert send_text(user=f"+{user.wa_id}", text="Bonjour, ici Koffi du 135.", lang="fr",
                         key="agent:1") == ["sent"]
        assert body_of(graph.messages_to(user.wa_id)[-1]) == "Bonjour, ici Koffi du 135."
        assert send_text(user="+2290197000098", text="Bonjour", lang="fr",
                         key="agent:2") == ["window_closed"]
