"""A loopback Africa's Talking SMS API that checks every request the way the real one does.

``POST /version1/messaging`` must carry the ``apiKey`` header, ``Accept: application/json`` and
a form with ``username``, ``to`` (comma-joined E.164 numbers), ``message`` and ``bulkSMSMode=1``.
Tests program failures per number (a recipient status code) or for the next N calls (HTTP 5xx),
and read what was "delivered".
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

STATUS_NAMES = {100: "Processed", 101: "Success", 102: "Queued", 403: "InvalidPhoneNumber",
                406: "UserInBlacklist", 500: "InternalServerError", 502: "RejectedByGateway"}


@dataclass
class FakeAfricasTalking:
    username: str = "sandbox"
    api_key: str = "test-key"
    delivered: list[dict] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    recipient_status: dict[str, int] = field(default_factory=dict)
    fail_next: int = 0
    calls: int = 0
    delay: float = 0.0
    """Seconds to hold each request after counting it (a slow provider, a send in flight)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask("fake-africastalking")

        @app.post("/version1/messaging")
        def messaging():
            if self.delay:
                with self.lock:
                    self.calls += 1
                time.sleep(self.delay)
            with self.lock:
                if not self.delay:
                    self.calls += 1
                problem = self._check()
                if problem:
                    self.rejected.append(problem)
                    return problem, 401 if "apiKey" in problem else 400
                if self.fail_next > 0:
                    self.fail_next -= 1
                    return "upstream error", 503
                recipients = []
                for number in request.form["to"].split(","):
                    code = self.recipient_status.get(number, 101)
                    recipient = {"statusCode": code, "number": number,
                                 "status": STATUS_NAMES.get(code, "Failed"),
                                 "cost": "XOF 20.0000" if code < 200 else "0",
                                 "messageId": f"ATXid_{uuid.uuid4().hex}" if code < 200 else "None"}
                    recipients.append(recipient)
                    if code < 200:
                        self.delivered.append({"to": number, "message": request.form["message"],
                                               "from": request.form.get("from"),
                                               "id": recipient["messageId"]})
            summary = f"Sent to {len(recipients)}/{len(recipients)}"
            return jsonify({"SMSMessageData": {"Message": summary,
                                               "Recipients": recipients}}), 201

        return app

    def _check(self) -> str | None:
        if request.headers.get("apiKey") != self.api_key:
            return "missing or wrong apiKey header"
        if "application/json" not in request.headers.get("Accept", ""):
            return "Accept must be application/json"
        if not request.content_type or "application/x-www-form-urlencoded" not in \
                request.content_type:
            return "body must be a form"
        form = request.form
        if form.get("username") != self.username:
            return "wrong username"
        if form.get("bulkSMSMode") != "1":
            return "bulkSMSMode must be 1"
        if not form.get("message"):
            return "empty message"
        numbers = (form.get("to") or "").split(",")
        if not numbers or not all(re.fullmatch(r"\+\d{8,15}", n) for n in numbers):
            return "to must be comma-joined E.164 numbers"
        return None

    def messages_to(self, number: str) -> list[str]:
        with self.lock:
            return [d["message"] for d in self.delivered if d["to"] == number]

