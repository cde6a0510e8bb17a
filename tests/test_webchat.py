"""The web chat API as a browser on the portal uses it: sessions, tokens, CORS, bounds, the
event stream (messages pushed later) and the history a reloaded page shows."""

from __future__ import annotations

import threading
import time

import pytest

from channels.config import ConfigError, Settings
from channels.webchat import push
from tests.conftest import free_port

PORTAL = "https://portal.example.bj"


@pytest.fixture
def web(make_app):
    return make_app(WEBCHAT_ORIGINS=f"{PORTAL}, http://127.0.0.1:5500")


class Visitor:
    """A page talking to the web chat API, as widget.js does."""

    def __init__(self, client, origin: str | None = None, **session) -> None:
        self.client = client
        self.origin = origin
        response = client.post("/webchat/sessions", json=session, headers=self._headers())
        assert response.status_code == 201, response.get_json()
        self.id, self.token = response.json["id"], response.json["token"]

    def _headers(self, **extra) -> dict:
        headers = dict(extra)
        if self.origin:
            headers["Origin"] = self.origin
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def send(self, expect: int = 200, **body):
        response = self.client.post(f"/webchat/sessions/{self.id}/messages", json=body,
                                    headers=self._headers())
        assert response.status_code == expect, response.get_json()
        return response.json

    def history(self) -> dict:
        response = self.client.get(f"/webchat/sessions/{self.id}/history",
                                   headers=self._headers())
        assert response.status_code == 200
        return response.json


def plain(parts: list[str]) -> str:
    """The reply's text with Babel's narrow and no-break spaces as plain spaces."""
    return "\n".join(parts).replace("\u202f", " ").replace("\xa0", " ")


def ids(reply: dict) -> list[str]:
    return [c["id"] for c in reply["choices"]]


def test_a_session_gives_an_id_and_a_token_required_on_every_call(web):
    client = web.test_client()
    visitor = Visitor(client)
    url = f"/webchat/sessions/{visitor.id}/messages"
    assert client.post(url, json={"text": "bonjour"}).status_code == 401
    bad = client.post(url, json={"text": "bonjour"},
                      headers={"Authorization": "Bearer " + visitor.token[:-3] + "xyz"})
    assert bad.status_code == 401 and bad.json["error"]
    other = Visitor(client)  # a valid token, for another session
    stolen = client.post(url, json={"text": "bonjour"},
                         headers={"Authorization": f"Bearer {other.token}"})
    assert stolen.status_code == 401
    for path in ("history", "events"):
        assert client.get(f"/webchat/sessions/{visitor.id}/{path}").status_code == 401
    assert visitor.send(text="bonjour")["parts"]


