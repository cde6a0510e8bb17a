"""Property-based fuzz of every endpoint: whatever arrives, the answer is never a 5xx.

The endpoints come from ``app.url_map``, so a new one is fuzzed without touching this file;
only streams are skipped (:data:`STREAMS`, with the reason).  Each gets form fields, query
strings, JSON bodies (deep nesting, non-objects, huge strings, unicode, nulls), raw bytes and
headers, as an anonymous caller and as a signed-in one (a web chat token, an agent session with
its CSRF token, Meta's signature), against real Redis, the sandbox portal and the fake Africa's
Talking.  ``/ussd`` must also answer 200 ``text/plain`` ``CON``/``END`` on every hop, including
whole sessions of junk.  Bounded for CI: :data:`EXAMPLES` per endpoint, no shrinking (the
failing request is printed as generated).
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from channels.gsm7 import is_gsm7
from channels.portal_events.signature import sign as portal_sign
from channels.whatsapp.signature import sign
from tests.callers import agent_console, webchat_visitor

APP_SECRET = "fuzz-app-secret"
VERIFY_TOKEN = "fuzz-verify-token"
PORTAL_SECRET = "fuzz-portal-webhook-secret"
EXAMPLES = 35
"""Examples per endpoint and method: the whole fuzz stays under 30 s on two cores."""
OPTIONS_EXAMPLES = 10
"""``OPTIONS`` is Flask's automatic answer on most paths (the web chat's CORS preflight aside)."""
STREAMS = {
    "webchat.events": "server-sent events: a signed-in call holds the connection for minutes",
    "agent.events": "server-sent events for the console: holds the connection open",
}
FIELDS = ["text", "lang", "choice", "start", "phone", "type", "sessionId", "serviceCode",
          "phoneNumber", "networkCode", "hopsCount", "status", "id", "from", "to", "date",
          "linkId", "failureReason", "retryCount", "hub.mode", "hub.verify_token",
          "hub.challenge", "channel", "limit", "login", "password", "csrf_token", "next",
          "note", "days", "view", "after", "conversation", "expired", "slot", "token"]
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck))

# -- what arrives ------------------------------------------------------------------------------

SPECIAL = st.sampled_from(["", " ", "\x00", "null", "0", "00", "98", "99", "*", "#", "x*1",
                           "1*x*1", "*202*x#", "-1", "9" * 30, "1e999", "NaN", "é" * 3,
                           "😀", "ɖɔ ẹ", "\u202e", "<script>", "' OR 1=1 --", "../../etc",
                           "x" * 5000])
TEXT = st.one_of(SPECIAL, st.text(max_size=40))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
JSON_VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(FIELDS), TEXT),
                                                 inner, max_size=4)), max_leaves=12)
JSON_OBJECT = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUE, max_size=6)


def _deep(n: int, kind: str) -> bytes:
    return (b"[" * n + b"]" * n) if kind == "list" else (b'{"text":' * n + b"1" + b"}" * n)


RAW = st.one_of(
    st.binary(max_size=200),
    st.builds(_deep, st.integers(1, 20_000), st.sampled_from(["list", "object"])),
    st.just(b"\xff\xfe\x00"), st.just(b'"' + b"x" * 200_000 + b'"'),
)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Accept-Language", "Authorization", "Origin", "Last-Event-ID",
                     "X-Hub-Signature-256", "X-CSRF-Token", "X-Forwarded-For", "Cookie",
                     "If-None-Match", "Range", "User-Agent"]),
    HEADER_TEXT, max_size=4)
CONTENT_TYPES = st.sampled_from(["application/json", "application/x-www-form-urlencoded",
                                 "text/plain", "multipart/form-data", "application/json; "
                                 "charset=latin-1", "", "application/xml"])


@st.composite
def requests_(draw, needs_identity: bool) -> dict:
    """One request: a body of some kind, a query string, headers, and who sends it."""
    kind = draw(st.sampled_from(["none", "form", "json", "raw"]))
    request: dict = {"query": draw(st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=4)),
                     "headers": draw(HEADERS), "signed_in": needs_identity and draw(
                         st.booleans())}
    if kind == "form":
        request["data"] = draw(st.dictionaries(st.sampled_from(FIELDS), TEXT, max_size=6))
    elif kind == "json":
        value = draw(st.one_of(JSON_OBJECT, JSON_VALUE))
        request["data"] = json.dumps(value).encode()
        request["content_type"] = "application/json"
    elif kind == "raw":
        request["data"] = draw(RAW)
        request["content_type"] = draw(CONTENT_TYPES)
    return request


def _path(rule: str, draw_value, real: dict[str, str]) -> str:
    """The rule with its variables filled: a real id when one is known, else fuzz."""
    def fill(match: re.Match) -> str:
        converter, name = match.group(1) or "string", match.group(2)
        value = draw_value(converter, name, real)
        return quote(value, safe="/" if converter == "path" else "")
    return PARAM.sub(fill, rule)


# -- the app -----------------------------------------------------------------------------------


@pytest.fixture
def fuzz_app(make_app, redis_url, at_fake):
    fake, url = at_fake
    return make_app(REDIS_URL=redis_url, AT_USERNAME=fake.username, AT_API_KEY=fake.api_key,
                    AT_API_URL=url, WHATSAPP_APP_SECRET=APP_SECRET,
                    WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN, SIMULATOR_ENABLED="true",
                    PORTAL_WEBHOOK_SECRET=PORTAL_SECRET, PORTAL_POLL_SECONDS="0")


def _check_ussd(method: str, path: str, response) -> None:
    """What Africa's Talking posts to ``/ussd`` always gets a screen back."""
    if method != "POST" or path.split("?")[0] != "/ussd":
        return
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain", body[:200]
    assert body.startswith(("CON ", "END ")), body[:200]
    assert "momentanément indisponible" not in body, "a hop failed and apologised"


