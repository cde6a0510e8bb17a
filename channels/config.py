"""Configuration from the environment, checked once at start-up.

A wrong value stops the service with a message naming the variable, instead of failing later on
the first citizen who dials.  Every variable is documented in README.md and .env.example.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from channels.envparse import (  # noqa: F401 - the names callers and tests import from here
    LANGUAGES,
    OLD_DEFAULT_SECRET,
    ConfigError,
    _bool,
    _dates,
    _environment,
    _float,
    _generated_key,
    _int,
    _languages,
    _networks,
    _office_hours,
    _origins,
    _random_key,
    _rate,
    _secret_key,
    _url,
)

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_LANGUAGES = {"fr": "fr", "en": "en", "yo": "yo", "fon": "fr"}
"""Meta has no Fon: a Fon speaker's template is the French one (its parameters in Fon)."""
XROAD_ID = re.compile(r"^[^/\s]+/[^/\s]+/[^/\s]+/[^/\s]+$")
XROAD_SERVICE_ID = re.compile(r"^[^/\s]+/[^/\s]+/[^/\s]+/[^/\s]+/[^/\s]+$")
log = logging.getLogger(__name__)

DEFAULT_THREADS = 32
"""gunicorn threads per worker when ``GUNICORN_THREADS`` is unset."""


def thread_count(env: Mapping[str, str] | None = None) -> int:
    """Threads per worker: ``GUNICORN_THREADS``, else :data:`DEFAULT_THREADS`.

    gunicorn's settings and the web chat's stream pool both read it here, so the two never
    disagree (the pool takes at most half of the threads).
    """
    env = os.environ if env is None else env
    try:
        threads = int(env.get("GUNICORN_THREADS") or DEFAULT_THREADS)
    except ValueError:
        threads = DEFAULT_THREADS
    return max(1, threads)


AGENT_STREAMS_WITH_REDIS = 64
"""Console streams per process with Redis, when ``AGENT_MAX_STREAMS`` is unset: a whole shift
(40 agents) even if the workers' accept loops happen to give most of them to one process."""


