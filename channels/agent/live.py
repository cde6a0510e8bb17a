"""Live screens: ``/agent/events`` (server-sent events) and ``/agent/updates.json`` (the same
payload, for browsers that poll instead).

Each event carries what changed for one screen: the counts, the queue, or the new messages of an
open conversation.  This process's changes wake the streams at once (the desk's notifier); other
processes' are noticed by the records' fingerprint, looked at every :data:`POLL_SECONDS`.
"""

from __future__ import annotations

import json
import threading
import time

from flask import (
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    session,
    stream_with_context,
)

from channels.agent.console import (
    VIEWS,
    _desk,
    _message_json,
    _queue_items,
    _visible,
    bp,
)
from dialogs.desk import Conv, HandoffDesk
from dialogs.desk.records import MAX_ID

MAX_STREAMS = 4
"""Event streams one app serves at once (each holds a thread: in embedded mode one of gunicorn's
``GUNICORN_THREADS``, 32 by default; with Redis a thread of its own beside the sync hop loop);
beyond, the browser polls.  ``app.config["AGENT_MAX_STREAMS"]`` changes it."""
SESSION_CHECK = 30.0
"""Seconds between two checks, on an open stream, that the agent's session still stands (a
logout or a disabled account ends the stream at the next one)."""
STREAM_SECONDS = 300.0
"""A stream ends after this long; the browser reconnects (and the session is checked again)."""
POLL_SECONDS = 0.5
"""How often a stream looks at the records for changes made by other processes."""
KEEP_ALIVE = 5.0
"""Seconds between comments on a quiet stream: a browser gone is noticed (and its slot freed)."""
_streams_lock = threading.Lock()


# -- live updates --------------------------------------------------------------------------


def _update(desk: HandoffDesk, agent, view: str, conv_id: int | None, after: int) -> dict:
    """What changed for this screen: the counts, the queue, new messages of the conversation."""
    g.agent = agent
    payload: dict = {"counts": desk.counts(agent), "at": desk.clock().isoformat()}
    if view == "supervisor":
        payload["queue_html"] = render_template("agent/_figures.html", stats=desk.stats())
        return payload
    if conv_id is None:
        items = _queue_items(desk, view)
        payload["queue_html"] = render_template("agent/_queue.html", view=view, items=items,
                                                now=desk.clock())
        payload["ids"] = [i.id if isinstance(i, Conv) else i["id"] for i in items]
        return payload
    conv = desk.conversation(conv_id)
    if conv is None:
        return payload
    messages = desk.transcript(conv, None, after_id=after)
    payload["messages"] = [_message_json(m) for m in messages]
    payload["conversation"] = {"id": conv.id, "status": conv.status, "agent": conv.agent_name}
    return payload


def _screen_args() -> tuple[str, int | None, int]:
    view = request.args.get("view", "waiting")
    if view not in (*VIEWS, "supervisor") or (
            view in ("all", "supervisor") and not g.agent.is_supervisor):
        view = "waiting"
    conv_id = request.args.get("conversation", type=int)
    if conv_id is not None:
        _visible(_desk(), conv_id)
    after = min(max(request.args.get("after", 0, type=int), 0), MAX_ID)
    return view, conv_id, after


@bp.get("/updates.json")
def updates():
    """The same payload as one event of the stream, for browsers polling instead."""
    desk = _desk()
    desk.accounts.seen(g.agent.id)
    view, conv_id, after = _screen_args()
    return jsonify(_update(desk, g.agent, view, conv_id, after))


def _stream_slots() -> threading.BoundedSemaphore:
    with _streams_lock:
        slots = current_app.extensions.get("agent_streams")
        if slots is None:
            size = int(current_app.config.get("AGENT_MAX_STREAMS", MAX_STREAMS))
            slots = current_app.extensions["agent_streams"] = threading.BoundedSemaphore(size)
        return slots


@bp.get("/events")
def events():
    desk = _desk()
    view, conv_id, after = _screen_args()
    slots = _stream_slots()
    if not slots.acquire(blocking=False):
        return jsonify(error="too many live screens: polling instead"), 503
    agent = g.agent
    sid = session.get("ag_sid")  # read now: the stream outlives the request's context
    check_every = float(current_app.config.get("AGENT_SESSION_CHECK_SECONDS", SESSION_CHECK))

    def stream():
        nonlocal after
        try:
            seen_fp = None
            version = desk.notifier.version
            started = last_beat = last_seen = time.monotonic()
            yield "retry: 2000\n\n"
            while time.monotonic() - started < STREAM_SECONDS:
                fingerprint = desk.fingerprint()
                if fingerprint != seen_fp:
                    seen_fp = fingerprint
                    payload = _update(desk, agent, view, conv_id, after)
                    if payload.get("messages"):
                        after = payload["messages"][-1]["id"]
                    yield f"event: update\ndata: {json.dumps(payload)}\n\n"
                    last_beat = time.monotonic()
                elif time.monotonic() - last_beat > KEEP_ALIVE:
                    yield ": keep-alive\n\n"
                    last_beat = time.monotonic()
                if time.monotonic() - last_seen > check_every:
                    if not desk.accounts.session_alive(sid, agent.id):
                        return  # logged out or disabled meanwhile: no more citizen messages
                    desk.accounts.seen(agent.id)
                    last_seen = time.monotonic()
                version = desk.notifier.wait(version, POLL_SECONDS)
        finally:
            slots.release()

    desk.accounts.seen(agent.id)
    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