class Callers:
    """Who may call: anyone, a signed-in web chat visitor, a signed-in agent, Meta."""

    def __init__(self, app) -> None:
        self.anonymous = app.test_client()
        self.console, self.csrf = agent_console(app)
        self.visitor = app.test_client()
        sid, self.bearer = webchat_visitor(self.visitor)
        self.real = {"sid": sid}

    def client_for(self, prefix: str, request: dict) -> tuple[object, dict]:
        headers = dict(request["headers"])
        if not request["signed_in"]:
            return self.anonymous, headers
        if prefix == "agent":
            return self.console, {**headers, **self.csrf}
        if prefix == "webchat":
            return self.visitor, {**headers, **self.bearer}
        body = request.get("data")
        if prefix == "portal":  # the portal's events, signed: the JSON checks are fuzzed
            headers["X-Portal-Signature"] = portal_sign(
                PORTAL_SECRET, body if isinstance(body, bytes) else b"")
            return self.anonymous, headers
        headers["X-Hub-Signature-256"] = sign(APP_SECRET, body if isinstance(body, bytes)
                                              else b"")
        return self.anonymous, headers


def _fuzzer(callers: Callers, rule: str, method: str):
    """A property for one endpoint and method: no 5xx, and ``/ussd`` is always a screen."""
    prefix = rule.split("/")[1]
    needs_identity = prefix in ("agent", "webchat", "whatsapp", "portal")

    @settings(FUZZ, max_examples=OPTIONS_EXAMPLES if method == "OPTIONS" else EXAMPLES)
    @given(request=requests_(needs_identity), data=st.data())
    def one(request: dict, data) -> None:
        def value(converter: str, name: str, known: dict) -> str:
            if name in known and request["signed_in"]:
                return known[name]
            if converter == "int":
                return str(data.draw(st.integers(0, 2**70)))
            return data.draw(st.text(st.characters(blacklist_characters="/",
                                                   blacklist_categories=("Cs",)),
                                     min_size=1, max_size=80))

        path = _path(rule, value, callers.real)
        client, headers = callers.client_for(prefix, request)
        kwargs = {"query_string": request["query"], "headers": headers}
        for key in ("data", "content_type"):
            if key in request:
                kwargs[key] = request[key]
        response = client.open(path, method=method, **kwargs)
        assert response.status_code < 500, (
            f"{method} {path} -> {response.status_code}: "
            f"{response.get_data(as_text=True)[:200]}")
        _check_ussd(method, path, response)

    return one


