"""A loopback WhatsApp Cloud API (Graph API) that checks every send the way Meta does.

``POST /<version>/<phone-number-id>/messages`` must carry ``Authorization: Bearer <token>`` and a
JSON body with ``messaging_product: whatsapp``, ``recipient_type: individual``, ``to`` (digits,
no ``+``) and a ``text`` or ``interactive`` message within Meta's limits: text body <= 4096;
interactive body <= 1024; 1 to 3 reply buttons, titles <= 20 and unique, ids unique; a list with
a button label <= 20, section titles <= 24, 1 to 10 rows in all, row titles <= 24, descriptions
<= 72, row ids unique.  A request that breaks a rule gets Meta's error 100 and is kept in
``rejected``.  Tests program Meta's errors (131047 outside the window, 130429 rate limit, 131026
undeliverable, 190 expired token) and read what was "delivered".
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

ERROR_TITLES = {
    100: "Invalid parameter",
    132000: "Number of parameters does not match the expected number of params",
    132001: "Template name does not exist in the translation",
    132015: "Template is paused",
    132018: "There was an issue with the parameters in your template",
    130429: "Rate limit hit",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    190: "Error validating access token: Session has expired",
}


@dataclass
class FakeGraphApi:
    token: str = "test-wa-token"
    phone_number_id: str = "106540352242922"
    delivered: list[dict] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    """Error codes to answer the next calls with, one per call (0: an HTTP 503 with no code)."""
    errors_for: dict[str, int] = field(default_factory=dict)
    """An error code answered for every send to this ``to`` (131047, 131026...)."""
    token_expired: bool = False
    templates: dict[tuple[str, str], int] = field(default_factory=lambda: dict(TEMPLATES))
    """Approved templates: ``(name, language code)`` -> number of body parameters."""
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask("fake-graph-api")

        @app.post("/<version>/<phone_number_id>/messages")
        def messages(version: str, phone_number_id: str):
            with self.lock:
                self.calls += 1
                auth = request.headers.get("Authorization", "")
                if self.token_expired or auth != f"Bearer {self.token}":
                    return self._error(190, 401)
                problem = self._check(phone_number_id)
                refusal = None if problem else self._template_refusal(request.get_json())
                if refusal:
                    self.rejected.append(f"template {refusal}")
                    return self._error(refusal, 400)
                if problem:
                    self.rejected.append(problem)
                    return self._error(100, 400, problem)
                if self.fail_next:
                    code = self.fail_next.pop(0)
                    if code == 0:
                        return "upstream error", 503
                    return self._error(code, 429 if code in (130429, 131056) else 400)
                body = request.get_json()
                code = self.errors_for.get(body["to"])
                if code:
                    return self._error(code, 400)
                wamid = f"wamid.{uuid.uuid4().hex}"
                self.delivered.append({"to": body["to"], "id": wamid, "message": body})
            return jsonify({"messaging_product": "whatsapp",
                            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                            "messages": [{"id": wamid}]})

        return app

    @staticmethod
    def _error(code: int, http_status: int, detail: str | None = None):
        return jsonify({"error": {"message": f"({code}) {ERROR_TITLES.get(code, 'Error')}",
                                  "type": "OAuthException", "code": code,
                                  "error_data": {"messaging_product": "whatsapp",
                                                 "details": detail or ""},
                                  "fbtrace_id": uuid.uuid4().hex[:20]}}), http_status

    def _check(self, phone_number_id: str) -> str | None:
        if phone_number_id != self.phone_number_id:
            return f"unknown phone number id {phone_number_id}"
        if "application/json" not in (request.content_type or ""):
            return "body must be JSON"
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return "body must be a JSON object"
        if body.get("messaging_product") != "whatsapp":
            return "messaging_product must be whatsapp"
        if body.get("recipient_type", "individual") != "individual":
            return "recipient_type must be individual"
        if not re.fullmatch(r"\d{8,15}", str(body.get("to", ""))):
            return "to must be the wa_id's digits, without +"
        return check_message(body)

    def _template_refusal(self, body: dict) -> int | None:
        """Meta's 132xxx error for a template it would not send, or None."""
        if body.get("type") != "template":
            return None
        template = body["template"]
        expected = self.templates.get((template["name"], template["language"]["code"]))
        if expected is None:
            return 132001
        if expected < 0:  # paused by Meta for poor quality
            return 132015
        params = [p["text"] for c in template.get("components", [])
                  if c.get("type") == "body" for p in c.get("parameters", [])]
        if len(params) != expected:
            return 132000
        if any(re.search(r"[\n\t]| {5,}", p) for p in params):
            return 132018
        return None

    def messages_to(self, wa_id: str) -> list[dict]:
        """The message objects delivered to ``wa_id``, oldest first."""
        with self.lock:
            return [d["message"] for d in self.delivered if d["to"] == wa_id]


