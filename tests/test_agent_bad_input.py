"""Bad input on the agent console, found by the endpoint fuzz: a 400, never a 500.

These fail until ``channels/agent`` is fixed (owned elsewhere): ``auth.csrf_ok`` compares str
with ``hmac.compare_digest``, which raises TypeError on non-ASCII; ``reply`` and ``transfer``
call ``.get`` on whatever JSON arrives, a list included.
"""

from __future__ import annotations

import pytest

from tests.callers import agent_console


@pytest.fixture
def console(make_app):
    return agent_console(make_app())


def test_a_non_ascii_csrf_token_is_refused_not_a_crash(console):
    client, _csrf = console
    for path in ("/agent/logout", "/agent/next"):
        response = client.post(path, headers={"X-CSRF-Token": "é", "Accept": "application/json"})
        assert response.status_code == 400, path


@pytest.mark.parametrize("path", ["/agent/c/1/reply", "/agent/c/1/transfer"])
def test_a_json_body_that_is_not_an_object_is_a_400_not_a_crash(console, path):
    client, csrf = console
    response = client.post(path, data=b"[1, 2]", headers={
        **csrf, "Content-Type": "application/json", "Accept": "application/json"})
    assert response.status_code < 500
