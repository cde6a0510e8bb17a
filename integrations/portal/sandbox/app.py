"""The sandbox portal: a Flask app implementing ``openapi.yaml`` from ``catalogue.yaml``.

It stands in for service-public.bj in development, demos and tests: same paths, same JSON,
validation with per-field reasons, SP-YYYY-NNNNNN references, statuses that move over time,
admin hooks to force a status or inject faults, and X-Road security-server paths.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from . import events
from .catalogue import CatalogueError, load_catalogue
from .errors import error as _error
from .faults import Faults, parse_faults
from .gateway import XRoadGateway
from .lifecycle import STATES, timeline
from .payments import due, payments_api, sweep
from .state import BENIN_TZ, EXTENSION, OnEvent, SandboxState
from .state import current_state as _state
from .store import IdempotencyConflict, RequestStore, StoredRequest
from .validation import is_e164, validate_answers

API_PREFIX = "/api/v1"
OPERATORS = ["MTN MoMo", "Moov Money", "Celtiis Cash"]




def _same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _payment(reference: str, fee: int | None) -> dict[str, Any]:
    if fee is None:
        instructions = {
            "fr": f"Montant à confirmer : vous serez informé. Référence {reference}.",
            "en": f"Amount to be confirmed: you will be told. Reference {reference}.",
        }
    elif fee == 0:
        instructions = {"fr": "Service gratuit.", "en": "Free service."}
    else:
        instructions = {
            "fr": f"Payez par mobile money depuis Guichet ou le portail, référence {reference}.",
            "en": f"Pay by mobile money from Guichet or the portal, reference {reference}.",
        }
    return {"amount_xof": fee, "operators": OPERATORS, "instructions": instructions}


def _status_body(state: SandboxState, stored: StoredRequest) -> dict[str, Any]:
    events = timeline(stored.submitted_at, stored.events, state.clock(), state.step_seconds)
    last = events[-1]
    return {
        "reference": stored.reference,
        "procedure": stored.procedure,
        "status": last.status,
        "submitted_at": state.iso(stored.submitted_at),
        "updated_at": state.iso(last.at),
        "history": [{"status": e.status, "at": state.iso(e.at)} for e in events],
        "note": last.note,
        "payment": due(state, stored.reference, stored.procedure),
    }


api = Blueprint("portal_api", __name__, url_prefix=API_PREFIX)


@api.before_request
def _guard() -> Response | None:
    """Admin key for /admin; otherwise faults first (a down portal is down), then the API key."""
    state = _state()
    if request.path.startswith(f"{API_PREFIX}/admin/"):
        if not _same_secret(request.headers.get("X-Admin-Key"), state.admin_key):
            return _error(403, "missing or invalid X-Admin-Key")
        return None
    sweep(state)  # payments due to settle or expire, status steps: before answering
    if request.path.rstrip("/") in (f"{API_PREFIX}/categories", f"{API_PREFIX}/procedures"):
        state.reload_if_changed()
    faults = state.faults.apply_delay()
    if faults.fail_status is not None:
        return _error(faults.fail_status, "fault injected by the sandbox")
    if state.api_key:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not _same_secret(token.strip(), state.api_key):
            response = _error(401, "missing or invalid API key")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
    return None


payments_api.before_request(_guard)


@api.get("/health")
def health() -> Response:
    return jsonify({"status": "ok"})


@api.get("/categories")
def categories() -> Response:
    return jsonify({"categories": _state().catalogue.categories})


@api.get("/procedures")
def procedures() -> Response:
    category = request.args.get("category") or None
    return jsonify({"procedures": _state().catalogue.procedures_in(category)})


@api.get("/procedures/<slug>")
def procedure(slug: str) -> Response:
    found = _state().catalogue.procedures.get(slug)
    if found is None:
        return _error(404, f"unknown procedure {slug}")
    return jsonify(found)


@api.get("/eservices")
def eservices() -> Response:
    return jsonify({"eservices": list(_state().catalogue.forms)})


@api.get("/eservices/<slug>/form")
def form(slug: str) -> Response:
    found = _state().catalogue.forms.get(slug)
    if found is None:
        return _error(404, f"no e-service for {slug}")
    return jsonify(found)


@api.post("/eservices/<slug>/requests")
def submit(slug: str) -> Response:
    state = _state()
    schema = state.catalogue.forms.get(slug)
    if schema is None:
        return _error(404, f"no e-service for {slug}")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    phone = body.get("phone")
    lang = body.get("lang") or "fr"
    answers = body.get("answers") or {}
    if not isinstance(answers, dict) or not isinstance(lang, str):
        return _error(400, "answers must be an object and lang a string")
    problems: dict[str, str] = {}
    if not is_e164(phone):
        problems["phone"] = "phone"
    problems.update(validate_answers(schema, answers, state.local_now().date()))
    if problems:
        return _error(422, "invalid answers", problems)
    key = (request.headers.get("Idempotency-Key") or "").strip()[:200] or None
    canonical = json.dumps(
        {"slug": slug, "phone": phone, "lang": lang, "answers": answers}, sort_keys=True
    )
    now = state.clock()
    try:
        created = state.store.create(
            procedure=slug,
            phone=str(phone),  # is_e164 checked it above
            lang=lang,
            answers=answers,
            now=now,
            year=datetime.fromtimestamp(now, BENIN_TZ).year,
            idempotency_key=key,
            fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
            respond=lambda ref: {
                "reference": ref,
                "procedure": slug,
                "status": "received",
                "submitted_at": state.iso(now),
                "payment": _payment(ref, schema["fee_xof"]),
            },
        )
    except IdempotencyConflict:
        return _error(409, "Idempotency-Key already used for a different request")
    response = jsonify(created.body)
    response.status_code = created.status
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@api.get("/requests/<reference>")
def request_status(reference: str) -> Response:
    state = _state()
    stored = state.store.get(reference.strip().upper())
    if stored is None:
        return _error(404, "unknown reference")
    return jsonify(_status_body(state, stored))


@api.get("/requests")
def requests_for_phone() -> Response:
    phone = request.args.get("phone", "")
    if phone.startswith(" "):  # an unencoded "+" in a hand-typed query string
        phone = "+" + phone.lstrip()
    if not is_e164(phone):
        return _error(400, "phone must be E.164, e.g. +2290197000000", {"phone": "phone"})
    state = _state()
    return jsonify({"requests": [_status_body(state, s) for s in state.store.for_phone(phone)]})


@api.post("/admin/requests/<reference>/status")
def admin_status(reference: str) -> Response:
    state = _state()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("status") not in STATES:
        return _error(422, "status must be one of " + ", ".join(STATES), {"status": "choice"})
    note = body.get("note") or {}
    if isinstance(note, str):
        note = {"fr": note}
    if not isinstance(note, dict):
        return _error(422, "note must be a string or a {lang: text} map", {"note": "type"})
    ref = reference.strip().upper()
    sweep(state, force=True)  # steps reached before this one are announced first
    now = state.clock()
    event = {"status": body["status"], "at": now, "note": note}
    if not state.store.add_event(ref, event):
        return _error(404, "unknown reference")
    with state.store.write() as db:
        told = events.append(db, "request.status_changed", ref, state.iso(now),
                             status=body["status"])
        db.execute(  # an admin status stops the automatic steps: none left to announce
            "INSERT INTO announced (reference, steps) VALUES (?, 99) "
            "ON CONFLICT(reference) DO UPDATE SET steps = 99", (ref,))
    state.deliver([told])
    stored = state.store.get(ref)
    assert stored is not None
    return jsonify(_status_body(state, stored))


@api.get("/admin/faults")
def admin_faults_get() -> Response:
    return jsonify(_state().faults.settings.as_json())


@api.post("/admin/faults")
def admin_faults() -> Response:
    try:
        settings = parse_faults(request.get_json(silent=True) or {})
    except ValueError as exc:
        return _error(422, f"invalid {exc}", {str(exc): "type"})
    _state().faults.set(settings)
    return jsonify(settings.as_json())


def _http_error(exc: HTTPException) -> Response:
    return _error(exc.code or 500, exc.description or exc.name)


def create_sandbox_app(
    db_path: str | None = None,
    api_key: str | None = None,
    admin_key: str = "sandbox-admin",
    step_seconds: float = 120.0,
    clock: Callable[[], float] = time.time,
    catalogue_path: str | Path | None = None,
    settle_seconds: float | None = None,
    expire_seconds: float = 300.0,
    on_event: OnEvent | None = None,
) -> Flask:
    """Build the sandbox portal.

    ``db_path``: SQLite file shared by processes, or ``None`` for a private in-memory db.
    ``api_key``: when set, API calls need ``Authorization: Bearer <api_key>``.
    ``admin_key``: the ``X-Admin-Key`` of the admin endpoints.
    ``step_seconds``: a request is ``in_progress`` after one step and ``ready`` after three.
    ``clock``: epoch seconds (tests inject one to move statuses without sleeping).
    ``settle_seconds``: a pending payment succeeds by itself after this long (``None``: it
    waits for the admin endpoint); ``expire_seconds``: unsettled, it expires after this long.
    ``on_event``: called with each new event (a dict) after it is stored; events are also
    listed by ``GET /api/v1/events?after=<id>``.  Start :func:`start_ticker` for events and
    settlements to happen with no API call coming in.
    """
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if catalogue_path is None and os.environ.get("SANDBOX_CATALOGUE", "").strip():
        catalogue_path = os.environ["SANDBOX_CATALOGUE"].strip()
    path = Path(catalogue_path) if catalogue_path else None
    try:
        catalogue = load_catalogue(path)
    except CatalogueError as exc:
        raise CatalogueError(f"SANDBOX_CATALOGUE: {exc}") from exc
    app.extensions[EXTENSION] = SandboxState(
        catalogue=catalogue,
        catalogue_path=path,
        catalogue_stamp=(path.stat().st_mtime_ns, path.stat().st_size) if path else (0, 0),
        store=RequestStore(db_path),
        faults=Faults(),
        api_key=api_key or None,
        admin_key=admin_key,
        step_seconds=step_seconds,
        clock=clock,
        settle_seconds=settle_seconds,
        expire_seconds=expire_seconds,
        on_event=on_event,
    )
    app.register_blueprint(api)
    app.register_blueprint(payments_api)
    app.register_error_handler(HTTPException, _http_error)
    app.wsgi_app = XRoadGateway(app.wsgi_app, API_PREFIX)  # type: ignore[method-assign]
    return app
