"""The composition root: builds the store, portal client, queue, senders, the hand-off desk and
the dialog manager, and brings the database to the newest schema first.

The web app and the RQ workers build the same :class:`Runtime` from the same environment (both
through :func:`channels.app.create_app`, which keeps it in ``app.extensions["guichet"]``), so a
task run by a worker sees the same portal and outbox as the hop that queued it.  No module keeps
it in a global: tasks read it from the app context they run in.  With no ``PORTAL_URL`` the
sandbox portal is served in-process on a loopback port, on a SQLite file so that separate worker
processes share its requests.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from channels import migrate
from channels.config import ROOT, Settings
from channels.events import EventRecorder
from channels.outbox import MessageLog, engine_for
from channels.portal_events.tasks import send_held
from channels.queue import DEFAULT_DELAYS, RQQueue, TaskQueue, ThreadQueue, enqueue_in
from channels.sms.conversation import SmsConversation
from channels.sms.inbox import Inbox
from channels.sms.outbound import AfricasTalkingTransport, OutboxTransport, SmsSender
from channels.sms.outbound import Transport as SmsTransport
from channels.sms.sender import SmsChannel
from channels.sms.sweep import Sweeper
from channels.tasks import QueuedEffects, record_later
from channels.webchat.sender import WebchatChannel
from channels.whatsapp import window
from channels.whatsapp.outbound import GraphTransport, WhatsAppSender
from channels.whatsapp.outbound import OutboxTransport as WhatsAppOutbox
from channels.whatsapp.outbound import Transport as WhatsAppTransport
from channels.whatsapp.sender import WhatsAppChannel
from channels.whatsapp.templates import Templates
from dialogs.desk import HandoffDesk, RecordLater
from dialogs.desk.accounts import Accounts
from dialogs.desk.hours import OfficeHours
from dialogs.desk.recent import RecentExchanges
from dialogs.desk.records import now as utc_now
from dialogs.identity import CodeLimits, Verifier
from dialogs.manager import DialogManager
from dialogs.news.newsroom import Newsroom
from dialogs.news.quiet import QuietHours
from dialogs.news.records import NewsRecords
from dialogs.payments import PaymentLedger
from dialogs.sender import Senders
from dialogs.store import MemoryStore, RedisStore, Store
from integrations.portal import PortalClient, Procedure
from nlu import Nlu

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    portal: PortalClient
    messages: MessageLog
    sms: SmsSender
    queue: TaskQueue
    manager: DialogManager
    inbox: Inbox
    sms_conversation: SmsConversation
    closers: list = field(default_factory=list)
    whatsapp: WhatsAppSender | None = None
    desk: HandoffDesk | None = None
    nlu: Nlu = field(default_factory=Nlu)
    senders: Senders = field(default_factory=Senders)
    """Every message sent later goes through here, to its channel's sender."""
    news: Newsroom | None = None
    """The portal's news for citizens (:mod:`dialogs.news`)."""
    portal_events: EventRelay = field(default_factory=lambda: EventRelay())
    """Where the in-process sandbox's events go; the app factory points it at the app."""
    events: EventRecorder | None = None
    """The insights' event recorder of this process (None: ``INSIGHTS_ENABLED=false``)."""

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # closing is best effort
                log.exception("error while closing the runtime")


class EventRelay:
    """Hands the in-process sandbox's events to the app (built after the runtime):
    :func:`channels.app.create_app` sets ``target`` to
    :func:`channels.portal_events.intake.accept` bound to the app."""

    def __init__(self) -> None:
        self.target: Callable[[dict], str] | None = None

    def __call__(self, event: dict) -> None:
        if self.target is None:  # no app yet: the polling fallback will find the change
            log.warning("portal event before the app was built: left to polling")
            return
        self.target(event)


def catalogue_entry(proc: Procedure) -> dict:
    """What the NLU reads of a procedure to name it: titles, abbreviations, keywords."""
    return {"slug": proc.slug, "title": dict(proc.title),
            "abbreviations": list(proc.abbreviations), "keywords": dict(proc.keywords)}


