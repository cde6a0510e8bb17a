"""Configuration, health, metrics, logs and catalogues: what operators rely on."""

from __future__ import annotations

import io
import json
import logging

import pytest
from babel.messages.pofile import read_po

from channels.config import ConfigError, Settings
from channels.logs import json_handler
from dialogs.i18n import LOCALE_DIR
from integrations.privacy import RedactingFilter


@pytest.mark.parametrize(("env", "variable"), [
    ({"PORT": "http"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"PORTAL_URL": "ftp://portal"}, "PORTAL_URL"),
    ({"XROAD_CLIENT": "BJ/GOV"}, "XROAD_CLIENT"),
    ({"XROAD_CLIENT": "BJ/GOV/123/GUICHET"}, "PORTAL_URL"),
    ({"XROAD_SERVICE": "BJ/GOV/PORTAL"}, "XROAD_SERVICE"),
    ({"AT_USERNAME": "sandbox"}, "AT_API_KEY"),
    ({"AT_API_URL": "not a url"}, "AT_API_URL"),
    ({"USSD_SERVICE_CODE": "202"}, "USSD_SERVICE_CODE"),
])
def test_a_wrong_value_names_the_variable(env, variable):
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == variable
    assert str(raised.value).startswith(variable + ":")


def test_no_configuration_means_embedded_defaults():
    settings = Settings.from_env({})
    assert settings.embedded_store and settings.portal_url is None
    assert not settings.sms_configured and settings.port == 8000


def test_health_readiness_and_metrics(app, phone):
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {
        "store": True, "portal": True, "database": True}
    phone.dial()
    phone.press("1")
    client.post("/ussd/events", data={"sessionId": phone.session, "status": "Incomplete",
                                      "phoneNumber": phone.number, "hopsCount": "2"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'guichet_hops_total{channel="ussd"}' in text
    assert "guichet_hop_seconds_bucket" in text
    assert 'guichet_ussd_sessions_ended_total{screen="home",status="incomplete"}' in text
    assert "guichet_portal_call_seconds" in text


def test_readiness_fails_when_the_portal_is_down(make_app):
    from tests.conftest import free_port

    app = make_app(PORTAL_URL=f"http://127.0.0.1:{free_port()}")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["portal"] is False


def test_logs_are_json_with_phone_numbers_and_npi_masked():
    stream = io.StringIO()
    logger = logging.getLogger("guichet.test")
    logger.addHandler(json_handler(stream))
    logger.warning("citizen %s gave NPI 1234567890 for SP-2026-000123", "+2290197000001",
                   extra={"phone": "+2290197000001"})
    line = stream.getvalue().strip().splitlines()[-1]
    record = json.loads(line)
    assert "+2290197000001" not in line and "1234567890" not in line
    assert "SP-2026-000123" in record["message"]  # a reference is not personal data
    assert record["phone"] == "+***********01"


def test_redacting_filter_masks_extra_fields():
    record = logging.makeLogRecord({"msg": "hello 97000001", "phone": "+2290197000001"})
    RedactingFilter().filter(record)
    assert "97000001" not in record.msg and "0197000" not in record.phone


def test_english_catalogue_translates_every_string():
    with open(LOCALE_DIR / "messages.pot", "rb") as pot:
        template = read_po(pot)
    with open(LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po", "rb") as po:
        english = read_po(po)
    missing = [m.id for m in template if m.id and not (english.get(m.id) and
                                                       english.get(m.id).string)]
    assert missing == []


def test_an_expired_whatsapp_token_is_a_readiness_warning_not_an_outage(app):
    from channels.whatsapp.alerts import raise_token_alert

    raise_token_alert(app.extensions["guichet"].store, "190 token expired")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json["warnings"] == ["whatsapp token expired: renew WHATSAPP_TOKEN"]


def test_every_page_gets_its_icon_not_a_404(make_app):
    """Browsers ask /favicon.ico for every page of the console, the simulator and the chat."""
    response = make_app().test_client().get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml" and response.data.startswith(b"<svg")
