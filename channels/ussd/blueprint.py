"""Africa's Talking USSD callback: ``POST /ussd`` answers ``CON``/``END`` screens.

The adapter reads only the new input of each hop, maps numbers to the choices it showed, pages
long replies, and keeps what it needs (previous ``text``, pages, numbering) in the conversation's
``edge`` so a hop costs one read and one write of the session store.  Whatever happens, the
gateway gets a 200 ``text/plain`` ``CON``/``END`` body: any other answer kills the session on the
phone with a network error.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, current_app, request

from channels import metrics
from channels.gsm7 import to_gsm7
from channels.ussd.hops import new_input, shortcut
from channels.ussd.screens import BACK, HOME, MORE, render
from dialogs.i18n import N_, gettext_for
from dialogs.insights.events import Event, form_position
from dialogs.model import Conversation, Inbound, Reply
from dialogs.phones import mask, subscriber
from dialogs.store import StoreUnavailable

log = logging.getLogger(__name__)
bp = Blueprint("ussd", __name__)
MAX_INPUT = 200
"""Longest input read from one hop: nothing in Guichet needs more, a flood is cut."""


def _plain(body: str) -> Response:
    return Response(body, status=200, mimetype="text/plain")


def _apology(lang: str = "fr") -> str:
    _ = gettext_for(lang)
    return "END " + _("Service momentanément indisponible. Réessayez dans quelques minutes.")


@bp.post("/ussd")
def callback() -> Response:
    started = time.perf_counter()
    form = request.form
    session_id = (form.get("sessionId") or "").strip()[:128]
    phone = (form.get("phoneNumber") or "").strip()
    text = form.get("text") or ""
    service_code = form.get("serviceCode") or ""
    rt = current_app.extensions["guichet"]
    user = subscriber(phone, rt.settings.default_region)
    try:
        if not session_id or user is None:
            log.warning("ussd hop without a session or a valid phone",
                        extra={"phone": mask(phone)})
            body = "END " + gettext_for("fr")("Requête invalide.")
        else:
            body = _hop(rt, session_id, user, text, service_code)
    except StoreUnavailable:
        log.error("ussd hop: session store unavailable")
        body = _apology()
    except Exception:
        log.exception("ussd hop failed")
        body = _apology()
    metrics.HOPS.labels("ussd").inc()
    metrics.HOP_SECONDS.labels("ussd").observe(time.perf_counter() - started)
    return _plain(body)


def _hop(rt, session_id: str, user: str, text: str, service_code: str) -> str:
    manager = rt.manager
    conv = manager.load("ussd", session_id, user)
    edge = conv.edge
    max_len = rt.settings.ussd_screen_max
    if conv.is_new:
        typed = [s for s in text.split("*") if s] if text else []
        # A first hop's text is empty or the one entry of a shortcut.  More than one entry on a
        # session we hold nothing for means the store lost it mid-call (flushed, expired):
        # replaying those inputs from home would pick what the caller never saw.
        lost = len(typed) > 1
        steps = [] if lost else shortcut(service_code, rt.settings.ussd_service_code) + typed
        if lost:
            log.warning("ussd session lost by the store: starting again at home",
                        extra={"entries": len(typed)})
        if steps or lost:
            manager.assume_default_language(conv)  # a shortcut skips the language screen
        reply = manager.step(conv, _inbound(user, session_id,
                                            start="home" if steps or lost else None))
        body = _show(conv, reply, max_len)
        if lost:
            body = _reshow(conv, max_len, _LOST)
        for step in steps[:6]:
            if body.startswith("END "):
                break
            moved, body = _apply(rt, conv, step)
            if not moved:  # junk in the shortcut: stop there, on the screen it was typed on
                break
    elif text == edge.get("text") and edge.get("body"):
        return edge["body"]  # the gateway repeated a hop: answer it the same way
    else:
        _moved, body = _apply(rt, conv, new_input(text, edge.get("text")))
    edge["text"] = text
    edge["body"] = body
    manager.save(conv, end=body.startswith("END "))
    return body


def _inbound(user: str, session: str, *, text: str | None = None, choice: str | None = None,
             start: str | None = None) -> Inbound:
    """An input from a USSD session: it cannot wait in the agents' queue (a hand-off leaves a
    callback request), its hops are not kept for an agent, and its screen is small."""
    return Inbound("ussd", user, session, text=text, choice=choice, start=start, can_wait=False,
                   compact=True)


def _show(conv: Conversation, reply: Reply, max_len: int, page: int = 0) -> str:
    screens = render(reply, max_len)
    page = min(page, len(screens.pages) - 1)
    conv.edge.pop("numbers", None)  # kept by older releases for the whole reply
    conv.edge.update(
        pages=screens.pages, page=page, page_numbers=screens.page_numbers,
        expects=reply.expects, navigable=reply.navigable, lang=reply.lang,
        at=conv.state.get("at"),
    )
    return ("END " if screens.end else "CON ") + screens.pages[page]


def _shown_numbers(edge: dict, page: int) -> dict[str, str]:
    """The numbers printed on ``page`` and the choice each stands for."""
    per_page = edge.get("page_numbers")
    if per_page is None:  # a session saved by an older release: its numbers for every page
        return edge.get("numbers", {})
    return per_page[page] if 0 <= page < len(per_page) else {}


def _apply(rt, conv: Conversation, raw: str) -> tuple[bool, str]:
    """Apply one input typed on the phone: ``(True, next screen)``, or ``(False, the same page
    with a short reason)`` when the page on the phone does not offer it.

    A page accepts only the choices it prints, plus the keys that only move: ``98`` when a
    page follows, ``0`` for the page before (back on the first page) and ``00`` home, as
    everywhere in the service.  On a question that expects text, anything else is the answer.
    """
    edge = conv.edge
    max_len = rt.settings.ussd_screen_max
    raw = raw.strip()[:MAX_INPUT]
    page, pages = edge.get("page", 0), edge.get("pages") or [""]
    last = page + 1 >= len(pages)
    if raw == MORE and not last:
        edge["page"] = page + 1
        return True, "CON " + pages[page + 1]
    if raw == BACK and page > 0:
        edge["page"] = page - 1
        return True, "CON " + pages[page - 1]
    shown = _shown_numbers(edge, page)
    if raw in shown:
        inbound = _inbound(conv.user, conv.session, choice=shown[raw])
    elif raw in (BACK, HOME) and edge.get("navigable", True):
        inbound = _inbound(conv.user, conv.session,
                           choice="nav:back" if raw == BACK else "nav:home")
    elif edge.get("expects") == "text" or (raw.isdigit() and edge.get("at") == "home"):
        # on the main menu, a number it does not print may be a short code the portal
        # publishes ("12" opens its procedure): the dialog says whether it is one
        inbound = _inbound(conv.user, conv.session, text=raw)
    else:
        return False, _reshow(conv, max_len, _NOT_SHOWN if raw.isdigit() else _NOT_A_NUMBER)
    reply = rt.manager.step(conv, inbound)
    return True, _show(conv, reply, max_len)


_NOT_A_NUMBER = N_("Choix invalide. Tapez un numéro.")
_NOT_SHOWN = N_("Choix invalide.")
_LOST = N_("Session interrompue. Voici le menu.")
"""Reasons shown above a page shown again, translated when shown."""


def _reshow(conv: Conversation, max_len: int, reason: str) -> str:
    """The same page again under a short reason (junk, a number this page does not show)."""
    lang = conv.edge.get("lang", "fr")
    reason = to_gsm7(gettext_for(lang)(reason), lang)
    lines = conv.edge["pages"][conv.edge.get("page", 0)].split("\n")
    while lines and len("\n".join([reason] + lines)) > max_len:
        lines.pop(0)  # drop text the citizen has already read; keep the options
    return "CON " + "\n".join([reason] + lines)


def _record_end(rt, conv: Conversation, status: str) -> None:
    """The session's end for the insights: where it stopped (an e-service form step without
    submission is an abandonment at that step)."""
    recorder = rt.manager.events
    if recorder is None:
        return
    try:
        eservice, step, step_no = form_position(rt.manager, conv)
        recorder.record(Event(channel="ussd", lang=rt.manager.lang(conv), kind="end",
                              session=conv.session, at=time.time(), state=conv.state.get("at"),
                              eservice=eservice, step=step, step_no=step_no,
                              outcome="abandoned" if eservice else status))
    except Exception:  # the notification is answered 200 whatever happens
        log.exception("could not record the end of a USSD session")


@bp.post("/ussd/events")
def events() -> Response:
    """End-of-session notification: count how sessions end, and on which screen."""
    form = request.form
    status = (form.get("status") or "unknown").strip().lower()[:20]
    if status not in ("success", "incomplete", "failed"):
        status = "other"
    screen = "unknown"
    session_id = (form.get("sessionId") or "").strip()[:128]
    user = subscriber(form.get("phoneNumber") or "")
    rt = current_app.extensions["guichet"]
    if session_id and user:
        try:
            conv = rt.manager.load("ussd", session_id, user)
            screen = str(conv.edge.get("at") or ("ended" if conv.is_new else "unknown"))
            if not conv.is_new:
                _record_end(rt, conv, status)
        except StoreUnavailable:
            pass
    metrics.USSD_SESSIONS.labels(status=status, screen=screen).inc()
    log.info("ussd session ended", extra={"status": status, "screen": screen,
                                          "hops": form.get("hopsCount")})
    return Response("OK", status=200, mimetype="text/plain")
