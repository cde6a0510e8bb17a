"""``/simulator/``: one page that shows every channel, for demos and development.

The page plays the providers: its feature phone posts to ``POST /ussd`` exactly as Africa's
Talking does (``text`` accumulates every input joined by ``*``), its SMS phone posts to
``POST /sms/inbound`` and reads what Guichet sent from the local outbox
(:meth:`channels.outbox.MessageLog.recent`, through ``GET /simulator/outbox``), its
WhatsApp view posts to ``POST /simulator/whatsapp`` and renders buttons and lists as WhatsApp
does, and it embeds the web chat widget.  The WhatsApp view also reads the outbox, for what
Guichet sends later (an agent's answer, a request's outcome): every message there but the
answers it already showed (``answered``).

On by default; off in production (``AT_USERNAME`` set and not ``sandbox``) unless
``SIMULATOR_ENABLED=true``.  Disabled, every path here is a 404.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, current_app, jsonify, request, send_from_directory

from channels.jsonbody import json_object
from dialogs.i18n import gettext_for
from dialogs.model import Inbound, Reply
from dialogs.phones import subscriber
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("simulator", __name__, url_prefix="/simulator")
STATIC = Path(__file__).resolve().parent / "static"
FILES = {"simulator.css": "text/css", "simulator.js": "text/javascript"}
MAX_TEXT = 1000
DEFAULT_PHONE = "+2290197000001"


def _rt():
    return current_app.extensions["guichet"]


@bp.before_request
def _enabled():
    if not _rt().settings.simulator_enabled:
        return jsonify(error="not found"), 404
    return None


@bp.get("/")
def page():
    response = send_from_directory(STATIC, "index.html", mimetype="text/html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/static/<name>")
def static_file(name: str):
    if name not in FILES:
        return jsonify(error="not found"), 404
    response = send_from_directory(STATIC, name, mimetype=FILES[name], max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/config")
def config():
    """What the page needs to play the providers the way this service is configured."""
    settings = _rt().settings
    return jsonify(
        ussd_code=settings.ussd_service_code,
        screen_max=settings.ussd_screen_max,
        session_seconds=settings.session_ttl,
        phone=DEFAULT_PHONE,
        whatsapp=_whatsapp_mode(),
    )


@bp.get("/outbox")
def outbox():
    """What Guichet sent to ``phone`` (newest first): SMS, and WhatsApp messages as sent."""
    rt = _rt()
    phone = subscriber(request.args.get("phone", ""), rt.settings.default_region)
    if phone is None:
        return jsonify(error="phone: expected a phone number, e.g. +2290197000001"), 400
    channel = request.args.get("channel") or None
    try:
        limit = max(1, min(int(request.args.get("limit", "30")), 100))
    except ValueError:
        limit = 30
    found = rt.messages.recent(recipient=phone, limit=limit if channel is None else 100)
    hook = _whatsapp()
    messages = [{"id": m.id, "channel": m.channel, "body": m.body, "lang": m.lang,
                 "status": m.status, "error": m.error,
                 # the page already showed it, as POST /simulator/whatsapp's answer
                 "answered": bool(hook and m.channel == "whatsapp"
                                  and hook.answered_in_place(m.key))}
                for m in found if channel is None or m.channel == channel][:limit]
    return jsonify(phone=phone, messages=messages)


# -- WhatsApp ---------------------------------------------------------------------------------


class WhatsAppHook(Protocol):
    """What the composition root hands the simulator for WhatsApp (``app.extensions
    ["simulate"]["whatsapp"]``): the channel's own answering and rendering, not an import."""

    def mode(self) -> str: ...

    def answer(self, rt: Any, message: dict) -> list[dict]: ...

    def render(self, reply: Reply) -> list[dict]: ...

    def answered_in_place(self, key: str) -> bool: ...


def _whatsapp() -> WhatsAppHook | None:
    hook: WhatsAppHook | None = current_app.extensions.get("simulate", {}).get("whatsapp")
    return hook


def _whatsapp_mode() -> str:
    """``adapter``: the WhatsApp channel answers and its sender keeps messages in the local
    outbox; ``render``: a Graph API is configured, so the simulator only renders (never sends);
    ``plain``: no WhatsApp in this build."""
    hook = _whatsapp()
    return "plain" if hook is None else hook.mode()


@bp.post("/whatsapp")
def whatsapp():
    """A message from the simulated WhatsApp user; the answer as WhatsApp message objects."""
    rt = _rt()
    body = json_object()
    phone = subscriber(str(body.get("phone") or ""), rt.settings.default_region)
    text, choice, kind = body.get("text"), body.get("choice"), body.get("type") or "text"
    if phone is None:
        return jsonify(error="phone: expected a phone number"), 400
    if not isinstance(text, str | None) or not isinstance(choice, str | None) \
            or kind not in ("text", "interactive", "audio", "image", "location"):
        return jsonify(error="expected text, choice or type"), 400
    text = text[:MAX_TEXT] if text else None
    wa_id = phone.lstrip("+")
    message = {"id": f"wamid.sim.{uuid.uuid4().hex}", "wa_id": wa_id, "timestamp": time.time(),
               "type": "interactive" if choice else kind}
    if choice:
        message["choice"] = choice[:200]
    elif text and kind == "text":
        message["text"] = text
    elif kind in ("text", "interactive"):
        return jsonify(error="expected text, choice or type"), 400
    mode = _whatsapp_mode()
    try:
        hook = _whatsapp()
        if mode == "adapter" and hook is not None:
            outgoing = hook.answer(rt, message)
        else:
            outgoing = _render_only(rt, phone, wa_id, message, mode)
    except StoreUnavailable:
        _ = gettext_for("fr")
        return jsonify(error=_("Service momentanément indisponible. "
                               "Réessayez dans quelques minutes.")), 503
    return jsonify(mode=mode, messages=outgoing)


def _render_only(rt, phone: str, wa_id: str, message: dict, mode: str) -> list[dict]:
    """Answer with the dialog manager and render as WhatsApp would, sending nothing."""
    session = f"sim-wa:{wa_id}"
    reply = rt.manager.handle(Inbound("whatsapp", phone, session, text=message.get("text"),
                                      choice=message.get("choice")))
    hook = _whatsapp()
    if mode == "render" and hook is not None:
        return hook.render(reply)
    # GAP: no WhatsApp renderer in this build; show the reply as plain text with numbers.
    lines = [reply.error or "", reply.text] + [
        f"{i}. {c.label}" for i, c in enumerate(reply.choices, 1)]
    return [{"type": "text", "text": {"body": "\n".join(x for x in lines if x)}}]