def _sandbox_url(settings: Settings, closers: list, relay: EventRelay) -> str:
    """Serve the sandbox portal in this process and return its base URL."""
    from integrations.portal.sandbox import create_sandbox_app, serve_in_thread, stop_server
    from integrations.portal.sandbox.payments import start_ticker

    db_path = os.environ.get("SANDBOX_DB") or str(ROOT / "var" / "sandbox-portal.db")
    os.makedirs(os.path.dirname(os.path.abspath(db_path)), exist_ok=True)
    app = create_sandbox_app(db_path=db_path, api_key=settings.portal_api_key,
                             step_seconds=settings.sandbox_step_seconds,
                             settle_seconds=settings.sandbox_payment_settle_seconds or None,
                             expire_seconds=settings.sandbox_payment_expire_seconds,
                             on_event=relay,
                             catalogue_path=settings.sandbox_catalogue)
    url, server = serve_in_thread(app, log_requests=False)
    closers.append(lambda: stop_server(server))
    closers.append(start_ticker(app))  # payments settle and events go out unprompted
    log.info("sandbox portal served in-process", extra={"url": url})
    return url


def build_desk(settings: Settings, engine: sa.Engine, senders: Senders, store: Store,
               portal: PortalClient | None = None) -> HandoffDesk:
    """The hand-off desk with the settings applied; ``store`` (the session store) keeps the
    recent exchanges a hand-off would need, ``portal`` answers the console's "requests of this
    citizen".  The schema is :func:`channels.migrate.upgrade`'s business."""
    return HandoffDesk(
        engine,
        hours=OfficeHours.parse(settings.office_hours, settings.office_timezone,
                                calendar=settings.office_holidays,
                                closed=settings.office_closed_dates,
                                opened=settings.office_open_dates),
        senders=senders,
        accounts=Accounts(engine, clock=utc_now, max_failures=settings.agent_max_failures,
                          lockout_minutes=settings.agent_lockout_minutes),
        retention_days=settings.transcript_retention_days,
        default_handle_minutes=settings.handoff_default_minutes,
        clock=utc_now,
        recent=RecentExchanges(store, settings.retention_bot_exchanges_hours * 3600),
        requests_of=portal.requests_for if portal is not None else None,
    )


def known_words(portal: PortalClient) -> list[str]:
    """Words that are not names, for masking unanswered questions: the NLU's training data and
    the catalogue's titles and summaries, in every language."""
    from nlu.embedded import training_files
    from nlu.trainingdata import load_examples

    words = [example.text for example in load_examples(training_files())]
    try:
        for proc in portal.procedures():
            words += list(proc.title.values()) + list(proc.summary.values())
    except Exception:  # the portal is away: the training data's words still count
        log.warning("catalogue unavailable for the insights' vocabulary")
    return words


def build_events(settings: Settings, engine: sa.Engine,
                 portal: PortalClient) -> EventRecorder | None:
    """The insights' recorder, started (None when ``INSIGHTS_ENABLED`` is off)."""
    if not settings.insights_enabled:
        return None
    return EventRecorder(
        engine, settings.secret_key, languages=settings.languages,
        procedures=lambda: [p.slug for p in portal.procedures()],
        words=lambda: known_words(portal)).start()


