"""The agent console, ``/agent/``: queue, take-over, transcript, reply, transfer, hand back.

Server-rendered pages with a little plain JavaScript (``static/console.js``): the queue and an
open conversation update live by server-sent events (``/agent/events``), falling back to
polling ``/agent/updates.json`` when a stream cannot be had.  Every POST carries the session's
CSRF token; every page but the login needs a logged-in agent; the supervisor pages and the
``all`` view need a supervisor.  Forms answer with a redirect, or JSON when asked for JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from channels.agent import auth
from channels.agent.texts import canned
from dialogs.desk import Conv, DeskError, HandoffDesk
from dialogs.desk.records import MAX_ID
from dialogs.sender import Outgoing

log = logging.getLogger(__name__)

bp = Blueprint("agent", __name__, url_prefix="/agent", template_folder="templates",
               static_folder="static", static_url_path="/static")

VIEWS = ("waiting", "mine", "callbacks", "all")
PASSIVE = ("agent.events", "agent.updates", "agent.static")
"""Requests that do not count as the agent doing something (session idle time goes on)."""
PUBLIC = ("agent.login", "agent.static")


def _rt():
    return current_app.extensions["guichet"]


def _desk() -> HandoffDesk:
    desk = _rt().desk
    if desk is None:
        abort(503)
    return desk


def _agent_time(value: dt.datetime | None) -> str:
    """A time as the office reads it (its own zone), for pages and JSON alike."""
    if value is None:
        return ""
    return _desk().office.local(value).strftime("%d/%m %H:%M")


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def _ip() -> str | None:
    return request.remote_addr


@bp.before_request
def _guard():
    if request.method == "POST" and not auth.csrf_ok():
        log.warning("agent console: CSRF token missing or wrong", extra={"path": request.path})
        if _wants_json() or request.endpoint != "agent.login":
            return jsonify(error="CSRF token missing or invalid: reload the page"), 400
        return _login_page("Le formulaire a expiré : recommencez.", 400)
    if request.endpoint in PUBLIC:
        return None
    settings = _rt().settings
    desk = _desk()
    agent, expired = auth.current(desk.accounts, settings.agent_session_minutes,
                                  touch=request.endpoint not in PASSIVE)
    if agent is None:
        if expired:
            desk.audit(None, "session_expired", ip=_ip())
        if _wants_json() or request.endpoint in PASSIVE:
            return jsonify(error="login required", expired=expired), 401
        return redirect(url_for("agent.login", expired=1 if expired else None,
                                next=request.full_path if request.method == "GET" else None))
    g.agent = agent
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    return response


def supervisor_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.agent.is_supervisor:
            if _wants_json():
                return jsonify(error="supervisors only"), 403
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.errorhandler(DeskError)
def _desk_error(exc: DeskError):
    if _wants_json():
        return jsonify(error=str(exc)), exc.status
    flash(str(exc), "error")
    return redirect(request.referrer or url_for("agent.queue")), 303


@bp.errorhandler(429)
def _throttled(_error):
    """Too many login attempts (Flask-Limiter, before any password is checked)."""
    message = ("Trop de tentatives de connexion depuis ce poste ou sur le service : "
               "patientez une minute puis réessayez.")
    if _wants_json():
        response = jsonify(error=message, problem="throttled")
    else:
        response = render_template("agent/login.html", error=message, expired=False,
                                   login=request.form.get("login", ""))
    return response, 429, {"Retry-After": "60"}


@bp.errorhandler(403)
def _forbidden(_error):
    if _wants_json():
        return jsonify(error="forbidden"), 403
    return render_template("agent/message.html", title="Accès refusé",
                           message="Cette page est réservée aux superviseurs."), 403


def _done(message: str, target: str, **data):
    if _wants_json():
        return jsonify(ok=True, message=message, **data)
    flash(message, "info")
    return redirect(target, 303)


# -- login ---------------------------------------------------------------------------------


def _login_page(error: str | None = None, status: int = 200, login: str = ""):
    expired = request.args.get("expired") == "1"
    return render_template("agent/login.html", error=error, expired=expired, login=login), status


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/agent/") and not target.startswith("//"):
        return target
    return url_for("agent.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return _login_page()
    desk = _desk()
    result = desk.accounts.authenticate(request.form.get("login", ""),
                                        request.form.get("password", ""), ip=_ip())
    if result.agent is None:
        message = {
            "locked": "Compte verrouillé après trop d'essais : réessayez plus tard ou "
                      "demandez à un superviseur.",
            "disabled": "Ce compte est désactivé.",
        }.get(result.problem or "", "Identifiant ou mot de passe incorrect.")
        if _wants_json():
            return jsonify(error=message, problem=result.problem), 401
        return _login_page(message, 401, request.form.get("login", ""))
    auth.log_in(desk.accounts, result.agent)
    if _wants_json():
        return jsonify(ok=True, agent=result.agent.login, role=result.agent.role,
                       csrf_token=auth.csrf_token())
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.post("/logout")
def logout():
    desk = _desk()
    desk.audit(g.agent, "logout", ip=_ip())
    auth.log_out(desk.accounts)
    return redirect(url_for("agent.login"), 303)


# -- queue ---------------------------------------------------------------------------------


def _view() -> str:
    view = request.args.get("view", "waiting")
    if view not in VIEWS:
        abort(404)
    if view == "all" and not g.agent.is_supervisor:
        abort(403)
    return view


def _queue_items(desk: HandoffDesk, view: str):
    if view == "callbacks":
        return desk.callbacks(g.agent)
    return desk.queue(g.agent, view)


def _queue_json(desk: HandoffDesk, view: str) -> list[dict]:
    now = desk.clock()
    if view == "callbacks":
        return [{"id": c["id"], "phone": c["phone"], "slot": c["slot"], "lang": c["lang"],
                 "topic": c["topic"], "status": c["status"], "agent": c["agent_name"],
                 "created_at": c["created_at"].isoformat()} for c in desk.callbacks(g.agent)]
    return [_conv_json(c, now) for c in desk.queue(g.agent, view)]


def _conv_json(conv: Conv, now: dt.datetime) -> dict:
    return {"id": conv.id, "channel": conv.channel, "user": conv.user, "lang": conv.lang,
            "topic": conv.topic, "reason": conv.reason, "status": conv.status,
            "agent": conv.agent_name, "waited": conv.waited(now),
            "created_at": conv.created_at.isoformat(), "last_text": conv.last_text}


@bp.get("/")
def index():
    return redirect(url_for("agent.queue"))


@bp.get("/queue")
def queue():
    desk = _desk()
    view = _view()
    desk.accounts.seen(g.agent.id)
    return render_template("agent/queue.html", view=view, items=_queue_items(desk, view),
                           counts=desk.counts(g.agent), now=desk.clock())


@bp.get("/queue.json")
def queue_json():
    desk = _desk()
    view = _view()
    return jsonify(view=view, items=_queue_json(desk, view), counts=desk.counts(g.agent))


@bp.post("/next")
def take_next():
    conv = _desk().take_next(g.agent)
    if conv is None:
        raise DeskError("nobody is waiting for you", 404)
    return _done("Conversation prise.", url_for("agent.conversation", conv_id=conv.id),
                 id=conv.id)


# -- one conversation ----------------------------------------------------------------------


def _visible(desk: HandoffDesk, conv_id: int) -> Conv:
    conv = desk.conversation(conv_id)
    if conv is None:
        abort(404)
    if not desk.visible(g.agent, conv):
        abort(403)
    return conv


PORTAL_NOTES = {
    "no_phone": "Pas de numéro de téléphone connu pour ce citoyen.",
    "unavailable": "Le portail ne répond pas : demandes indisponibles pour le moment.",
}


def _portal_requests(desk: HandoffDesk, user: str) -> tuple[list, str | None]:
    """The citizen's requests on the portal, through the desk; a note when there are none."""
    requests_, note = desk.requests_of(user)
    return requests_, PORTAL_NOTES.get(note) if note else None