def test_cors_allows_configured_origins_only(web):
    client = web.test_client()
    preflight = client.options("/webchat/sessions", headers={
        "Origin": PORTAL, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]

    visitor = Visitor(client, origin=PORTAL)
    response = client.post(f"/webchat/sessions/{visitor.id}/messages",
                           json={"start": "home", "lang": "fr"},
                           headers={"Origin": PORTAL, "Authorization": f"Bearer {visitor.token}"})
    assert response.headers["Access-Control-Allow-Origin"] == PORTAL
    assert "Origin" in response.headers["Vary"]

    evil = "https://evil.example.com"
    denied = client.options("/webchat/sessions", headers={
        "Origin": evil, "Access-Control-Request-Method": "POST"})
    assert denied.status_code == 403 and "Access-Control-Allow-Origin" not in denied.headers
    refused = client.post("/webchat/sessions", json={}, headers={"Origin": evil})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    # the service's own pages (the simulator) are same-origin: always allowed
    same = client.post("/webchat/sessions", json={}, headers={"Origin": "http://localhost"})
    assert same.status_code == 201


def test_no_configured_origin_means_same_origin_only(make_app):
    client = make_app().test_client()
    assert client.post("/webchat/sessions", json={},
                       headers={"Origin": PORTAL}).status_code == 403
    assert client.options("/webchat/sessions", headers={
        "Origin": PORTAL, "Access-Control-Request-Method": "POST"}).status_code == 403


def test_input_is_bounded_and_refused_in_the_visitors_language(web):
    visitor = Visitor(web.test_client())
    fr = visitor.send(expect=400, text="a" * 1001, lang="fr")
    assert "1000" in fr["error"] and "trop long" in fr["error"]
    en = visitor.send(expect=400, text="a" * 1001, lang="en")
    assert "1000" in en["error"] and "too long" in en["error"]
    assert visitor.send(text="a" * 1000, lang="fr")["parts"]  # the limit itself is fine
    assert visitor.send(expect=400, choice="x" * 500)["error"]
    assert visitor.send(expect=400, start="nowhere")["error"]
    assert visitor.send(expect=400)["error"]  # nothing to say


def test_bad_json_is_a_400_not_a_crash(web):
    client = web.test_client()
    visitor = Visitor(client)
    url = f"/webchat/sessions/{visitor.id}/messages"
    headers = {"Authorization": f"Bearer {visitor.token}", "Content-Type": "application/json"}
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'):
        response = client.post(url, data=body, headers=headers)
        assert response.status_code == 400, body
        assert response.is_json and response.json["error"]
    assert client.post("/webchat/sessions", data=b"{oops",
                       headers={"Content-Type": "application/json"}).status_code == 400
    text = client.post(url, json={"text": 42}, headers=headers)
    assert text.status_code == 400


def test_choices_lead_to_the_sheet_in_real_letters(web):
    visitor = Visitor(web.test_client())
    home = visitor.send(start="home", lang="fr")
    assert home["expects"] == "choice" and home["lang"] == "fr" and not home["end"]
    assert "procedures" in ids(home)
    assert any(c["label"] == "Démarches et coûts" for c in home["choices"])  # not GSM-7
    themes = visitor.send(choice="procedures")
    assert "cat:justice" in ids(themes)
    justice = visitor.send(choice="cat:justice")
    sheet = visitor.send(choice="proc:casier-judiciaire")
    assert "proc:casier-judiciaire" in ids(justice)
    text = plain(sheet["parts"])
    assert "1 900" in text and "72 heures" in text
    assert "sms" not in ids(sheet)  # no phone number given: no "send it by SMS"
    assert visitor.send(choice="nope")["error"]


def test_a_phone_typed_when_opening_a_session_is_not_trusted(web):
    """Anyone can type anyone's number: nothing is sent to it until it is proven (see
    test_webchat_identity.py, where a proven visitor gets "send it by SMS")."""
    client = web.test_client()
    bad = client.post("/webchat/sessions", json={"phone": "12"})
    assert bad.status_code == 400
    visitor = Visitor(client, phone="+229 01 97 00 03 00")
    visitor.send(start="procedures", lang="fr")
    visitor.send(choice="cat:justice")
    assert "sms" not in ids(visitor.send(choice="proc:casier-judiciaire"))


def test_a_question_in_words_gets_the_exact_answer(web):
    visitor = Visitor(web.test_client())
    reply = visitor.send(text="combien coute le casier judiciaire", lang="fr")
    assert "1 900" in plain(reply["parts"])


def test_the_language_selector_switches_the_conversation(web):
    visitor = Visitor(web.test_client())
    assert visitor.send(start="home", lang="fr")["lang"] == "fr"
    english = visitor.send(lang="en")
    assert english["lang"] == "en" and "Main menu" not in english["parts"]
    assert any(c["id"] == "procedures" for c in english["choices"])
    assert visitor.send(choice="procedures", lang="en")["lang"] == "en"


def test_history_has_the_whole_conversation_for_a_reload(web):
    visitor = Visitor(web.test_client())
    visitor.send(start="home", lang="fr")
    visitor.send(choice="procedures")
    rt = web.extensions["guichet"]
    assert push(visitor.id, "Bonjour, ici Awa, conseillère du 135.", rt=rt)
    history = visitor.history()
    entries = history["entries"]
    assert [e["from"] for e in entries] == ["bot", "user", "bot", "agent"]
    assert entries[1]["choice"] == "procedures" and entries[1]["text"] == "Démarches et coûts"
    assert entries[3]["live"] and "Awa" in entries[3]["reply"]["parts"][0]
    assert history["last_id"] == entries[-1]["id"]
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)


def test_push_to_an_unknown_session_says_so(web):
    rt = web.extensions["guichet"]
    assert push("x" * 24, "hello", rt=rt) is None
    assert push("../../etc", "hello", rt=rt) is None


def read_events(response, count: int, timeout: float = 5.0) -> list[str]:
    """The first ``count`` events (or comments) of a text/event-stream response."""
    chunks = response.response
    found: list[str] = []
    buffer = ""
    deadline = time.monotonic() + timeout
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            if block.startswith("retry:"):
                continue
            found.append(block)
        if len(found) >= count or time.monotonic() > deadline:
            break
    response.close()
    return found


