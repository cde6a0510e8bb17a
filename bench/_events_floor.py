"""The floor ``bench/events.py`` measures Guichet's ``POST /portal/events`` against.

The least an endpoint taking the portal's signed events must do, as a bare Flask app: read the
raw body, check ``X-Portal-Signature`` (HMAC-SHA256, constant-time), parse the JSON, record the
event id once (``INSERT ... ON CONFLICT DO NOTHING`` in PostgreSQL, ``FLOOR_DATABASE_URL``), push
it onto a Redis list for a worker, and answer 202 (200 for a repeat).  Served by gunicorn with
Guichet's own config, so both run the same workers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os

import redis
import sqlalchemy as sa
from flask import Flask, jsonify, request

metadata = sa.MetaData()
events = sa.Table("floor_events", metadata, sa.Column("id", sa.String(100), primary_key=True),
                  sa.Column("type", sa.String(40), nullable=False))


def create_app() -> Flask:
    from sqlalchemy.dialects import postgresql

    secret = os.environ["PORTAL_WEBHOOK_SECRET"].encode()
    engine = sa.create_engine(os.environ["FLOOR_DATABASE_URL"], pool_pre_ping=True)
    metadata.create_all(engine)
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1.0)
    app = Flask("events-floor")

    @app.get("/readyz")
    def ready():
        return "ok"

    @app.post("/portal/events")
    def accept():
        body = request.get_data()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("X-Portal-Signature", "")):
            return jsonify(error="bad signature"), 403
        event = json.loads(body)
        with engine.begin() as db:
            first = db.execute(postgresql.insert(events).on_conflict_do_nothing(
                index_elements=["id"]).values(id=event["id"], type=event["type"])
                .returning(events.c.id)).first()
        if first is None:
            return jsonify(status="duplicate"), 200
        client.rpush("floor:events", body)
        return jsonify(status="accepted"), 202

    return app
