"""Every message sent later goes through the Sender port to its channel, is recorded in the one
outbox, and a dead letter of any channel is replayed through its channel's sender."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from channels.outbox import MessageLog, engine_for
from channels.outbox.deadletter import main as dead_letter
from channels.queue import RQQueue
from channels.tasks import send_requests
from channels.webchat.sender import WebchatChannel
from dialogs.sender import NoRoute, Outgoing
from tests.conftest import free_port, wait_for
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.serving import serve
from tests.test_webchat import Visitor
from tests.whatsapp_user import WhatsAppUser, body_of

NUMBER = "+2290197000400"
WA_ID = "2290197000401"


@pytest.fixture
def app(make_app, at_fake):
    fake, url = at_fake
    return make_app(AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)


@pytest.fixture
def graph():
    fake = FakeGraphApi()
    url, server = serve(fake.app())
    fake.url = url + "/v21.0"
    yield fake
    server.shutdown()


@pytest.fixture
def wa_app(make_app, graph):
    return make_app(WHATSAPP_TOKEN=graph.token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
                    WHATSAPP_APP_SECRET="test-app-secret", WHATSAPP_API_URL=graph.url)


def _agent_on(desk, *, channel: str, session: str, user: str):
    """An agent who took the citizen's hand-off on ``channel``; returns (agent, conversation)."""
    agent = desk.accounts.add(login="awa", password="a long password", display_name="Awa")
    desk.enqueue(channel=channel, session=session, user=user, lang="fr", reason="asked",
                 topic=None)
    (conv,) = desk.queue(agent, "waiting")
    desk.take(conv.id, agent)
    return agent, conv


# -- the router ---------------------------------------------------------------------------


def test_an_unknown_channel_has_no_route_and_ussd_goes_by_sms(app, at_fake):
    fake, _ = at_fake
    rt = app.extensions["guichet"]
    with pytest.raises(NoRoute):
        rt.senders.send(Outgoing("telegram", NUMBER, "Bonjour", "fr", "route:1"))
    assert rt.senders.send(Outgoing("ussd", NUMBER, "Votre code est 1234.", "fr",
                                    "route:2")) == "queued"
    assert rt.queue.drain(10)
    assert fake.messages_to(NUMBER) == ["Votre code est 1234."]
    (record,) = rt.messages.recent(NUMBER)
    assert (record.channel, record.status) == ("sms", "sent")


# -- agent replies through the port -------------------------------------------------------


def test_an_agents_reply_reaches_a_whatsapp_citizen(wa_app, graph):
    user = WhatsAppUser(wa_app, graph, wa_id=WA_ID)
    user.say("bonjour")  # opens the 24-hour window
    rt = wa_app.extensions["guichet"]
    agent, conv = _agent_on(rt.desk, channel="whatsapp", session=f"wa:{WA_ID}",
                            user=f"+{WA_ID}")
    rt.desk.reply(conv.id, agent, "Bonjour, ici Awa du 135. Votre dossier est complet.")
    user.settle()
    texts = [body_of(m) for m in graph.messages_to(WA_ID)]
    assert "Bonjour, ici Awa du 135. Votre dossier est complet." in texts
    assert any("(Awa)" in t for t in texts)  # also told that Awa took the conversation
    sent = [m for m in rt.messages.recent(f"+{WA_ID}") if m.key.startswith("agent:")]
    assert {m.channel for m in sent} == {"whatsapp"} and len(sent) == 2


def test_an_agents_reply_reaches_a_web_chat_citizen_in_the_chat_not_by_sms(app, at_fake):
    fake, _ = at_fake
    visitor = Visitor(app.test_client())
    rt = app.extensions["guichet"]
    # a visitor who proved their number: the conversation's user is the number, yet the
    # agent's answer belongs in the chat they are looking at
    agent, conv = _agent_on(rt.desk, channel="webchat", session=visitor.id, user=NUMBER)
    rt.desk.reply(conv.id, agent, "Bonjour, ici Awa du 135.")
    rt.queue.drain(5)
    entries = visitor.history()["entries"]
    assert entries[-1]["from"] == "agent"
    assert entries[-1]["reply"]["parts"] == ["Bonjour, ici Awa du 135."]
    assert fake.messages_to(NUMBER) == []