def test_no_endpoint_answers_5xx_whatever_it_is_sent(fuzz_app):
    started = time.monotonic()
    callers = Callers(fuzz_app)
    endpoints = sorted({(rule.rule, method) for rule in fuzz_app.url_map.iter_rules()
                        if rule.endpoint not in STREAMS for method in rule.methods - {"HEAD"}})
    failures: list[str] = []
    for rule, method in endpoints:
        try:
            _fuzzer(callers, rule, method)()
        except Exception as exc:  # noqa: BLE001 - collect every endpoint, report them all
            failures.append(f"{method} {rule}: {str(exc)[:600]}")
    elapsed = time.monotonic() - started
    print(f"fuzzed {len(endpoints)} endpoint methods x {EXAMPLES} examples in {elapsed:.1f} s")
    assert len(endpoints) >= 40
    assert not failures, "\n\n".join(failures)


USSD_INPUT = st.one_of(st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "98", "99", "0",
                                        "00", "1234567890", "25121990", "2026000001"]),
                       SPECIAL, st.text(max_size=12))


@FUZZ
@given(inputs=st.lists(USSD_INPUT, max_size=10),
       code=st.sampled_from(["*202#", "*202*1#", "*202*x*1#", "*202*3#", "*303#", "", "*202*"]),
       first=st.sampled_from(["", "1", "x*1", "3"]))
def _ussd_sessions(client, inputs: list[str], code: str, first: str) -> None:
    session = f"fuzz-{time.monotonic_ns()}"
    typed = [first] if first else []
    for hop in [None, *inputs]:
        if hop is not None:
            typed.append(hop)
        response = client.post("/ussd", data={
            "sessionId": session, "serviceCode": code, "phoneNumber": "+2290197000077",
            "networkCode": "61601", "text": "*".join(typed)})
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and response.mimetype == "text/plain"
        assert body.startswith(("CON ", "END ")), body
        assert "momentanément indisponible" not in body, (typed, body)
        assert len(body) - 4 <= 160 and is_gsm7(body[4:]), body
        if body.startswith("END "):
            break


def test_whole_ussd_sessions_of_junk_never_end_in_an_error(fuzz_app):
    _ussd_sessions(fuzz_app.test_client())


EVENT = st.fixed_dictionaries(
    {"id": st.one_of(TEXT, st.integers(), st.none()),
     "type": st.one_of(st.sampled_from(["request.status_changed", "payment.succeeded",
                                        "payment.failed"]), TEXT),
     "reference": st.one_of(st.sampled_from(["SP-2026-000001", "sp-2026-000001"]), TEXT,
                            st.integers())},
    optional={"status": st.one_of(st.sampled_from(["ready", "rejected", "in_progress"]),
                                  JSON_VALUE),
              "payment_id": JSON_VALUE, "at": JSON_VALUE, "reason": JSON_VALUE})


@FUZZ
@given(event=EVENT, twice=st.booleans())
def _portal_events(client, event: dict, twice: bool) -> None:
    body = json.dumps(event).encode()
    headers = {"X-Portal-Signature": portal_sign(PORTAL_SECRET, body),
               "Content-Type": "application/json"}
    for _ in range(2 if twice else 1):
        response = client.post("/portal/events", data=body, headers=headers)
        assert response.status_code in (200, 202, 400, 422), (event, response.status_code)


def test_signed_portal_events_of_every_shape_never_end_in_an_error(fuzz_app):
    """Events nearly right (the contract's fields with odd values), signed, sometimes twice."""
    _portal_events(fuzz_app.test_client())
