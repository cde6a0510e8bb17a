"""Live screens: ``/agent/events`` (server-sent events) and ``/agent/updates.json`` (the same
payload, for browsers that poll instead).

Each event carries what changed for one screen: the counts, the queue, or the new messages of an
open conversation.  One watcher per process (:class:`channels.agent.watch.Watch`) wakes the
streams: at once for this process's changes (the desk's notifier), within :data:`POLL_SECONDS`
for other processes' (the records' fingerprint).  A stream is a sleeping thread, so a process
holds a whole shift's screens (``AGENT_MAX_STREAMS``, see :func:`stream_limit`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

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
from channels.agent.watch import Watch
from dialogs.desk import Conv, HandoffDesk
from dialogs.desk.records import MAX_ID

SESSION_CHECK = 30.0
"""Seconds between two checks, on an open stream, that the agent's session still stands (a
logout or a disabled account ends the stream at the next one)."""
STREAM_SECONDS = 300.0
"""A stream ends after this long; the browser reconnects (and the session is checked again)."""
POLL_SECONDS = 0.5
"""How often the process's watcher looks at the records for changes made by other processes
(``app.config["AGENT_POLL_SECONDS"]`` changes it)."""
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


def stream_limit() -> int:
    """Streams this process serves at once (``AGENT_MAX_STREAMS``, resolved by
    :func:`channels.config.agent_stream_limit`); beyond, the browser polls."""
    if "AGENT_MAX_STREAMS" in current_app.config:
        return int(current_app.config["AGENT_MAX_STREAMS"])
    return int(current_app.extensions["guichet"].settings.agent_max_streams)


def _take_slot() -> tuple[Callable[[], None], Watch] | None:
    """A slot for one more stream (the function that frees it) and the process's watcher, or
    None when this process already holds :func:`stream_limit` streams."""
    limit = stream_limit()
    with _streams_lock:  # one pool per app, i.e. per process
        pool = current_app.extensions.get("agent_streams")
        if pool is None:
            every = float(current_app.config.get("AGENT_POLL_SECONDS", POLL_SECONDS))
            pool = current_app.extensions["agent_streams"] = {
                "open": 0, "watch": Watch(_desk(), every)}
        if pool["open"] >= limit:
            return None
        pool["open"] += 1
    freed: list[bool] = []

    def release() -> None:
        with _streams_lock:
            if not freed:
                freed.append(True)
                pool["open"] -= 1

    return release, pool["watch"]


@bp.get("/events")
def events():
    desk = _desk()
    view, conv_id, after = _screen_args()
    taken = _take_slot()
    if taken is None:
        return jsonify(error="too many live screens: polling instead"), 503
    release, watch = taken
    agent = g.agent
    sid = session.get("ag_sid")  # read now: the stream outlives the request's context
    check_every = float(current_app.config.get("AGENT_SESSION_CHECK_SECONDS", SESSION_CHECK))

    def stream():
        nonlocal after
        watch.join()
        try:
            version = -1  # the screen as it is now, first
            started = last_beat = last_seen = time.monotonic()
            yield "retry: 2000\n\n"
            while time.monotonic() - started < STREAM_SECONDS:
                if watch.version != version:
                    version = watch.version
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
                watch.wait(version, min(KEEP_ALIVE, check_every))
        finally:
            watch.leave()
            release()

    desk.accounts.seen(agent.id)
    response = Response(stream_with_context(stream()), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(release)  # also when the browser left before the stream started
    return response