def stream_test(app):
    app.config.update(WEBCHAT_HEARTBEAT=0.3, WEBCHAT_STREAM_SECONDS=10)
    rt = app.extensions["guichet"]
    client = app.test_client()
    visitor = Visitor(client)
    visitor.send(start="home", lang="fr")
    first = push(visitor.id, "Un conseiller arrive.", rt=rt)
    headers = {"Authorization": f"Bearer {visitor.token}"}
    response = client.get(f"/webchat/sessions/{visitor.id}/events", headers=headers,
                          buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "no-cache" in response.headers["Cache-Control"]
    pusher = threading.Timer(0.2, push, args=(visitor.id, "Je regarde votre dossier."),
                             kwargs={"rt": rt})
    pusher.start()
    events = read_events(response, 3)
    pusher.join()
    assert f"id: {first}" in events[0] and "Un conseiller arrive." in events[0]
    assert "event: message" in events[0]
    assert "Je regarde votre dossier." in events[1]
    assert events[2] == ": ping"  # the heartbeat comment keeps proxies from closing it
    second = int(events[1].split("\n")[0].removeprefix("id: "))
    # a reconnection resumes after the last event it saw, and gets nothing twice
    push(visitor.id, "Voici la réponse.", rt=rt)
    resumed = client.get(f"/webchat/sessions/{visitor.id}/events", buffered=False,
                         headers={**headers, "Last-Event-ID": str(second)})
    again = read_events(resumed, 1)
    assert "Voici la réponse." in again[0] and "Je regarde" not in again[0]
    # the visitor's own exchanges are answered inline, never streamed
    assert not any("Service Public du Bénin" in e for e in events + again)


def test_messages_pushed_later_arrive_on_the_event_stream(web):
    stream_test(web)


def test_the_event_stream_works_across_workers_with_redis(make_app, redis_url):
    stream_test(make_app(REDIS_URL=redis_url))


def test_streams_are_capped_so_ussd_hops_keep_their_threads(web):
    web.config.update(WEBCHAT_MAX_STREAMS=1, WEBCHAT_HEARTBEAT=0.2)
    client = web.test_client()
    first, second = Visitor(client), Visitor(client)

    def stream(visitor):
        return client.get(f"/webchat/sessions/{visitor.id}/events", buffered=False,
                          headers={"Authorization": f"Bearer {visitor.token}"})

    held = stream(first)
    assert held.status_code == 200
    busy = stream(second)
    assert busy.status_code == 503 and busy.headers["Retry-After"] and busy.json["error"]
    held.close()  # the visitor left: the slot is free again
    again = stream(second)
    assert again.status_code == 200
    again.close()


def open_stream(client, visitor, address: str = "10.1.0.1"):
    client.environ_base["REMOTE_ADDR"] = address
    return client.get(f"/webchat/sessions/{visitor.id}/events", buffered=False,
                      headers={"Authorization": f"Bearer {visitor.token}"})


def drain(response) -> tuple[list[str], threading.Thread]:
    """Read a stream to its end on a thread, as a server thread does, then close it."""
    chunks: list[str] = []

    def run():
        for chunk in response.response:
            chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
        response.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return chunks, thread


def test_one_session_holds_one_stream_so_it_cannot_lock_others_out(web):
    web.config.update(WEBCHAT_MAX_STREAMS=4, WEBCHAT_HEARTBEAT=0.2, WEBCHAT_STREAM_SECONDS=20)
    client = web.test_client()
    greedy = Visitor(client)
    previous = None
    for _ in range(6):  # a reload, a second tab, a script: each new stream ends the older one
        response = open_stream(client, greedy)
        assert response.status_code == 200
        opened = drain(response)
        if previous:
            previous[1].join(3)
            assert not previous[1].is_alive() and "event: replaced" in "".join(previous[0])
        previous = opened
    others = [Visitor(client) for _ in range(3)]
    held = [open_stream(client, v, f"10.1.0.{i + 2}") for i, v in enumerate(others)]
    assert [r.status_code for r in held] == [200, 200, 200]
    full = open_stream(client, Visitor(client), "10.1.0.9")
    assert full.status_code == 503 and full.headers["Retry-After"]
    for response in held:
        response.close()
    open_stream(client, greedy).close()  # a last one, closed at once, ends the last held
    previous[1].join(3)
    assert not previous[1].is_alive()


def test_a_newer_stream_ends_the_older_in_another_worker(make_app, redis_url):
    first, second = make_app(REDIS_URL=redis_url), make_app(REDIS_URL=redis_url)
    for app in (first, second):
        app.config.update(WEBCHAT_HEARTBEAT=5, WEBCHAT_STREAM_SECONDS=20)
    visitor = Visitor(first.test_client())
    older = drain(open_stream(first.test_client(), visitor))
    time.sleep(0.3)  # the older stream is waiting on Redis
    started = time.monotonic()
    newer = open_stream(second.test_client(), visitor)
    older[1].join(3)
    assert not older[1].is_alive() and "event: replaced" in "".join(older[0])
    assert time.monotonic() - started < 2  # woken at once, not at its next heartbeat
    newer.close()


def test_one_address_gets_half_the_streams_and_the_pool_follows_the_threads(
        make_app, monkeypatch):
    monkeypatch.setenv("GUNICORN_THREADS", "8")  # as gunicorn is started: 4 streams
    app = make_app()
    app.config.update(WEBCHAT_HEARTBEAT=0.2)
    client = app.test_client()
    mine = [open_stream(client, Visitor(client), "10.2.0.1") for _ in range(3)]
    assert [r.status_code for r in mine] == [200, 200, 503]  # half of 4 for one address
    theirs = [open_stream(client, Visitor(client), f"10.2.0.{i}") for i in (2, 3, 4)]
    assert [r.status_code for r in theirs] == [200, 200, 503]  # 4 in all
    for response in mine + theirs:
        response.close()
    monkeypatch.setenv("GUNICORN_THREADS", "32")
    from channels import config

    assert config.thread_count() == 32  # what gunicorn's settings and the stream pool read
    assert config.thread_count({}) == config.DEFAULT_THREADS


def test_redis_down_is_a_503_with_an_apology(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    response = client.post("/webchat/sessions", json={"lang": "fr"})
    assert response.status_code == 503
    assert "indisponible" in response.json["error"]


def test_widget_js_is_served_small_and_cacheable(web):
    response = web.test_client().get("/webchat/widget.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "max-age=" in response.headers["Cache-Control"]
    assert response.headers.get("ETag")
    assert len(response.data) < 30 * 1024
    body = response.get_data(as_text=True)
    assert "attachShadow" in body and "aria-live" in body and "Last-Event-ID" in body


def test_settings_for_origins_and_the_simulator():
    settings = Settings.from_env({"WEBCHAT_ORIGINS": "https://A.example.bj, http://x:8080/"})
    assert settings.webchat_origins == ("https://a.example.bj", "http://x:8080")
    assert Settings.from_env({}).webchat_origins == ()
    for bad in ("*", "portal.example.bj", "https://a.bj/path", "ftp://a.bj"):
        with pytest.raises(ConfigError) as error:
            Settings.from_env({"WEBCHAT_ORIGINS": bad})
        assert error.value.variable == "WEBCHAT_ORIGINS"
    assert Settings.from_env({}).simulator_enabled
    assert Settings.from_env({"AT_USERNAME": "sandbox", "AT_API_KEY": "k"}).simulator_enabled
    live = {"AT_USERNAME": "guichet", "AT_API_KEY": "k"}
    assert not Settings.from_env(live).simulator_enabled
    assert Settings.from_env({**live, "SIMULATOR_ENABLED": "true"}).simulator_enabled


def test_a_visitor_without_a_phone_hears_back_in_the_chat(web, sandbox):
    """Background answers (here: a status the portal could not give at once) come into the
    chat of a visitor who has no proven number."""
    import requests

    from tests.conftest import ADMIN_KEY, wait_for

    visitor = Visitor(web.test_client())
    visitor.send(start="track", lang="fr")
    requests.post(f"{sandbox['url']}/api/v1/admin/faults", json={"fail_status": 503},
                  headers={"X-Admin-Key": ADMIN_KEY}, timeout=5)
    reply = visitor.send(text="SP-2026-000123")
    assert reply["end"] and "SP-2026-000123" in plain(reply["parts"])
    entries = wait_for(lambda: [e for e in visitor.history()["entries"] if e.get("live")])
    assert "SP-2026-000123" in entries[-1]["reply"]["parts"][0]
