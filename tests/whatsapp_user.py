"""A WhatsApp user as Meta's Cloud API sees them: signed webhook events in, replies read from a
fake Graph API.  Events are built exactly as Meta sends them and signed with HMAC-SHA256 of the
raw body (computed here, independently of Guichet's own code)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

from tests.fakes.graph_api import FakeGraphApi

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
_ids = itertools.count(1)


def signed(body: bytes, secret: str = APP_SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def envelope(value: dict, phone_number_id: str) -> dict:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "22990000000",
                          "phone_number_id": phone_number_id}, **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages",
                                                              "value": value}]}]}


def choices_of(message: dict) -> list[tuple[str, str]]:
    """``(id, title)`` of a reply's buttons or list rows."""
    if message.get("type") != "interactive":
        return []
    action = message["interactive"]["action"]
    if "buttons" in action:
        return [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]]
    return [(r["id"], r["title"]) for s in action["sections"] for r in s["rows"]]


def body_of(message: dict) -> str:
    if message["type"] == "text":
        return message["text"]["body"]
    return message["interactive"]["body"]["text"]


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


class WhatsAppUser:
    def __init__(self, app, fake: FakeGraphApi, wa_id: str = "2290197000060",
                 name: str = "Ama") -> None:
        self.app = app
        self.client = app.test_client()
        self.fake = fake
        self.wa_id = wa_id
        self.name = name
        self.last_id = ""
        self.shown: list[dict] = []

    @property
    def runtime(self):
        return self.app.extensions["guichet"]

    def post(self, payload: dict | bytes, headers: dict | None = None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.client.post("/whatsapp/webhook", data=body,
                                headers=signed(body) if headers is None else headers)

    def message(self, kind: str, content: dict, msg_id: str | None = None) -> dict:
        self.last_id = msg_id or f"wamid.HBgM{next(_ids):06d}{self.wa_id}"
        message = {"from": self.wa_id, "id": self.last_id, "timestamp": str(int(time.time())),
                   "type": kind, **content}
        return envelope({"contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
                         "messages": [message]}, self.fake.phone_number_id)

    def send(self, payload: dict) -> list[dict]:
        """Post ``payload`` signed, wait for the background work, return the new replies."""
        before = len(self.fake.messages_to(self.wa_id))
        response = self.post(payload)
        assert response.status_code == 200, response.data
        self.settle()
        self.shown = self.fake.messages_to(self.wa_id)[before:]
        return self.shown

    def settle(self) -> None:
        assert self.runtime.queue.drain(15), "background work did not finish"

    def say(self, text: str) -> list[dict]:
        return self.send(self.message("text", {"text": {"body": text}}))

    def tap(self, choice_id: str) -> list[dict]:
        """Tap a reply button or pick a list row of the last reply, as WhatsApp reports it."""
        kind, title = "button", ""
        for message in self.shown:
            if any(i == choice_id for i, _ in choices_of(message)):
                kind = message["interactive"]["type"]
                title = dict(choices_of(message))[choice_id]
        if kind == "list":
            reply = {"type": "list_reply", "list_reply": {"id": choice_id, "title": title}}
        else:
            reply = {"type": "button_reply", "button_reply": {"id": choice_id, "title": title}}
        return self.send(self.message("interactive", {"interactive": reply}))

    def voice_note(self) -> list[dict]:
        return self.send(self.message("audio", {"audio": {
            "mime_type": "audio/ogg; codecs=opus", "sha256": "c2hhMjU2", "id": "1234567890",
            "voice": True}}))

    def status(self, wamid: str, status: str, errors: list[dict] | None = None):
        item = {"id": wamid, "status": status, "timestamp": str(int(time.time())),
                "recipient_id": self.wa_id}
        if errors:
            item["errors"] = errors
        response = self.post(envelope({"statuses": [item]}, self.fake.phone_number_id))
        assert response.status_code == 200
        self.settle()
