"""The floor Guichet is measured against: bare Flask + Redis ``POST /ussd`` and ``/sms/inbound``.

Per hop it does the least any USSD service with a shared session store must do: read the form,
one Redis ``GET`` of a small JSON session keyed by ``sessionId``, one ``SET`` of it with a TTL,
and a ``CON`` text/plain screen of about 120 characters.

``POST /sms/inbound`` (``bench/sms.py``) does the least an SMS callback that answers later must
do: read the form, insert the message once per provider ``id`` into a SQLite file
(``BASELINE_DB``, default rollback journal like Guichet's), push its row id onto a Redis list for
a background worker, and answer ``OK``.  Served by gunicorn with Guichet's own
config (``-c python:channels.gunicorn_conf``) so both targets run the same workers and threads::

    REDIS_URL=redis://127.0.0.1:6379/0 gunicorn -c python:channels.gunicorn_conf \
        'bench.baseline_app:create_app()'
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading

import redis
from flask import Flask, Response, request

SCREEN = ("Casier judiciaire (bulletin n°3)\nCout: 1 900 F CFA\nDelai: 72 heures\n"
          "Valable 3 mois\n1 Recevoir par SMS\n2 Faire la demande\n0 Retour")
TTL = 180
INBOX = """CREATE TABLE IF NOT EXISTS inbound_sms (id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id TEXT NOT NULL UNIQUE, sender TEXT NOT NULL, recipient TEXT, text TEXT NOT NULL,
    link_id TEXT, received_at REAL NOT NULL)"""


def create_app() -> Flask:
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=0.3,
                                  socket_connect_timeout=0.3, decode_responses=True)
    db_path = os.environ.get("BASELINE_DB") or os.path.join(tempfile.gettempdir(),
                                                            "guichet-baseline-sms.db")
    local = threading.local()

    def db() -> sqlite3.Connection:
        if getattr(local, "db", None) is None:
            local.db = sqlite3.connect(db_path, timeout=15)
            local.db.execute(INBOX)
        return local.db

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

    @app.post("/sms/inbound")
    def sms_inbound() -> Response:
        form = request.form
        if not form.get("from") or not (form.get("text") or "").strip():
            return Response("ignored", status=200, mimetype="text/plain")
        conn = db()
        with conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO inbound_sms (provider_id, sender, recipient, text, link_id,"
                " received_at) VALUES (?, ?, ?, ?, ?, julianday('now'))",
                (form.get("id") or "", form["from"], form.get("to"), form["text"][:1600],
                 form.get("linkId")))
        if cur.rowcount:
            client.rpush("bench:sms:inbox", cur.lastrowid)
        return Response("OK", status=200, mimetype="text/plain")

    @app.get("/readyz")
    def readyz() -> Response:
        return Response("ready" if client.ping() else "not ready", mimetype="text/plain")

    return app
