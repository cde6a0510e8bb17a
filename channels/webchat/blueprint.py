"""The web chat API under ``/webchat``: sessions, messages, an event stream, history, widget.js.

- ``POST /webchat/sessions`` -> ``{"id", "token"}``; every later call carries
  ``Authorization: Bearer <token>`` (signed with ``SECRET_KEY``; 401 without a valid one).
- ``POST /webchat/sessions/<id>/messages`` with ``{"text"}``, ``{"choice"}`` or ``{"start"}``,
  and an optional ``"lang"``: the dialog manager runs inline and the :class:`Reply` comes back as
  JSON ``{"id", "parts", "choices": [{"id", "label"}], "expects", "end", "error", "lang", ...}``.
- ``GET /webchat/sessions/<id>/events``: server-sent events for what arrives later (an agent's
  answer, a background result; see :func:`channels.webchat.push`), ``Last-Event-ID`` resumes,
  a comment every 15 s keeps proxies from closing the stream; one per session, few per
  process (:mod:`channels.webchat.streams`).
- ``GET /webchat/sessions/<id>/history``: the whole conversation, for a page reload.
- ``GET /webchat/widget.js``: the embeddable widget.
- ``GET /webchat/config``: the languages offered, the widget's labels in each of them
  (:mod:`channels.webchat.labels`) and ``origin_allowed``: whether the page asking may use the
  chat.  Readable from any page (``Access-Control-Allow-Origin: *``, nothing in it is private), so
  a widget on a page that is not allowed can say "not available here" instead of failing like a
  network drop (a refused preflight is unreadable to the page).

A session is anonymous (``web:<sid>``): it can ask questions, browse procedures and track a
reference (status only).  A ``"phone"`` given when it opens is not trusted (anyone can type
anyone's number); drafts, "my requests" and e-services wait until the dialog has sent a one-time
code to a number by SMS and the visitor typed it back (:mod:`dialogs.identity`).  From then on
the session is that number's.

Cross-origin calls are allowed only from ``WEBCHAT_ORIGINS`` (empty: same origin only); a call
from another origin gets a 403 ``{"error": "origin_not_allowed"}`` before anything is done, and
a WARNING naming the refused origin and the ``WEBCHAT_ORIGINS`` setting (an origin is a site, not
personal data): an operator who forgot to list a page sees why its chat is silent.  Errors are
JSON in the visitor's language; a session store that is down gives a 503 with an apology, never a
bare 5xx.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import re
import secrets
import time
from pathlib import Path
from urllib.parse import urlparse

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from channels import metrics
from channels.jsonbody import json_object
from channels.webchat.events import ChatLog, chat_log
from channels.webchat.labels import widget_config
from dialogs.i18n import gettext_for
from dialogs.manager import ENTRY_POINTS
from dialogs.model import Inbound, Reply
from dialogs.phones import to_e164
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("webchat", __name__, url_prefix="/webchat")
STATIC = Path(__file__).resolve().parent / "static"
CHANNEL = "webchat"
MAX_TEXT = 1000
"""Longest message a visitor may send (characters); longer gets a 400 in their language."""
MAX_ID = 200
TOKEN_MAX_AGE = 30 * 86400
SESSION_RATE = 300
"""Sessions one address may open per minute (generous: a proxy may front many visitors)."""
LOCK_TTL = 15
SID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LANG = re.compile(r"^[a-z]{2,3}$")
WIDGET_MAX_AGE = 300
PUBLIC = ("webchat.widget", "webchat.config")
"""Endpoints any page may read: the widget's script and its configuration."""
ORIGIN_NOT_ALLOWED = "origin_not_allowed"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _rt():
    return current_app.extensions["guichet"]


def _log() -> ChatLog:
    return chat_log(_rt().settings.redis_url)


def _ttl() -> int:
    return _rt().settings.chat_session_ttl


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="guichet-webchat")


def _lang(value: object, fallback: str = "fr") -> str:
    return value if isinstance(value, str) and LANG.match(value) else fallback


def _error(status: int, message: str, **extra) -> Response:
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


def _apology(lang: str = "fr") -> Response:
    _ = gettext_for(lang)
    return _error(503, _("Service momentanément indisponible. Réessayez dans quelques minutes."))


# -- CORS -------------------------------------------------------------------------------------


def _origin_allowed(origin: str) -> bool:
    if origin in _rt().settings.webchat_origins:
        return True
    parsed = urlparse(origin)
    return bool(parsed.netloc) and parsed.netloc.lower() == request.host.lower()


def _refuse(origin: str) -> Response:
    """403 for a page whose origin is not in ``WEBCHAT_ORIGINS``, logged for the operator."""
    log.warning("web chat refused a call from origin %s: it is not in WEBCHAT_ORIGINS "
                "(add it there if the chat should work on that site)", origin[:100],
                extra={"origin": origin[:100], "setting": "WEBCHAT_ORIGINS"})
    return _error(403, ORIGIN_NOT_ALLOWED)