# -- dead letters, every channel, replayed through the port ---------------------------------


def test_a_dead_sms_is_replayed_through_the_sms_sender(app, at_fake):
    fake, _ = at_fake
    rt = app.extensions["guichet"]
    fake.fail_next = 1
    assert rt.sms.send(NUMBER, "Votre demande SP-1 est prete.", lang="fr", key="dead:sms",
                       final=True) == "dead"
    with app.app_context():
        assert dead_letter(["replay", "dead:sms"]) == 0
    assert fake.messages_to(NUMBER) == ["Votre demande SP-1 est prete."]
    assert rt.messages.dead_letters() == []


def test_a_dead_whatsapp_message_is_replayed_through_the_whatsapp_sender(wa_app, graph):
    user = WhatsAppUser(wa_app, graph, wa_id=WA_ID)
    user.say("bonjour")
    rt = wa_app.extensions["guichet"]
    graph.fail_next = [0]  # a 503: transient, and this is the last try
    message = {"type": "text", "text": {"body": "Votre dossier est complet.",
                                        "preview_url": False}}
    assert rt.whatsapp.send(f"+{WA_ID}", message, lang="fr", key="dead:wa",
                            final=True) == "dead"
    before = len(graph.messages_to(WA_ID))
    with wa_app.app_context():
        assert dead_letter(["list"]) == 0
        assert dead_letter(["replay", "dead:wa"]) == 0
    assert [body_of(m) for m in graph.messages_to(WA_ID)[before:]] == [
        "Votre dossier est complet."]
    assert rt.messages.dead_letters() == []


def test_a_web_chat_push_the_store_refused_is_replayed_into_the_chat(make_app, redis_url):
    app = make_app(REDIS_URL=redis_url)
    rt = app.extensions["guichet"]
    visitor = Visitor(app.test_client())
    down = WebchatChannel(rt.messages, f"redis://127.0.0.1:{free_port()}/0",
                          rt.settings.chat_session_ttl)  # the chat store, unreachable
    status = down.send(Outgoing("webchat", f"web:{visitor.id}", "Votre reference : SP-7.",
                                "fr", "dead:web"))
    assert status == "dead"
    assert [m.key for m in rt.messages.dead_letters()] == ["dead:web"]
    with app.app_context():
        assert dead_letter(["replay", "dead:web"]) == 0
    entries = visitor.history()["entries"]
    assert entries[-1]["reply"]["parts"] == ["Votre reference : SP-7."]
    assert rt.messages.dead_letters() == []
    # the same key again (a retried job) shows nothing twice
    assert rt.senders.send(Outgoing("webchat", f"web:{visitor.id}", "Votre reference : SP-7.",
                                    "fr", "dead:web")) == "duplicate"
    assert len(visitor.history()["entries"]) == len(entries)


# -- the real worker runs jobs inside the app's context -----------------------------------


def test_a_job_run_by_the_worker_finds_the_app_and_sends_through_the_router(
        redis_url, at_fake, sandbox, tmp_path):
    fake, url = at_fake
    database = f"sqlite:///{tmp_path / 'guichet.db'}"
    env = dict(os.environ, REDIS_URL=redis_url, PORTAL_URL=sandbox["url"], DATABASE_URL=database,
               AT_USERNAME=fake.username, AT_API_KEY=fake.api_key, AT_API_URL=url)
    queue = RQQueue(redis_url, delays=(0.1, 0.2))
    queue.enqueue(send_requests, user=NUMBER, lang="fr", key="worker:1")
    done = subprocess.run([sys.executable, "-m", "channels.worker", "--burst", "--url",
                           redis_url], env=env, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    # the job asked the portal, then queued the SMS through the router; the same burst sent it
    assert wait_for(lambda: fake.messages_to(NUMBER)) == ["Aucune demande pour ce numéro."]
    (record,) = MessageLog(engine_for(database)).recent(NUMBER)
    assert (record.key, record.status) == ("worker:1:none", "sent")

    listed = subprocess.run([str(os.path.join(os.path.dirname(sys.executable), "flask")),
                             "--app", "channels.app:create_app()", "dead-letter", "list"],
                            env=env, capture_output=True, text=True, timeout=90)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "0 message(s)" in listed.stderr