def check_message(message: dict) -> str | None:
    """What Meta would refuse in a ``text`` or ``interactive`` message object, or None."""
    kind = message.get("type")
    if kind == "text":
        return _check_text(message.get("text"))
    if kind == "interactive":
        return _check_interactive(message.get("interactive"))
    if kind == "template":
        return _check_template(message.get("template"))
    return f"unsupported type {kind!r}"


TEMPLATES = {(name, code): params
             for code in ("fr", "en", "yo")
             for name, params in (("guichet_news", 2), ("guichet_reopen", 0))}
"""The templates Guichet's defaults name, as an operator would have had them approved."""


def _check_template(template: object) -> str | None:
    """The shape Meta requires of a template message (not whether it is approved)."""
    if not isinstance(template, dict) or _text_of(template.get("name")) is None:
        return "template.name is required"
    language = template.get("language")
    if not isinstance(language, dict) or _text_of(language.get("code")) is None:
        return "template.language.code is required"
    components = template.get("components", [])
    if not isinstance(components, list):
        return "template.components must be a list"
    for component in components:
        if not isinstance(component, dict) or component.get("type") not in (
                "header", "body", "button"):
            return "each component needs a type: header, body or button"
        for parameter in component.get("parameters", []):
            if not isinstance(parameter, dict) or parameter.get("type") != "text" \
                    or _text_of(parameter.get("text")) is None:
                return "each parameter must be {type: text, text: ...}"
            if len(parameter["text"]) > 1024:
                return "a parameter is longer than 1024"
    return None


def _text_of(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _check_text(text: object) -> str | None:
    if not isinstance(text, dict) or _text_of(text.get("body")) is None:
        return "text.body is required"
    if len(text["body"]) > 4096:
        return f"text.body is {len(text['body'])} characters (max 4096)"
    if not isinstance(text.get("preview_url", False), bool):
        return "text.preview_url must be a boolean"
    return None


def _check_interactive(interactive: object) -> str | None:
    if not isinstance(interactive, dict):
        return "interactive must be an object"
    body = interactive.get("body")
    if not isinstance(body, dict) or _text_of(body.get("text")) is None:
        return "interactive.body.text is required"
    if len(body["text"]) > 1024:
        return f"interactive.body.text is {len(body['text'])} characters (max 1024)"
    action = interactive.get("action")
    if not isinstance(action, dict):
        return "interactive.action is required"
    if interactive.get("type") == "button":
        return _check_buttons(action.get("buttons"))
    if interactive.get("type") == "list":
        return _check_list(action)
    return f"unsupported interactive type {interactive.get('type')!r}"


def _check_buttons(buttons: object) -> str | None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return "action.buttons must hold 1 to 3 buttons"
    ids, titles = set(), set()
    for button in buttons:
        reply = button.get("reply") if isinstance(button, dict) else None
        if not isinstance(reply, dict) or button.get("type") != "reply":
            return "each button must be {type: reply, reply: {id, title}}"
        title, button_id = _text_of(reply.get("title")), _text_of(reply.get("id"))
        if title is None or button_id is None:
            return "button id and title are required"
        if len(title) > 20:
            return f"button title {title!r} is longer than 20"
        if len(button_id) > 256:
            return "button id is longer than 256"
        if button_id in ids or title in titles:
            return "button ids and titles must be unique"
        ids.add(button_id)
        titles.add(title)
    return None


def _check_list(action: dict) -> str | None:
    label = _text_of(action.get("button"))
    if label is None or len(label) > 20:
        return "action.button is required, at most 20 characters"
    sections = action.get("sections")
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        return "action.sections must hold 1 to 10 sections"
    ids: set[str] = set()
    rows_in_all = 0
    for section in sections:
        if not isinstance(section, dict):
            return "each section must be an object"
        title = section.get("title")
        if (len(sections) > 1 or title is not None) and (
                _text_of(title) is None or len(title) > 24):
            return f"section title {title!r}: required with several sections, at most 24"
        rows = section.get("rows")
        if not isinstance(rows, list) or not rows:
            return "each section needs rows"
        rows_in_all += len(rows)
        for row in rows:
            if not isinstance(row, dict):
                return "each row must be an object"
            row_id, row_title = _text_of(row.get("id")), _text_of(row.get("title"))
            if row_id is None or row_title is None:
                return "row id and title are required"
            if len(row_id) > 200:
                return "row id is longer than 200"
            if len(row_title) > 24:
                return f"row title {row_title!r} is longer than 24"
            description = row.get("description")
            if description is not None and (not isinstance(description, str)
                                            or len(description) > 72):
                return f"row description {description!r} is longer than 72"
            if row_id in ids:
                return f"row id {row_id!r} is not unique"
            ids.add(row_id)
    if rows_in_all > 10:
        return f"a list holds at most 10 rows, got {rows_in_all}"
    return None