@bp.before_request
def _cors_guard():
    origin = request.headers.get("Origin")
    if request.endpoint in PUBLIC:
        return None
    if request.method == "OPTIONS":
        if not origin or not _origin_allowed(origin):
            return _refuse(origin or "(none)")
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = \
            "Authorization, Content-Type, Last-Event-ID"
        response.headers["Access-Control-Max-Age"] = "600"
        return response
    if origin and not _origin_allowed(origin):
        return _refuse(origin)
    return None


@bp.after_request
def _cors_headers(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if request.endpoint == "webchat.config":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.vary.add("Origin")
    elif request.endpoint != "webchat.widget":
        response.vary.add("Origin")
        if origin and _origin_allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return _error(exc.status, exc.message)


@bp.errorhandler(StoreUnavailable)
def _store_down(_exc):
    log.error("web chat: session store unavailable")
    return _apology()


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error(exc.code or 400, (exc.name or "error").lower())


# -- helpers ----------------------------------------------------------------------------------


def _body(lang: str = "fr") -> dict:
    """The JSON object sent (``{}`` when nothing was); 400 in ``lang`` when it is not one."""
    return json_object(lang)


def _session(sid: str) -> dict:
    """The session's metadata when the bearer token is for ``sid``; 401/404 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing token")
    try:
        signed = _serializer().loads(token.strip(), max_age=TOKEN_MAX_AGE)
    except BadSignature:
        raise ApiError(401, "invalid token") from None
    if not isinstance(signed, str) or not hmac.compare_digest(signed, sid):
        raise ApiError(401, "invalid token")
    meta = _log().meta(sid)
    if meta is None:
        raise ApiError(404, "session expired")
    return meta


def reply_json(reply: Reply, *, sms: bool = True) -> dict:
    """A :class:`Reply` as the web sees it: real letters, choices as quick-reply buttons.

    ``sms`` False (a visitor who gave no phone number) hides "send it by SMS" choices.
    """
    choices = [c for c in reply.choices if sms or c.kind != "sms"]
    return {
        "parts": [p for p in reply.parts if p],
        "choices": [{"id": c.id, "label": c.label} for c in choices],
        "expects": reply.expects,
        "end": reply.end,
        "error": reply.error,
        "lang": reply.lang,
        "navigable": reply.navigable,
        "handoff": reply.handoff.reason if reply.handoff else None,
        "input": reply.input,
    }


def text_reply(text: str, lang: str) -> dict:
    return reply_json(Reply(parts=(text,), lang=lang, expects="text", navigable=False))


# -- endpoints --------------------------------------------------------------------------------


@bp.post("/sessions")
def create_session():
    rt = _rt()
    body = _body()
    lang = _lang(body.get("lang"), rt.manager.default_lang)
    _ = gettext_for(lang)
    phone = body.get("phone")  # accepted for old pages, never trusted: see the docstring
    if phone is not None and (not isinstance(phone, str)
                              or to_e164(phone, rt.settings.default_region) is None):
        raise ApiError(400, _("Numéro de téléphone invalide."))
    client = (request.remote_addr or "unknown")[:64]
    if rt.store.incr(f"gc:wc:new:{client}", 60) > SESSION_RATE:
        raise ApiError(429, _("Trop de demandes. Réessayez dans une minute."))
    sid = secrets.token_urlsafe(18)
    _log().create(sid, {"user": f"web:{sid}", "phone": False, "lang": lang,
                        "created": time.time()}, _ttl())
    token = _serializer().dumps(sid)
    return jsonify(id=sid, token=token), 201


@bp.post("/sessions/<sid>/messages")
def post_message(sid: str):
    if not SID.match(sid):
        raise ApiError(404, "session expired")
    meta = _session(sid)
    rt = _rt()
    body = _body(meta.get("lang") or rt.manager.default_lang)
    lang = _lang(body.get("lang"), meta.get("lang") or rt.manager.default_lang)
    _ = gettext_for(lang)
    text, choice, start = body.get("text"), body.get("choice"), body.get("start")
    if text is not None and not isinstance(text, str) or \
            choice is not None and not isinstance(choice, str) or \
            start is not None and start not in ENTRY_POINTS:
        raise ApiError(400, _("Requête invalide."))
    if text is not None and len(text) > MAX_TEXT:
        raise ApiError(400, _("Message trop long : {n} caractères au plus.").format(n=MAX_TEXT))
    if choice is not None and not 0 < len(choice) <= MAX_ID:
        raise ApiError(400, _("Requête invalide."))
    text = text.strip() if text else None
    if not (text or choice or start or "lang" in body):
        raise ApiError(400, _("Écrivez un message."))
    started = time.perf_counter()
    lock = f"gc:wc:lock:{sid}"
    if not rt.store.first_time(lock, LOCK_TTL):
        raise ApiError(409, _("Un message est déjà en cours. Patientez un instant."))
    try:
        entry = _converse(rt, sid, meta, lang, text, choice, start)
    except StoreUnavailable:
        raise
    except Exception:
        log.exception("web chat message failed")
        entry = {"from": "bot", "reply": text_reply(
            _("Service momentanément indisponible. Réessayez dans quelques minutes."), lang)}
    finally:
        with contextlib.suppress(StoreUnavailable):
            rt.store.put_many({lock: (None, None)})
    metrics.HOPS.labels(CHANNEL).inc()
    metrics.HOP_SECONDS.labels(CHANNEL).observe(time.perf_counter() - started)
    return jsonify(id=entry.get("id"), switch=entry.get("switch"), **entry["reply"])


def _converse(rt, sid: str, meta: dict, lang: str, text: str | None, choice: str | None,
              start: str | None) -> dict:
    """Step the dialog manager with the visitor's input; log both sides; return the bot entry."""
    manager = rt.manager
    user = meta["user"]
    conv = manager.load(CHANNEL, sid, user)
    locale = lang if lang in manager.languages else None
    known = manager.chosen_language(conv)
    said = None
    reply = None
    switched = None
    client = (request.remote_addr or "unknown")[:64]
    if locale and known and known != locale:  # the language selector: the manager's entry
        reply = manager.switch_language(conv, locale)
        switched = manager.chosen_language(conv)
    if text or choice or start:
        label = conv.edge.get("choices", {}).get(choice, choice) if choice else None
        said = {"text": text} if text else {"choice": choice, "text": label} if choice else None
        reply = manager.step(conv, Inbound(CHANNEL, user, sid, text=text, choice=choice,
                                           locale=locale, start=start, client=client,
                                           shows_later=True))
    elif reply is None:  # only a language, the one in use: show where we are
        reply = manager.show(conv) if manager.at(conv) else manager.step(
            conv, Inbound(CHANNEL, user, sid, locale=locale, start="home", shows_later=True))
    conv.edge["choices"] = {c.id: c.label for c in reply.choices}
    manager.save(conv, end=reply.end)
    chat = _log()
    if conv.user != user:  # the visitor proved a number: the session is now that number's
        chat.update_meta(sid, {"user": conv.user, "phone": True})
        meta = {**meta, "phone": True}
    ttl = _ttl()
    now = time.time()
    if said:
        chat.append(sid, {"from": "user", **said, "at": now}, ttl)
    entry = {"from": "bot", "reply": reply_json(reply, sms=meta.get("phone", False)), "at": now}
    if switched and not said:
        # Only the language changed: the widget shows the buttons in it and a note, not the
        # menu again as a new bubble under the answer the visitor was reading (nor on reload).
        entry["switch"] = switched
    if reply.parts or reply.choices or reply.error:
        entry["id"] = chat.append(sid, entry, ttl)
    return entry


@bp.get("/sessions/<sid>/history")
def history(sid: str):
    if not SID.match(sid):
        raise ApiError(404, "session expired")
    meta = _session(sid)
    entries = _log().since(sid, 0)
    return jsonify(entries=entries, last_id=max((e["id"] for e in entries), default=0),
                   lang=meta.get("lang"))


@bp.get("/widget.js")
def widget():
    response = send_from_directory(STATIC, "widget.js", mimetype="text/javascript",
                                   max_age=WIDGET_MAX_AGE)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/config")
def config():
    """Languages, labels, and whether the asking page may chat (see the module docstring)."""
    rt = _rt()
    origin = request.headers.get("Origin")
    allowed = not origin or _origin_allowed(origin)
    if not allowed:
        _refuse(origin or "")
    body = widget_config(rt.manager.languages, rt.manager.default_lang)
    response = jsonify(origin_allowed=allowed, **body)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- for other code: agents, background work --------------------------------------------------


def push(session_id: str, reply_or_text: Reply | str, *, rt, sender: str = "agent",
         lang: str | None = None) -> int | None:
    """Deliver a message to a web chat session after the fact (an agent, a background result).

    The message joins the session's history and reaches the open event streams.  Returns the
    entry id, or None when the session is unknown or expired.  Works from any process that has
    the same ``REDIS_URL`` (in embedded mode: from this process).  ``rt`` is the running
    app's runtime (its settings say where the chat logs are): no module keeps one.
    """
    return push_to(chat_log(rt.settings.redis_url), rt.settings.chat_session_ttl, session_id,
                   reply_or_text, sender=sender, lang=lang)


def push_to(chat: ChatLog, ttl: int, session_id: str, reply_or_text: Reply | str, *,
            sender: str = "agent", lang: str | None = None) -> int | None:
    """:func:`push` into ``chat``; raises :class:`StoreUnavailable` when the store is down."""
    if not isinstance(session_id, str) or not SID.match(session_id):
        return None
    meta = chat.meta(session_id)
    if meta is None:
        return None
    if isinstance(reply_or_text, Reply):
        data = reply_json(reply_or_text, sms=meta.get("phone", False))
    else:
        text = str(reply_or_text).strip()[:4096]
        if not text:
            return None
        data = text_reply(text, lang or meta.get("lang") or "fr")
    return chat.append(session_id, {"from": sender, "live": True, "reply": data,
                                    "at": time.time()}, ttl)

