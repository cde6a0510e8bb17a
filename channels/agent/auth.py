"""Console sessions: who is logged in, for how long, and the CSRF token every POST must carry.

The session is Flask's signed cookie (opened only under ``/agent``, ``/webchat``,
``/simulator``; ``SameSite=Lax``, and ``Secure`` when ``GUICHET_ENV=production``); the console's
keys are prefixed ``ag_`` so the web chat's keys in the same cookie are left alone.  The cookie
also carries a random session id checked against ``agent_sessions`` on every request: a signed
cookie alone cannot be taken back, so without it a copy made before logout would keep working.
A session ends after ``AGENT_SESSION_MINUTES`` without an action (watching the live queue is not
an action), after 12 hours in any case, at logout (on the server), and when the account's
password changes or it is disabled (the account's nonce no longer matches).
"""

from __future__ import annotations

import hmac
import secrets
import time

from flask import request, session

from dialogs.desk.accounts import Accounts, Agent

KEYS = ("ag_id", "ag_nonce", "ag_login_at", "ag_seen_at", "ag_sid")
CSRF = "ag_csrf"
MAX_SESSION_SECONDS = 12 * 3600


def csrf_token() -> str:
    token = session.get(CSRF)
    if not token:
        token = session[CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    expected = session.get(CSRF)
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    # bytes: compare_digest refuses str with non-ASCII characters (a forged token may have some)
    return bool(expected) and hmac.compare_digest(str(expected).encode("utf-8", "surrogatepass"),
                                                  str(sent).encode("utf-8", "surrogatepass"))


def log_in(accounts: Accounts, agent: Agent) -> None:
    for key in KEYS:
        session.pop(key, None)
    now = int(time.time())
    session.update(ag_id=agent.id, ag_nonce=agent.session_nonce, ag_login_at=now, ag_seen_at=now,
                   ag_sid=accounts.open_session(agent.id))
    session[CSRF] = secrets.token_urlsafe(32)  # a new token after login


def log_out(accounts: Accounts) -> None:
    """End the session on the server (every copy of the cookie dies) and forget it here."""
    accounts.end_session(session.get("ag_sid"))
    for key in (*KEYS, CSRF):
        session.pop(key, None)


def current(accounts: Accounts, idle_minutes: int, *, touch: bool) -> tuple[Agent | None, bool]:
    """The logged-in agent (or None) and whether a session just expired."""
    agent_id = session.get("ag_id")
    if not agent_id:
        return None, False
    now = time.time()
    seen = float(session.get("ag_seen_at") or 0)
    started = float(session.get("ag_login_at") or 0)
    if now - seen > idle_minutes * 60 or now - started > MAX_SESSION_SECONDS:
        log_out(accounts)
        return None, True
    agent = accounts.get(int(agent_id))
    if agent is None or not agent.active or agent.session_nonce != session.get("ag_nonce") \
            or not accounts.session_alive(session.get("ag_sid"), agent.id):
        log_out(accounts)
        return None, True
    if touch:
        session["ag_seen_at"] = int(now)
    return agent, False
