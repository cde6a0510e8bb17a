"""Signed-in callers for tests that must get past authentication to reach what an endpoint
reads: a web chat visitor with a session token, and an agent logged in to the console."""

from __future__ import annotations

import re

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
AGENT_PASSWORD = "a long password"


def webchat_visitor(client, **session) -> tuple[str, dict[str, str]]:
    """A new web chat session: its id and the ``Authorization`` header that goes with it."""
    created = client.post("/webchat/sessions", json=session)
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.json["id"], {"Authorization": f"Bearer {created.json['token']}"}


def agent_console(app, login: str = "fuzz") -> tuple[object, dict[str, str]]:
    """A test client logged in to the console as a supervisor, and its CSRF header."""
    app.extensions["guichet"].desk.accounts.add(login=login, password=AGENT_PASSWORD,
                                                role="supervisor", languages="fr,en")
    client = app.test_client()
    token = _CSRF.search(client.get("/agent/login").text)[1]
    response = client.post("/agent/login", data={"login": login, "password": AGENT_PASSWORD,
                                                  "csrf_token": token})
    assert response.status_code == 303, response.status_code
    token = _CSRF.search(client.get("/agent/queue").text)[1]
    return client, {"X-CSRF-Token": token}
