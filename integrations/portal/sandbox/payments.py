"""The sandbox plays the mobile-money operator: payments, their outcome, and the events.

``POST /requests/{reference}/payments`` starts a payment (``Idempotency-Key`` required: the
same key gives back the same payment, never a second one); it stays ``pending`` until the
admin settles it (``POST /admin/payments/{id}``), or by itself after ``settle_seconds`` when
set (the in-process default, so a demo completes), or it ``expired`` after
``expire_seconds``.  A number ending in ``0000`` is refused for insufficient funds when it
settles by itself, so a demo can show a failure too.

:func:`sweep` moves time-based things forward - payments due to settle or expire, and a
request's automatic status steps - and records an event for each; it runs before API calls
(at most every ``sweep_every`` seconds) and on a ticker thread (:func:`start_ticker`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from . import events
from .errors import error as _error
from .lifecycle import AUTOMATIC
from .state import EXTENSION, SandboxState, current_state
from .validation import is_e164

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)
OPERATORS = {"mtn": "MTN MoMo", "moov": "Moov Money", "celtiis": "Celtiis Cash"}
OUTCOMES = ("succeeded", "failed")

payments_api = Blueprint("portal_payments", __name__, url_prefix=API_PREFIX)




def _body(row: sqlite3.Row) -> dict[str, Any]:
    body = {"payment_id": row["payment_id"], "reference": row["reference"],
            "status": row["status"], "amount_xof": row["amount_xof"],
            "operator": row["operator"]}
    if row["reason"]:
        body["reason"] = row["reason"]
    return body


def fee_of(state: SandboxState, procedure: str) -> int | None:
    form = state.catalogue.forms.get(procedure) or {}
    fee = form.get("fee_xof")
    return int(fee) if fee is not None else None


def due(state: SandboxState, reference: str, procedure: str) -> dict[str, Any]:
    """What a request owes: its fee and ``unpaid``/``pending``/``paid``."""
    rows = state.store.read(
        "SELECT status FROM payments WHERE reference = ? AND status IN ('pending', 'succeeded')",
        (reference,))
    found = {r["status"] for r in rows}
    status = "paid" if "succeeded" in found else "pending" if found else "unpaid"
    return {"amount_xof": fee_of(state, procedure), "status": status}


@payments_api.post("/requests/<reference>/payments")
def start(reference: str) -> Response:
    state = current_state()
    key = (request.headers.get("Idempotency-Key") or "").strip()[:200]
    if not key:
        return _error(400, "Idempotency-Key header required", {"Idempotency-Key": "required"})
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    problems: dict[str, str] = {}
    operator, msisdn = body.get("operator"), body.get("msisdn")
    if operator not in OPERATORS:
        problems["operator"] = "choice"
    if not is_e164(msisdn) or not str(msisdn).startswith("+229"):
        problems["msisdn"] = "phone"
    if problems:
        return _error(422, "invalid payment", problems)
    ref = reference.strip().upper()
    stored = state.store.get(ref)
    if stored is None:
        return _error(404, "unknown reference")
    fee = fee_of(state, stored.procedure)
    if fee is None:
        return _error(422, "the fee is to be confirmed: it cannot be paid online",
                      {"reference": "fee_unknown"})
    if fee == 0:
        return _error(422, "this service is free", {"reference": "free"})
    with state.store.write() as db:
        row = db.execute("SELECT * FROM payments WHERE idempotency_key = ?", (key,)).fetchone()
        if row is not None:
            if row["reference"] != ref:  # the key names one payment of one request
                return _error(409, "Idempotency-Key already used for another request")
            response = jsonify(_body(row))
            response.status_code = 202 if row["status"] == "pending" else 200
            response.headers["Idempotent-Replayed"] = "true"
            return response
        open_ = db.execute(
            "SELECT status FROM payments WHERE reference = ? AND status IN "
            "('pending', 'succeeded') ORDER BY status DESC LIMIT 1", (ref,)).fetchone()
        if open_ is not None:
            code = "paid" if open_["status"] == "succeeded" else "pending"
            return _error(409, f"request already {code}", {"reference": code})
        payment_id = f"PAY-{uuid.uuid4().hex[:16].upper()}"
        db.execute(
            "INSERT INTO payments (payment_id, reference, idempotency_key, operator, msisdn,"
            " amount_xof, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
            (payment_id, ref, key, operator, msisdn, fee, state.clock()))
        row = db.execute("SELECT * FROM payments WHERE payment_id = ?",
                         (payment_id,)).fetchone()
    response = jsonify(_body(row))
    response.status_code = 202
    return response


@payments_api.get("/payments/<payment_id>")
def get(payment_id: str) -> Response:
    rows = current_state().store.read("SELECT * FROM payments WHERE payment_id = ?",
                                      (payment_id,))
    if not rows:
        return _error(404, "unknown payment")
    return jsonify(_body(rows[0]))


@payments_api.get("/events")
def list_events() -> Response:
    try:
        after = events.cursor_of(request.args.get("after"))
        limit = min(max(int(request.args.get("limit") or 100), 1), 500)
    except ValueError:
        return _error(400, "after: an event id or a number; limit: an integer", {"after": "type"})
    found = events.since(current_state().store, after, limit)
    return jsonify({"events": found, "last": found[-1]["id"] if found else str(after)})


@payments_api.post("/admin/payments/<payment_id>")
def admin_settle(payment_id: str) -> Response:
    state = current_state()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("outcome") not in OUTCOMES:
        return _error(422, "outcome must be succeeded or failed", {"outcome": "choice"})
    reason = body.get("reason") if body["outcome"] == "failed" else None
    if reason is not None and not isinstance(reason, str):
        return _error(422, "reason must be a string", {"reason": "type"})
    with state.store.write() as db:
        row = db.execute("SELECT * FROM payments WHERE payment_id = ?",
                         (payment_id,)).fetchone()
        if row is None:
            return _error(404, "unknown payment")
        if row["status"] != "pending":
            if row["status"] == body["outcome"]:  # the same settlement again: nothing new
                return jsonify(_body(row))
            return _error(409, f"payment already {row['status']}", {"outcome": "settled"})
        event = _settle(state, db, row, body["outcome"],
                        (reason or "declined") if body["outcome"] == "failed" else None)
        row = db.execute("SELECT * FROM payments WHERE payment_id = ?",
                         (payment_id,)).fetchone()
    state.deliver([event])
    return jsonify(_body(row))


def _settle(state: SandboxState, db: sqlite3.Connection, row: sqlite3.Row, status: str,
            reason: str | None) -> dict[str, Any]:
    now = state.clock()
    db.execute("UPDATE payments SET status = ?, reason = ?, settled_at = ? WHERE payment_id = ?",
               (status, reason, now, row["payment_id"]))
    kind = "payment.succeeded" if status == "succeeded" else "payment.failed"
    return events.append(db, kind, row["reference"], state.iso(now),
                         payment_id=row["payment_id"], status=status, reason=reason)


def sweep(state: SandboxState, *, force: bool = False) -> list[dict[str, Any]]:
    """Settle or expire due payments and announce automatic status steps; returns the events
    (already delivered)."""
    now = state.clock()
    if not force and now - state.last_sweep < state.sweep_every:
        return []
    if not state.sweep_lock.acquire(blocking=False):
        return []  # another thread is sweeping
    try:
        state.last_sweep = now
        if not _anything_due(state, now):
            return []  # the usual case: no write transaction on every API call
        new: list[dict[str, Any]] = []
        with state.store.write() as db:
            for row in db.execute("SELECT * FROM payments WHERE status = 'pending'").fetchall():
                settles = (row["created_at"] + state.settle_seconds
                           if state.settle_seconds is not None else float("inf"))
                expires = row["created_at"] + state.expire_seconds
                if now >= min(settles, expires):
                    if settles <= expires:
                        failed = row["msisdn"].endswith("0000")
                        new.append(_settle(state, db, row, "failed" if failed else "succeeded",
                                           "insufficient_funds" if failed else None))
                    else:
                        new.append(_settle(state, db, row, "expired", "timeout"))
            new += _announce_steps(state, db, now)
    finally:
        state.sweep_lock.release()
    state.deliver(new)
    return new


def _anything_due(state: SandboxState, now: float) -> bool:
    """A cheap read: a pending payment old enough to settle or expire, or a request that may
    have reached an automatic step not yet announced."""
    wait = min(state.settle_seconds if state.settle_seconds is not None else float("inf"),
               state.expire_seconds)
    if state.store.read("SELECT 1 FROM payments WHERE status = 'pending' AND created_at <= ?"
                        " LIMIT 1", (now - wait,)):
        return True
    step, last = state.step_seconds, AUTOMATIC[-1][1]
    return bool(state.store.read(
        "SELECT 1 FROM requests r LEFT JOIN announced a ON a.reference = r.reference "
        "WHERE COALESCE(a.steps, 0) < ? AND r.submitted_at >= ? AND r.submitted_at <= ? "
        "LIMIT 1", (len(AUTOMATIC) - 1, now - last * step - 86400, now - step)))


def _announce_steps(state: SandboxState, db: sqlite3.Connection,
                    now: float) -> list[dict[str, Any]]:
    """``request.status_changed`` for the automatic steps (in progress, ready) reached since
    the last sweep; an admin status stops them, as it stops the timeline."""
    step = state.step_seconds
    last = AUTOMATIC[-1][1]
    rows = db.execute(
        "SELECT r.reference, r.submitted_at, r.events, COALESCE(a.steps, 0) AS steps "
        "FROM requests r LEFT JOIN announced a ON a.reference = r.reference "
        "WHERE COALESCE(a.steps, 0) < ? AND r.submitted_at >= ?",
        (len(AUTOMATIC) - 1, now - last * step - 86400)).fetchall()
    new = []
    for row in rows:
        manual = json.loads(row["events"])
        cutoff = min((m["at"] for m in manual), default=None)
        reached = 0
        for status, steps in AUTOMATIC[1:]:
            at = row["submitted_at"] + steps * step
            if at > now or (cutoff is not None and at > cutoff):
                break
            reached += 1
            if reached > row["steps"]:
                new.append(events.append(db, "request.status_changed", row["reference"],
                                         state.iso(at), status=status))
        if reached > row["steps"]:
            db.execute("INSERT INTO announced (reference, steps) VALUES (?, ?) "
                       "ON CONFLICT(reference) DO UPDATE SET steps = excluded.steps",
                       (row["reference"], reached))
    return new


def start_ticker(app: Flask, interval: float = 1.0) -> Callable[[], None]:
    """Sweep every ``interval`` seconds on a daemon thread, so payments settle and events go
    out with nobody calling; returns the function that stops it."""
    state: SandboxState = app.extensions[EXTENSION]
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                sweep(state, force=True)
            except Exception:  # a locked database now: the next tick tries again
                log.exception("sandbox sweep failed")

    thread = threading.Thread(target=run, name="sandbox-ticker", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(interval + 5)

    return halt