def agent_stream_limit(env: Mapping[str, str] | None = None) -> int:
    """Live console screens one process serves: ``AGENT_MAX_STREAMS``, else

    - with Redis, :data:`AGENT_STREAMS_WITH_REDIS`: a stream is a thread of its own beside the
      sync hop loop (:class:`channels.serving.HopWorker`) that sleeps until the process's one
      watcher wakes it, so it costs memory, not hops;
    - embedded (one gthread worker), a quarter of ``GUNICORN_THREADS``: there a stream holds
      one of the threads the hops are served by.

    gunicorn's worker reads it too, to give the streams their threads.
    """
    env = os.environ if env is None else env
    configured = _int(env, "AGENT_MAX_STREAMS", 0, 0, 10000)
    if configured:
        return configured
    if env.get("REDIS_URL", "").strip():
        return AGENT_STREAMS_WITH_REDIS
    return max(1, thread_count(env) // 4)


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment."""

    port: int = 8000
    redis_url: str | None = None
    database_url: str = f"sqlite:///{ROOT / 'var' / 'guichet.db'}"
    secret_key: str = field(default_factory=_random_key)
    """Signs web chat tokens, agent sessions and one-time codes (see ``_secret_key``)."""
    environment: str = "development"
    """``GUICHET_ENV``: ``production`` refuses unsafe settings and turns the simulator off."""
    at_callback_token: str | None = None
    """``AT_CALLBACK_TOKEN``: when set, Africa's Talking callbacks must carry ``?token=``."""
    at_callback_networks: tuple[str, ...] = ()
    """``AT_CALLBACK_ALLOWLIST``: when set, callbacks are accepted only from these networks."""
    trusted_proxy_hops: int = 0
    """``TRUSTED_PROXY_HOPS``: reverse proxies in front of Guichet whose ``X-Forwarded-For`` is
    believed (the client address drives allow-lists and rate limits)."""
    portal_url: str | None = None
    portal_api_key: str | None = None
    xroad_client: str | None = None
    xroad_service: str = "BJ/GOV/SERVICE-PUBLIC/PORTAL/portal"
    at_username: str | None = None
    at_api_key: str | None = None
    at_sender_id: str | None = None
    at_api_url: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    rasa_url: str | None = None
    ussd_service_code: str = "*202#"
    ussd_screen_max: int = 160
    session_ttl: int = 180
    sms_session_ttl: int = 3600
    chat_session_ttl: int = 86400
    sms_max_segments: int = 3
    sms_rate_limit: int = 10
    sms_resume_after: int = 60
    """Seconds after which an incoming SMS still unanswered is queued again (the sweep)."""
    resume_window: int = 600
    default_region: str = "BJ"
    portal_timeout: float = 0.8
    sandbox_step_seconds: float = 120.0
    languages: tuple[str, ...] = LANGUAGES
    """Languages offered to citizens, in menu order (the language screen, ``LANGUE xx``)."""
    webchat_origins: tuple[str, ...] = ()
    """Origins (``https://host[:port]``) whose pages may call the web chat; empty: same origin."""
    simulator_enabled: bool = True
    office_hours: str = "mon-fri 08:00-17:30"
    """When the call-centre answers (Africa/Porto-Novo time); ``always`` for round the clock."""
    office_timezone: str = "Africa/Porto-Novo"
    office_holidays: str | None = "BJ"
    """Whose public holidays close the call-centre (``OFFICE_HOLIDAYS``; None: no holidays)."""
    office_closed_dates: tuple[dt.date, ...] = ()
    """Extra closed days (``OFFICE_CLOSED_DATES``), e.g. a holiday the government announced."""
    office_open_dates: tuple[dt.date, ...] = ()
    """Holidays on which the line opens anyway (``OFFICE_OPEN_DATES``)."""
    transcript_retention_days: int = 90
    """``RETENTION_TRANSCRIPT_DAYS`` (formerly ``TRANSCRIPT_RETENTION_DAYS``): hand-off
    transcripts and the identity on closed conversations and callbacks."""
    retention_bot_exchanges_hours: int = 24
    """Exchanges with the bot, kept in the session store in case a hand-off needs them."""
    retention_sms_inbound_days: int = 30
    retention_outbound_days: int = 30
    retention_audit_days: int = 365
    agent_session_minutes: int = 30
    """An agent's console session ends after this long without an action."""
    agent_max_failures: int = 5
    agent_lockout_minutes: int = 15
    handoff_default_minutes: float = 5.0
    """Estimated handling time per queue position until there are recent hand-offs to measure."""
    # -- web chat: proving a number by SMS code, and live streams --
    webchat_code_ttl: int = 300
    """Seconds a one-time code sent to a web visitor's phone stays valid."""
    webchat_code_attempts: int = 5
    webchat_codes_per_number: int = 3
    """Codes one number may be sent in 15 minutes."""
    webchat_codes_per_client: int = 10
    """Codes one client address may ask for in an hour."""
    webchat_max_streams: int = 0
    """Live streams one process serves; 0: half of ``GUNICORN_THREADS``."""
    agent_login_rate: str = "10/minute"
    """Login attempts one client address may make (limits' notation, e.g. ``10/minute``)."""
    agent_login_global_rate: str = "60/minute"
    """Login attempts every address together may make: bounds the CPU spent hashing passwords."""
    # -- agent console: live screens --
    agent_max_streams: int = 0
    """Live console screens one process serves (see :func:`agent_stream_limit`); beyond, the
    browser polls."""
    # -- mobile-money payments (the in-process sandbox plays the operator) --
    sandbox_payment_settle_seconds: float = 20.0
    """The in-process sandbox settles a pending payment by itself after this long, so ``make
    run`` shows the whole journey; 0: only its admin endpoint settles."""
    sandbox_payment_expire_seconds: float = 300.0
    """A payment nobody approved expires after this long in the sandbox."""
    # -- the portal's news: signed events, polling fallback, quiet hours, WhatsApp templates --
    portal_webhook_secret: str | None = None
    """``PORTAL_WEBHOOK_SECRET``: the HMAC key of ``POST /portal/events`` (required in prod)."""
    quiet_hours: str = "21:00-07:00"
    """``QUIET_HOURS``: no SMS news then (office time zone); held until they end. ``off``."""
    portal_poll_seconds: int = 60
    """``PORTAL_POLL_SECONDS``: how often the polling fallback looks (0: never)."""
    portal_poll_silence: int = 600
    """``PORTAL_POLL_SILENCE``: seconds without any event before open requests are polled."""
    portal_poll_batch: int = 50
    """``PORTAL_POLL_BATCH``: requests asked about per round (a page after the cursor)."""
    whatsapp_templates: dict[str, str] = field(
        default_factory=lambda: {"news": "guichet_news", "reopen": "guichet_reopen"})
    """``WHATSAPP_TEMPLATE_NEWS``/``WHATSAPP_TEMPLATE_REOPEN``: approved template names."""
    whatsapp_template_languages: dict[str, str] = field(
        default_factory=lambda: dict(TEMPLATE_LANGUAGES))
    """``WHATSAPP_TEMPLATE_LANGUAGES``: our language -> the template language code at Meta."""

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def embedded_store(self) -> bool:
        """True when sessions live in this process (no REDIS_URL): one worker only."""
        return self.redis_url is None

    @property
    def sms_configured(self) -> bool:
        return bool(self.at_username and self.at_api_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check the environment; raise :class:`ConfigError` naming the bad variable."""
        env = os.environ if env is None else env
        database_url = env.get("DATABASE_URL", "").strip() or cls.database_url
        if not re.match(r"^(sqlite|postgresql|postgres)(\+\w+)?://", database_url):
            raise ConfigError("DATABASE_URL",
                              f"expected sqlite:// or postgresql://, got {database_url!r}")
        xroad_client = env.get("XROAD_CLIENT", "").strip() or None
        if xroad_client and not XROAD_ID.match(xroad_client):
            raise ConfigError("XROAD_CLIENT", "expected INSTANCE/CLASS/MEMBER/SUBSYSTEM")
        xroad_service = env.get("XROAD_SERVICE", "").strip() or cls.xroad_service
        if not XROAD_SERVICE_ID.match(xroad_service):
            raise ConfigError("XROAD_SERVICE",
                              "expected INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
        portal_url = _url(env, "PORTAL_URL", ("http", "https"))
        if xroad_client and not portal_url:
            raise ConfigError("PORTAL_URL",
                              "XROAD_CLIENT is set: PORTAL_URL must name the security server")
        at_username = env.get("AT_USERNAME", "").strip() or None
        at_api_key = env.get("AT_API_KEY", "").strip() or None
        if bool(at_username) != bool(at_api_key):
            missing = "AT_API_KEY" if at_username else "AT_USERNAME"
            raise ConfigError(missing, "AT_USERNAME and AT_API_KEY go together")
        code = env.get("USSD_SERVICE_CODE", "").strip() or cls.ussd_service_code
        if not re.fullmatch(r"\*\d+(\*\d+)*#", code):
            raise ConfigError("USSD_SERVICE_CODE", f"expected a code like *202#, got {code!r}")
        region = env.get("DEFAULT_REGION", "").strip().upper() or cls.default_region
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ConfigError("DEFAULT_REGION", f"unknown region {region!r}")
        environment = _environment(env)
        production = environment == "production"
        secret = _secret_key(env, production, ROOT / "var" / "secret_key")
        live_gateway = bool(at_username) and at_username != "sandbox"
        callback_token = env.get("AT_CALLBACK_TOKEN", "").strip() or None
        if callback_token and len(callback_token) < 16:
            raise ConfigError("AT_CALLBACK_TOKEN", "must be at least 16 characters")
        callback_networks = _networks(env, "AT_CALLBACK_ALLOWLIST")
        if production and live_gateway and not (callback_token or callback_networks):
            raise ConfigError("AT_CALLBACK_TOKEN", "must be set (or AT_CALLBACK_ALLOWLIST) when "
                                                   "GUICHET_ENV=production with a live gateway: "
                                                   "anyone could post as any phone number")
        if production and not callback_token:
            log.warning("AT_CALLBACK_TOKEN is unset: USSD and SMS callbacks are not authenticated")
        office_hours, office_timezone, office_holidays = _office_hours(env)
        return cls(
            agent_login_rate=_rate(env, "AGENT_LOGIN_RATE", cls.agent_login_rate),
            agent_login_global_rate=_rate(env, "AGENT_LOGIN_GLOBAL_RATE",
                                          cls.agent_login_global_rate),
            port=_int(env, "PORT", 8000, 1, 65535),
            redis_url=_url(env, "REDIS_URL", ("redis", "rediss", "unix")),
            database_url=database_url,
            secret_key=secret,
            environment=environment,
            at_callback_token=callback_token,
            at_callback_networks=callback_networks,
            trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0, 0, 5),
            portal_url=portal_url,
            portal_api_key=env.get("PORTAL_API_KEY", "").strip() or None,
            xroad_client=xroad_client,
            xroad_service=xroad_service,
            at_username=at_username,
            at_api_key=at_api_key,
            at_sender_id=env.get("AT_SENDER_ID", "").strip() or None,
            at_api_url=_url(env, "AT_API_URL", ("http", "https")),
            whatsapp_api_url=_url(env, "WHATSAPP_API_URL", ("http", "https"))
            or cls.whatsapp_api_url,
            whatsapp_token=env.get("WHATSAPP_TOKEN", "").strip() or None,
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", "").strip() or None,
            whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET", "").strip() or None,
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", "").strip() or None,
            rasa_url=_url(env, "RASA_URL", ("http", "https")),
            ussd_service_code=code,
            ussd_screen_max=_int(env, "USSD_SCREEN_MAX", 160, 100, 182),
            session_ttl=_int(env, "SESSION_TTL", 180, 30, 3600),
            sms_session_ttl=_int(env, "SMS_SESSION_TTL", 3600, 60, 7 * 86400),
            chat_session_ttl=_int(env, "CHAT_SESSION_TTL", 86400, 60, 7 * 86400),
            sms_max_segments=_int(env, "SMS_MAX_SEGMENTS", 3, 1, 10),
            sms_rate_limit=_int(env, "SMS_RATE_LIMIT", 10, 1, 1000),
            sms_resume_after=_int(env, "SMS_RESUME_AFTER", 60, 1, 3600),
            resume_window=_int(env, "RESUME_WINDOW", 600, 0, 86400),
            default_region=region,
            portal_timeout=_float(env, "PORTAL_TIMEOUT", 0.8, 0.05, 30.0),
            sandbox_step_seconds=_float(env, "SANDBOX_STEP_SECONDS", 120.0, 0.01, 86400.0),
            languages=_languages(env, "LANGUAGES"),
            webchat_origins=_origins(env, "WEBCHAT_ORIGINS"),
            # production: off whatever SIMULATOR_ENABLED says (it shows anyone's messages)
            simulator_enabled=not production
            and _bool(env, "SIMULATOR_ENABLED", not live_gateway),
            office_hours=office_hours,
            office_timezone=office_timezone,
            office_holidays=office_holidays,
            office_closed_dates=_dates(env, "OFFICE_CLOSED_DATES"),
            office_open_dates=_dates(env, "OFFICE_OPEN_DATES"),
            transcript_retention_days=_int(
                env, "RETENTION_TRANSCRIPT_DAYS", _int(env, "TRANSCRIPT_RETENTION_DAYS", 90, 1,
                                                       3650), 1, 3650),
            retention_bot_exchanges_hours=_int(env, "RETENTION_BOT_EXCHANGES_HOURS", 24, 1,
                                               7 * 24),
            retention_sms_inbound_days=_int(env, "RETENTION_SMS_INBOUND_DAYS", 30, 1, 3650),
            retention_outbound_days=_int(env, "RETENTION_OUTBOUND_DAYS", 30, 1, 3650),
            retention_audit_days=_int(env, "RETENTION_AUDIT_DAYS", 365, 1, 3650),
            agent_session_minutes=_int(env, "AGENT_SESSION_MINUTES", 30, 1, 24 * 60),
            agent_max_failures=_int(env, "AGENT_MAX_FAILURES", 5, 1, 100),
            agent_lockout_minutes=_int(env, "AGENT_LOCKOUT_MINUTES", 15, 1, 24 * 60),
            handoff_default_minutes=_float(env, "HANDOFF_DEFAULT_MINUTES", 5.0, 0.5, 240.0),
            webchat_code_ttl=_int(env, "WEBCHAT_CODE_TTL", 300, 1, 3600),
            webchat_code_attempts=_int(env, "WEBCHAT_CODE_ATTEMPTS", 5, 1, 20),
            webchat_codes_per_number=_int(env, "WEBCHAT_CODES_PER_NUMBER", 3, 1, 100),
            webchat_codes_per_client=_int(env, "WEBCHAT_CODES_PER_CLIENT", 10, 1, 10000),
            webchat_max_streams=_int(env, "WEBCHAT_MAX_STREAMS", 0, 0, 10000),
            # -- agent console: live screens --
            agent_max_streams=agent_stream_limit(env),
            # -- mobile-money payments --
            sandbox_payment_settle_seconds=_float(env, "SANDBOX_PAYMENT_SETTLE_SECONDS", 20.0,
                                                  0.0, 86400.0),
            sandbox_payment_expire_seconds=_float(env, "SANDBOX_PAYMENT_EXPIRE_SECONDS", 300.0,
                                                  1.0, 86400.0),
            # -- the portal's news --
            portal_webhook_secret=_webhook_secret(env, production),
            quiet_hours=_quiet_hours(env, office_timezone),
            portal_poll_seconds=_int(env, "PORTAL_POLL_SECONDS", 60, 0, 86400),
            portal_poll_silence=_int(env, "PORTAL_POLL_SILENCE", 600, 0, 7 * 86400),
            portal_poll_batch=_int(env, "PORTAL_POLL_BATCH", 50, 1, 1000),
            whatsapp_templates={
                purpose: env.get(name, default).strip()
                for purpose, name, default in (
                    ("news", "WHATSAPP_TEMPLATE_NEWS", "guichet_news"),
                    ("reopen", "WHATSAPP_TEMPLATE_REOPEN", "guichet_reopen"))
                if env.get(name, default).strip()},
            whatsapp_template_languages=_template_languages(env),
        )


# -- the portal's news (parsers kept here, beside their settings) --
def _webhook_secret(env: Mapping[str, str], production: bool) -> str | None:
    secret = env.get("PORTAL_WEBHOOK_SECRET", "").strip() or None
    if production and not secret:
        raise ConfigError("PORTAL_WEBHOOK_SECRET", "must be set when GUICHET_ENV=production: "
                                                   "anyone could post the portal's events")
    return secret


def _quiet_hours(env: Mapping[str, str], zone: str) -> str:
    from dialogs.news.quiet import QuietHours

    text = env.get("QUIET_HOURS", Settings.quiet_hours).strip()
    try:
        QuietHours.parse(text, zone)
    except ValueError as exc:
        raise ConfigError("QUIET_HOURS", f"{exc} (e.g. 21:00-07:00, or off)") from exc
    return text


def _template_languages(env: Mapping[str, str]) -> dict[str, str]:
    """``fr:fr,en:en_US,fon:fr``: each of our languages -> its template's code at Meta."""
    text = env.get("WHATSAPP_TEMPLATE_LANGUAGES", "").strip()
    if not text:
        return dict(TEMPLATE_LANGUAGES)
    found: dict[str, str] = {}
    for item in text.split(","):
        ours, sep, theirs = item.strip().partition(":")
        if not sep or not re.fullmatch(r"[a-z]{2,3}", ours.strip()) \
                or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", theirs.strip()):
            raise ConfigError("WHATSAPP_TEMPLATE_LANGUAGES",
                              f"expected lang:code pairs such as fr:fr,en:en_US, got {item!r}")
        found[ours.strip()] = theirs.strip()
    return found
