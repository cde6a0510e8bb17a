"""``GET /webchat/sessions/<id>/events``: the live stream of one web chat session.

Each open stream holds a server thread for as long as it lasts, so there are few of them:
- one per session: a newer stream of the same session (a reload, a second tab) ends the older
  one, in whichever worker it runs (:meth:`ChatLog.claim_stream`);
- at most half of this process's streams per client address, so one visitor opening many
  sessions cannot lock the others out;
- at most ``WEBCHAT_MAX_STREAMS`` per process, by default half of the gunicorn threads
  (:func:`channels.config.thread_count`), so USSD hops, which must answer in well under a
  second, keep the other half.
Beyond that the answer is a 503 with ``Retry-After``: the widget waits and tries again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from flask import Response, current_app, request

from channels.config import thread_count
from channels.webchat.blueprint import SID, ApiError, _error, _lang, _log, _rt, _session, bp
from dialogs.i18n import gettext_for
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
HEARTBEAT = 15.0
STREAM_SECONDS = 120.0
"""A stream ends after this long and the client reconnects (with Last-Event-ID): a worker
thread is never held forever by a tab left open."""
_slots_lock = threading.Lock()


def _event(entry: dict) -> str:
    data = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    return f"id: {entry['id']}\nevent: message\ndata: {data}\n\n"


def stream_limit() -> int:
    """Streams this process may hold open: ``WEBCHAT_MAX_STREAMS``, else half the threads."""
    configured = current_app.config.get("WEBCHAT_MAX_STREAMS") or \
        _rt().settings.webchat_max_streams
    if configured:
        return int(configured)
    return max(1, thread_count() // 2)


def _take_slot(client: str) -> Callable[[], None] | None:
    """A slot for one more stream and the function that frees it, or None when this process
    (or this client's share of it) is full."""
    limit = stream_limit()
    share = max(1, limit // 2)
    with _slots_lock:  # one pool per app, i.e. per process (the threads are the process's)
        pool = current_app.extensions.setdefault("webchat_streams", {"open": 0, "clients": {}})
        clients = pool["clients"]
        if pool["open"] >= limit or clients.get(client, 0) >= share:
            return None
        pool["open"] += 1
        clients[client] = clients.get(client, 0) + 1
    freed: list[bool] = []

    def release() -> None:
        with _slots_lock:
            if not freed:
                freed.append(True)
                pool["open"] -= 1
                left = clients.get(client, 1) - 1
                if left > 0:
                    clients[client] = left
                else:
                    clients.pop(client, None)

    return release


@bp.get("/sessions/<sid>/events")
def events(sid: str):
    if not SID.match(sid):
        raise ApiError(404, "session expired")
    _session(sid)
    raw_after = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    after = int(raw_after) if raw_after.strip().isdigit() else 0
    chat = _log()
    chat.since(sid, after)  # the store answers (else a 503 now, not a broken stream)
    release = _take_slot((request.remote_addr or "unknown")[:64])
    if release is None:
        response = _error(503, gettext_for(_lang(request.args.get("lang")))(
            "Service momentanément indisponible. Réessayez dans quelques minutes."))
        response.headers["Retry-After"] = "15"
        return response
    try:
        mine = chat.claim_stream(sid)  # the session's older stream, if any, ends now
    except StoreUnavailable:
        release()
        raise
    heartbeat = float(current_app.config.get("WEBCHAT_HEARTBEAT", HEARTBEAT))
    lifetime = float(current_app.config.get("WEBCHAT_STREAM_SECONDS", STREAM_SECONDS))

    def stream():
        seen = after
        ends = time.monotonic() + lifetime
        beat = time.monotonic() + heartbeat
        yield "retry: 2000\n\n"
        try:
            subscription = chat.subscribe(sid)  # first, so nothing pushed from now is missed
        except StoreUnavailable:
            return
        try:
            pending = chat.since(sid, seen)
            while True:
                for entry in pending:
                    seen = max(seen, entry["id"])
                    if entry.get("live"):
                        yield _event(entry)
                        beat = time.monotonic() + heartbeat
                now = time.monotonic()
                if now >= ends:
                    return
                if now >= beat:
                    yield ": ping\n\n"
                    beat = now + heartbeat
                subscription.wait(seen, min(beat, ends) - time.monotonic())
                if chat.stream_number(sid) != mine:  # a newer stream of this session took
                    yield "event: replaced\ndata: {}\n\n"  # over: no reconnection from here
                    return
                pending = chat.since(sid, seen)
        except StoreUnavailable:
            log.warning("web chat stream ended: session store unavailable")
        finally:
            subscription.close()

    response = Response(stream(), mimetype="text/event-stream", headers={
        "Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(release)  # also when the stream never started
    return response