@bp.get(f"/c/<int(max={MAX_ID}):conv_id>")
def conversation(conv_id: int):
    desk = _desk()
    conv = _visible(desk, conv_id)
    transcript = desk.transcript(conv, g.agent)
    requests_, portal_note = _portal_requests(desk, conv.user)
    colleagues = [a for a in desk.accounts.all() if a.active and a.id != conv.agent_id]
    answers = [{"title": a["title"], "text": a["text"].replace("{agent}", g.agent.display_name)}
               for a in canned(conv.lang)]
    return render_template(
        "agent/conversation.html", conv=conv, transcript=transcript, requests=requests_,
        window_closed=_window_closed(conv),
        portal_note=portal_note, colleagues=colleagues, canned=answers, now=desk.clock(),
        last_id=max((m["id"] for m in transcript), default=0),
        can_act=conv.status == "active" and (conv.agent_id == g.agent.id
                                             or g.agent.is_supervisor),
        counts=desk.counts(g.agent))


@bp.get(f"/c/<int(max={MAX_ID}):conv_id>.json")
def conversation_json(conv_id: int):
    desk = _desk()
    conv = _visible(desk, conv_id)
    transcript = desk.transcript(conv, g.agent)
    requests_, portal_note = _portal_requests(desk, conv.user)
    return jsonify(conversation=_conv_json(conv, desk.clock()),
                   messages=[_message_json(m) for m in transcript],
                   requests=[{"reference": r.reference, "procedure": r.procedure,
                              "status": r.status,
                              "updated_at": r.updated_at} for r in requests_],
                   portal_note=portal_note,
                   canned=canned(conv.lang))


def _message_json(m: dict) -> dict:
    return {"id": m["id"], "direction": m["direction"], "text": m["text"],
            "intent": m["intent"], "procedure": m["procedure"], "lang": m["lang"],
            "channel": m["channel"], "agent": m["agent_name"], "this": m["this"],
            "at": m["at"].isoformat(), "time": _agent_time(m["at"])}


@bp.post(f"/c/<int(max={MAX_ID}):conv_id>/take")
def take(conv_id: int):
    conv = _desk().take(conv_id, g.agent)
    return _done("Conversation prise.", url_for("agent.conversation", conv_id=conv.id),
                 id=conv.id)