def build(settings: Settings, *, retry_delays: Sequence[float] = DEFAULT_DELAYS) -> Runtime:
    closers: list = []
    relay = EventRelay()
    store: Store = RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
    portal_url = settings.portal_url or _sandbox_url(settings, closers, relay)
    portal = PortalClient(
        portal_url,
        api_key=settings.portal_api_key,
        xroad_client=settings.xroad_client,
        xroad_service=settings.xroad_service if settings.xroad_client else None,
        timeout=(min(0.3, settings.portal_timeout), settings.portal_timeout),
        catalogue_ttl=settings.catalogue_refresh_seconds,
    )
    closers.append(portal.close)
    engine = engine_for(settings.database_url)
    migrate.upgrade(engine)  # every table, one history; workers starting together take turns
    messages = MessageLog(engine)
    closers.append(messages.engine.dispose)
    inbox = Inbox(messages.engine)
    transport: SmsTransport
    if settings.sms_configured:
        transport = AfricasTalkingTransport(
            settings.at_username or "", settings.at_api_key or "",
            sender_id=settings.at_sender_id, api_url=settings.at_api_url)
    else:
        transport = OutboxTransport()
    sms = SmsSender(messages, transport, optouts=inbox)
    wa_transport: WhatsAppTransport
    if settings.whatsapp_token and settings.whatsapp_phone_number_id:
        wa_transport = GraphTransport(settings.whatsapp_api_url, settings.whatsapp_token,
                                      settings.whatsapp_phone_number_id)
        closers.append(wa_transport.close)
    else:
        wa_transport = WhatsAppOutbox()
    whatsapp = WhatsAppSender(messages, wa_transport, store)
    queue: TaskQueue
    if settings.redis_url:
        queue = RQQueue(settings.redis_url, delays=retry_delays)
    else:
        queue = ThreadQueue(delays=retry_delays)
    understanding = Nlu(settings.rasa_url)
    # The NLU's word list follows the live catalogue: rebuilt on the refresh thread each time
    # the procedures change, so a procedure the portal adds is understood within one refresh.
    portal.cache.subscribe(lambda snapshot: understanding.use_catalogue(
        [catalogue_entry(p) for p in snapshot.procedures.values()]))
    sms_channel = SmsChannel(queue)
    templates = Templates(settings.whatsapp_templates, settings.whatsapp_template_languages)
    senders = Senders({"sms": sms_channel,
                       "whatsapp": WhatsAppChannel(queue, templates,
                                                   lambda wa_id: window.is_open(store, wa_id)),
                       "webchat": WebchatChannel(messages, settings.redis_url,
                                                 settings.chat_session_ttl)})
    effects = QueuedEffects(queue, senders)
    desk = build_desk(settings, messages.engine, senders, store, portal)
    events = build_events(settings, messages.engine, portal)
    if events is not None:
        closers.append(events.stop)  # before the engine is disposed (closers run reversed)
    manager = DialogManager(
        store, portal, effects,
        languages=settings.languages,
        session_ttl=settings.session_ttl, resume_window=settings.resume_window,
        channel_ttls={"sms": settings.sms_session_ttl, "whatsapp": settings.chat_session_ttl,
                      "webchat": settings.chat_session_ttl},
        track_code=settings.ussd_service_code, nlu=understanding.parse,
        desk=RecordLater(desk, lambda exchanges: record_later(queue, exchanges)),
        verifier=Verifier(store, settings.secret_key, CodeLimits(
            ttl=settings.webchat_code_ttl, attempts=settings.webchat_code_attempts,
            per_number=settings.webchat_codes_per_number,
            per_client=settings.webchat_codes_per_client)),
        events=events,
    )
    conversation = SmsConversation(
        manager, inbox, store, sms_channel.send_text, max_segments=settings.sms_max_segments,
        rate_limit=settings.sms_rate_limit, track_code=settings.ussd_service_code)
    if isinstance(queue, ThreadQueue):  # embedded: no worker process sweeps the SMS inbox
        closers.append(Sweeper(inbox, queue, store, after=settings.sms_resume_after).start().stop)
    news = Newsroom(
        NewsRecords(messages.engine), portal, senders, track_code=settings.ussd_service_code,
        quiet=QuietHours.parse(settings.quiet_hours, settings.office_timezone),
        ledger=PaymentLedger(messages.engine),
        hold=lambda seconds, message: enqueue_in(queue, seconds, send_held,
                                                 message=dataclasses.asdict(message)))
    return Runtime(settings, store, portal, messages, sms, queue, manager, inbox, conversation,
                   closers, whatsapp=whatsapp, desk=desk, nlu=understanding, senders=senders,
                   news=news, portal_events=relay, events=events)
