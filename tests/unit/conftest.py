"""Fixtures of the dialog core's unit suite: the real DialogManager on a MemoryStore, the real
portal client talking in-process to the sandbox portal, recording ports, the embedded NLU.

No Flask app of Guichet, no Redis, no socket: each test builds what it needs in milliseconds,
so every state of every journey can be checked on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask

from dialogs.identity import Verifier
from dialogs.manager import DialogManager
from dialogs.model import Conversation, Inbound, Reply
from dialogs.store import MemoryStore
from integrations.portal import PortalClient
from integrations.portal.sandbox import create_sandbox_app
from nlu.embedded import load_or_train
from nlu.testing import shared_model
from tests.portal_fixtures import CASIER_ANSWERS, FakeClock
from tests.unit.doubles import RecordingDesk, RecordingEffects
from tests.unit.wsgi_transport import WSGITransport

PORTAL_URL = "http://portal.test"
ADMIN_KEY = "unit-admin"
CITIZEN = "+2290197000001"
STRANGER = "+2290197000002"
CAN = {"ussd": {"can_wait": False}, "sms": {}, "whatsapp": {},
       "webchat": {"shows_later": True}}
"""What each channel says it can do when it builds an Inbound (as channels/* do)."""


@dataclass
class Portal:
    """The sandbox portal in this process, and the real client Guichet uses to reach it."""

    app: Flask
    client: PortalClient
    clock: FakeClock

    def admin(self, path: str, body: dict[str, Any]) -> None:
        answer = self.app.test_client().post(f"/api/v1/admin/{path}", json=body,
                                             headers={"X-Admin-Key": ADMIN_KEY})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def down(self) -> None:
        self.admin("faults", {"fail_status": 503})

    def file(self, phone: str, slug: str = "casier-judiciaire") -> str:
        """File a request as Guichet's background job would; its reference."""
        return self.client.submit(slug, CASIER_ANSWERS, phone, "fr", uuid.uuid4().hex).reference


@pytest.fixture
def portal() -> Portal:
    clock = FakeClock()
    app = create_sandbox_app(db_path=None, admin_key=ADMIN_KEY, step_seconds=60, clock=clock)
    session = requests.Session()
    session.mount(PORTAL_URL + "/", WSGITransport(app))  # longer than the client's "http://"
    client = PortalClient(PORTAL_URL, session=session, retries=0, backoff=0)
    return Portal(app=app, client=client, clock=clock)


@pytest.fixture
def effects() -> RecordingEffects:
    return RecordingEffects()


@pytest.fixture
def desk() -> RecordingDesk:
    return RecordingDesk()


@pytest.fixture(scope="session")
def nlu(pytestconfig: pytest.Config) -> Callable[[str, str | None], dict]:
    """The embedded NLU.  Training takes about 3 s, so the model is kept between runs in
    pytest's cache (keyed by the fingerprint of the training data and code, as production
    keeps ``var/nlu-model.pkl``); without a cache it is trained once per process."""
    cache = getattr(pytestconfig, "cache", None)
    if cache is None:
        return shared_model().parse
    return load_or_train(cache.mkdir("nlu-model") / "model.pkl").parse


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def build(portal: Portal, effects: RecordingEffects, clock: FakeClock):
    """``build(**options)``: a DialogManager on a fresh MemoryStore, French and English."""

    def make(**options: Any) -> DialogManager:
        store = options.pop("store", None) or MemoryStore()
        if options.pop("verify", False):
            options["verifier"] = Verifier(store, "unit-secret")
        return DialogManager(store, portal.client, effects, clock=clock, **options)

    return make


class Talk:
    """One citizen's conversation on one channel: each call is one hop (load, step, save),
    built the way that channel builds its Inbound."""

    def __init__(self, manager: DialogManager, channel: str = "sms", user: str = CITIZEN,
                 session: str | None = None) -> None:
        self.manager = manager
        self.channel = channel
        self.user = user
        self.session = session or f"{channel}-{uuid.uuid4().hex[:8]}"
        self.conv: Conversation | None = None

    def __call__(self, text: str | None = None, *, choice: str | None = None,
                 start: str | None = None, locale: str | None = None) -> Reply:
        conv = self.manager.load(self.channel, self.session, self.user)
        inbound = Inbound(self.channel, self.user, self.session, text=text, choice=choice,
                          start=start, locale=locale, client="198.51.100.7",
                          **CAN[self.channel])
        reply = self.manager.step(conv, inbound)
        self.manager.save(conv, end=reply.end)
        self.user, self.conv = conv.user, conv
        return reply

    @property
    def at(self) -> str | None:
        return self.manager.at(self.manager.load(self.channel, self.session, self.user))


def ids(reply: Reply) -> list[str]:
    return [c.id for c in reply.choices]
