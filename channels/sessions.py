"""Browser sessions only where a browser is: the agent console, the web chat, the simulator.

Provider callbacks (USSD, SMS, WhatsApp) never carry a cookie, yet Flask's default interface
builds a signing serializer on every request once ``SECRET_KEY`` is set: about 6 % of a USSD
hop's CPU.  This interface gives those paths Flask's null session instead.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import NullSession, SecureCookieSessionInterface


class BrowserSessionInterface(SecureCookieSessionInterface):
    def __init__(self, prefixes: tuple[str, ...] = ("/agent", "/webchat", "/simulator")) -> None:
        self.prefixes = prefixes

    def open_session(self, app: Flask, request: Request):
        if not request.path.startswith(self.prefixes):
            return self.null_session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if isinstance(session, NullSession):
            return
        super().save_session(app, session, response)
