"""The floor Guichet is measured against: a bare Flask + Redis ``POST /ussd``.

Per hop it does the least any USSD service with a shared session store must do: read the form,
one Redis ``GET`` of a small JSON session keyed by ``sessionId``, one ``SET`` of it with a TTL,
and a ``CON`` text/plain screen of about 120 characters.  Served by gunicorn with Guichet's own
config (``-c python:channels.gunicorn_conf``) so both targets run the same workers and threads::

    REDIS_URL=redis://127.0.0.1:6379/0 gunicorn -c python:channels.gunicorn_conf \
        'bench.baseline_app:create_app()'
"""

from __future__ import annotations

import json
import os

import redis
from flask import Flask, Response, request

SCREEN = ("Casier judiciaire (bulletin n°3)\nCout: 1 900 F CFA\nDelai: 72 heures\n"
          "Valable 3 mois\n1 Recevoir par SMS\n2 Faire la demande\n0 Retour")
TTL = 180


def create_app() -> Flask:
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=0.3,
                                  socket_connect_timeout=0.3, decode_responses=True)
    app = Flask(__name__)

    @app.post("/ussd")
    def ussd() -> Response:
        form = request.form
        key = "bench:ussd:" + (form.get("sessionId") or "")
        raw = client.get(key)
        session = json.loads(raw) if raw else {"phone": form.get("phoneNumber"), "hops": 0}
        session["hops"] += 1
        session["text"] = form.get("text") or ""
        client.set(key, json.dumps(session), ex=TTL)
        return Response("CON " + SCREEN, status=200, mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> Response:
        return Response("ready" if client.ping() else "not ready", mimetype="text/plain")

    return app
