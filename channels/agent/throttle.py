"""Login throttling for the console (Flask-Limiter): per address and for all addresses at once.

Checking a password costs about 0.1 s of CPU (scrypt): 24 clients guessing in a loop pushed USSD
hops from 3 ms to 0.6 s.  Two limits stand before the password check, so a throttled attempt
never reaches the hash: ``AGENT_LOGIN_RATE`` per client address and ``AGENT_LOGIN_GLOBAL_RATE``
for every address together (an attacker with many addresses still gets a bounded share of the
CPU).  Counts live in Redis when ``REDIS_URL`` is set (shared by every worker), in memory
otherwise (the embedded mode is one process); if Redis fails, memory takes over.

The limiter belongs to the app it was built for (``app.extensions["agent_login_limiter"]``);
nothing is kept at module level.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

LOGIN_ENDPOINT = "agent.login"
EXTENSION = "agent_login_limiter"


def _everyone() -> str:
    """One key for all addresses: the global limit."""
    return "all-addresses"


def _redis_options() -> dict[str, Any]:
    """Give up on a slow Redis quickly (memory takes over): the limiter's stub types the
    options as strings and ints, redis-py takes the seconds as floats."""
    return {"socket_timeout": 0.3, "socket_connect_timeout": 0.3}


def init_app(app: Flask, *, per_address: str, overall: str, redis_url: str | None) -> Limiter:
    """Build the app's limiter and put the two limits on the login form's POST."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=redis_url or "memory://",
        storage_options=_redis_options() if redis_url else {},
        strategy="moving-window",
        key_prefix="guichet-login",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=True,
    )
    view: Any = app.view_functions[LOGIN_ENDPOINT]
    view = limiter.limit(overall, key_func=_everyone, methods=["POST"], scope="all")(view)
    view = limiter.limit(per_address, methods=["POST"], scope="address")(view)
    app.view_functions[LOGIN_ENDPOINT] = view
    app.extensions[EXTENSION] = limiter
    return limiter