@bp.post(f"/c/<int(max={MAX_ID}):conv_id>/reply")
def reply(conv_id: int):
    text = request.form.get("text") or _json_field("text")
    if not isinstance(text, str):
        raise DeskError("text: expected a string", 400)
    message_id = _desk().reply(conv_id, g.agent, text)
    return _done("Message envoyé.", url_for("agent.conversation", conv_id=conv_id),
                 message_id=message_id)


def _window_closed(conv: Conv) -> bool:
    """A WhatsApp citizen who has not written for 24 hours: Meta takes only a template."""
    is_open = current_app.extensions.get("whatsapp_window")
    return conv.channel == "whatsapp" and is_open is not None \
        and not is_open(conv.user.lstrip("+"))


@bp.post(f"/c/<int(max={MAX_ID}):conv_id>/reopen")
def reopen(conv_id: int):
    """Send the approved "a reply is waiting" template, so the citizen writes and the window
    opens again; at most once an hour per conversation (the outbox key)."""
    desk = _desk()
    conv = _visible(desk, conv_id)
    if conv.status != "active" or (conv.agent_id != g.agent.id and not g.agent.is_supervisor):
        raise DeskError("not your conversation", 403)
    if conv.channel != "whatsapp":
        raise DeskError("only a WhatsApp conversation has a window to reopen", 400)
    hour = int(desk.clock().timestamp() // 3600)
    status = desk.senders.send(Outgoing("whatsapp", conv.user, "", conv.lang,
                                        f"agent:reopen:{conv.id}:{hour}", author="agent",
                                        template=("reopen", ())))
    return _done("Modèle envoyé : la réponse partira quand le citoyen aura répondu."
                 if status == "queued_template" else "La fenêtre est ouverte : répondez.",
                 url_for("agent.conversation", conv_id=conv_id), status=status)


@bp.post(f"/c/<int(max={MAX_ID}):conv_id>/transfer")
def transfer(conv_id: int):
    target = request.form.get("to") or _json_field("to")
    to = None if str(target) in ("", "queue") else _int(target)
    conv = _desk().transfer(conv_id, g.agent, to)
    who = (conv.agent_name or "la file d'attente").rstrip(".")  # "Kofi A." ends a sentence once
    return _done(f"Conversation transférée à {who}.", url_for("agent.queue"), id=conv.id)


@bp.post(f"/c/<int(max={MAX_ID}):conv_id>/close")
def close(conv_id: int):
    _desk().close(conv_id, g.agent)
    return _done("Conversation rendue à l'assistant ; le citoyen est prévenu.",
                 url_for("agent.queue"), id=conv_id)


def _int(value) -> int:
    """A record id from a form or JSON; one the database cannot hold is refused, not a 500."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DeskError("expected a number", 400) from None
    if not 0 < number <= MAX_ID:
        raise DeskError("no such record", 400)
    return number


def _json_field(name: str):
    """A field of a JSON body; a body that is not an object is the client's error (400)."""
    if not request.is_json:
        return ""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DeskError("expected a JSON object", 400)
    return body.get(name, "")


# -- callbacks -----------------------------------------------------------------------------


@bp.post(f"/callbacks/<int(max={MAX_ID}):callback_id>/take")
def take_callback(callback_id: int):
    _desk().take_callback(callback_id, g.agent)
    return _done("Rappel pris.", url_for("agent.queue", view="callbacks"))


@bp.post(f"/callbacks/<int(max={MAX_ID}):callback_id>/done")
def finish_callback(callback_id: int):
    status = request.form.get("status", "done")
    _desk().finish_callback(callback_id, g.agent, request.form.get("note", ""), status)
    return _done("Rappel clos.", url_for("agent.queue", view="callbacks"))


# -- supervisors ---------------------------------------------------------------------------


@bp.get("/supervisor")
@supervisor_only
def supervisor():
    desk = _desk()
    return render_template("agent/supervisor.html", stats=desk.stats(),
                           counts=desk.counts(g.agent))


@bp.get("/supervisor.json")
@supervisor_only
def supervisor_json():
    return jsonify(_desk().stats())


@bp.get("/audit")
@supervisor_only
def audit_log():
    desk = _desk()
    return render_template("agent/audit.html", entries=desk.audit_log(300),
                           counts=desk.counts(g.agent))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    """A cell a spreadsheet shows as text, never runs: a citizen's ``=HYPERLINK(...)`` gets a
    leading quote (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@bp.get("/export.csv")
@supervisor_only
def export():
    desk = _desk()
    days = max(1, min(request.args.get("days", 30, type=int), 3650))
    rows = desk.export(days)
    desk.audit(g.agent, "export", f"transcripts:{days}d", f"rows={len(rows)}", ip=_ip())
    out = io.StringIO()
    fields = ["at", "conversation", "channel", "user", "direction", "lang", "intent",
              "procedure", "text", "satisfaction"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows({k: _inert(v) for k, v in row.items()} for row in rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=transcripts-{days}d.csv"})

