"""The hand-off desk and its records, on SQLite and on PostgreSQL (a database made per test).

The schema comes from the Alembic migrations; the desk is driven through the port the dialog
manager uses (dialogs.handoff.Desk) and the operations of the console, with a clock set by hand.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from channels import migrate
from dialogs.desk import DeskError, HandoffDesk, records
from dialogs.desk.hours import HoursError, OfficeHours
from dialogs.desk.texts import citizen_text
from dialogs.handoff import Desk, Exchange
from dialogs.sender import Outgoing, Senders

BENIN = ZoneInfo("Africa/Porto-Novo")
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BENIN)
PHONE = "+2290197001122"


class Clock:
    def __init__(self, now: dt.datetime = MONDAY_9) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Sent(list):
    """What the desk sent to citizens, per channel (a Sender for each, as the channels have)."""

    def sender(self, channel: str) -> Recorder:
        return Recorder(channel, self)


class Recorder:
    """A channel's :class:`dialogs.sender.Sender` that keeps what it is asked to send."""

    def __init__(self, channel: str, sent: Sent) -> None:
        self.channel = channel
        self.sent = sent

    def send(self, message: Outgoing) -> str:
        self.sent.append({"channel": message.channel, "user": message.user,
                          "text": message.text, "lang": message.lang, "key": message.key,
                          "author": message.author})
        return "queued"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sent() -> Sent:
    return Sent()


def make_desk(engine, clock, sent, hours: str = "mon-fri 08:00-17:30") -> HandoffDesk:
    senders = Senders({c: sent.sender(c) for c in ("sms", "whatsapp", "webchat")})
    return HandoffDesk(engine, hours=OfficeHours.parse(hours), senders=senders, clock=clock,
                       default_handle_minutes=5)


@pytest.fixture
def desk(engine, clock, sent) -> HandoffDesk:
    return make_desk(engine, clock, sent)


def agent(desk: HandoffDesk, login: str, languages: str = "fr", role: str = "agent",
          topics: str = ""):
    return desk.accounts.add(login=login, password="a long password", role=role,
                             languages=languages, topics=topics, display_name=login.title())


def queue_sms(desk: HandoffDesk, n: int, lang: str = "fr", topic: str | None = None):
    return desk.enqueue(channel="sms", session=f"sms:{n}", user=f"+22901970000{n:02d}",
                        lang=lang, reason="asked", topic=topic)


# -- schema ---------------------------------------------------------------------------------


def test_the_migrations_build_the_schema_and_come_down_again(engine):
    assert migrate.current(engine) == migrate.head()
    names = set(sa.inspect(engine).get_table_names())
    assert set(records.TABLES) <= names
    migrate.downgrade(engine, "base")
    assert not set(records.TABLES) & set(sa.inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    migrate.upgrade(engine)  # at head: nothing to do


def test_the_desk_is_the_port_the_dialog_manager_expects(desk):
    assert isinstance(desk, HandoffDesk)
    port: Desk = desk  # type-checks against the Protocol; every method exists
    for name in ("hours", "enqueue", "request_callback", "with_agent", "record"):
        assert callable(getattr(port, name))


# -- office hours ---------------------------------------------------------------------------


def test_office_hours_in_benin_time():
    hours = OfficeHours.parse("mon-fri 08:00-17:30; sat 09:00-12:00")
    assert hours.is_open(MONDAY_9)
    assert not hours.is_open(MONDAY_9.replace(hour=7, minute=59))
    assert not hours.is_open(MONDAY_9.replace(hour=17, minute=30))
    # 16:45 UTC is 17:45 in Porto-Novo: closed
    assert not hours.is_open(dt.datetime(2026, 11, 23, 16, 45, tzinfo=dt.UTC))
    friday_evening = dt.datetime(2026, 11, 27, 18, 0, tzinfo=BENIN)
    assert hours.next_open(friday_evening) == dt.datetime(2026, 11, 28, 9, 0, tzinfo=BENIN)
    saturday_noon = dt.datetime(2026, 11, 28, 12, 0, tzinfo=BENIN)
    assert hours.next_open(saturday_noon) == dt.datetime(2026, 11, 30, 8, 0, tzinfo=BENIN)
    for bad in ("", "mon-fri", "mon-fri 8-17", "xyz 08:00-09:00", "mon 10:00-09:00"):
        with pytest.raises(HoursError):
            OfficeHours.parse(bad)
    assert OfficeHours.parse("always").is_open(friday_evening)


def test_outside_office_hours_nothing_is_queued_and_the_citizen_learns_when_it_opens(
        desk, clock):
    clock.now = dt.datetime(2026, 11, 27, 18, 5, tzinfo=BENIN)  # Friday evening
    line = desk.hours()
    assert not line.open and line.opens_at == "2026-11-30T08:00:00+01:00"
    ticket = queue_sms(desk, 1)
    assert not ticket.open and ticket.opens_at == line.opens_at
    assert not desk.with_agent("sms", "sms:1")
    clock.now = MONDAY_9
    assert desk.hours().open and desk.hours().opens_at is None


# -- queue ----------------------------------------------------------------------------------


def test_queue_position_and_wait_per_language(desk):
    first, second = queue_sms(desk, 1), queue_sms(desk, 2)
    fon = queue_sms(desk, 3, lang="fon")
    assert (first.position, first.wait_minutes) == (1, 5)
    assert (second.position, second.wait_minutes) == (2, 10)
    assert (fon.position, fon.wait_minutes) == (1, 5)
    assert queue_sms(desk, 2) == second  # idempotent while waiting
    assert desk.with_agent("sms", "sms:2")
    assert not desk.with_agent("sms", "sms:9")


def test_the_wait_follows_recent_handling_times_and_online_agents(desk, clock):
    awa = agent(desk, "awa")
    for n in range(2):  # two hand-offs of 3 minutes each
        queue_sms(desk, n)
        conv = desk.queue(awa)[0]
        desk.take(conv.id, awa)
        clock.advance(minutes=3)
        desk.close(conv.id, awa)
    assert desk.average_handling_minutes() == pytest.approx(3)
    queue_sms(desk, 10)
    assert queue_sms(desk, 11).wait_minutes == 6  # position 2 x 3 min, one agent
    desk.accounts.seen(awa.id)
    desk.accounts.seen(agent(desk, "ben").id)
    assert queue_sms(desk, 12).wait_minutes == 5  # position 3 x 3 min / 2 agents online


def test_parallel_hops_queue_a_conversation_once(desk):
    tickets, errors = [], []

    def hop():
        try:
            tickets.append(queue_sms(desk, 7))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hop) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and {t.position for t in tickets} == {1}
    with desk.engine.connect() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(records.conversations)
                          ).scalar_one() == 1


def test_routing_by_language_and_topic(desk):
    fr_only = agent(desk, "carine", "fr")
    fon_speaker = agent(desk, "dossou", "fr,fon", topics="passeport")
    boss = agent(desk, "eve", "fr", role="supervisor")
    queue_sms(desk, 1, "fr")
    queue_sms(desk, 2, "fon")
    queue_sms(desk, 3, "fr", topic="passeport")
    queue_sms(desk, 4, "yo")  # nobody speaks Yoruba: everybody sees it
    sessions = lambda who: [c.session for c in desk.queue(who)]  # noqa: E731
    assert sessions(fr_only) == ["sms:1", "sms:3", "sms:4"]
    # Fon first (fewest colleagues can take it), then their topic, then the oldest
    assert sessions(fon_speaker) == ["sms:2", "sms:3", "sms:1", "sms:4"]
    assert sessions(boss) == ["sms:1", "sms:2", "sms:3", "sms:4"]
    fon_conv = desk.queue(fon_speaker)[0]
    with pytest.raises(DeskError) as refused:
        desk.take(fon_conv.id, fr_only)
    assert refused.value.status == 403
    assert desk.take_next(fon_speaker).session == "sms:2"
    with pytest.raises(DeskError):
        desk.queue(fr_only, "all")
    assert len(desk.queue(boss, "all")) == 4


# -- a conversation from hand-off to rating --------------------------------------------------


def test_transcript_take_reply_transfer_close_and_rating(desk, sent, clock):
    awa, ben = agent(desk, "awa", "fr,en"), agent(desk, "ben", "en")
    desk.record(Exchange("sms", "s", PHONE, "in", "how much is a passport", "en",
                         intent="ask_procedure", procedure="passeport"))
    desk.record(Exchange("sms", "s", PHONE, "out", "A passport costs...", "en"))
    desk.record(Exchange("whatsapp", "wa:1", PHONE, "in", "earlier on WhatsApp", "en"))
    ticket = desk.enqueue(channel="sms", session="s", user=PHONE, lang="en", reason="asked",
                          topic="passeport")
    assert ticket.position == 1
    desk.record(Exchange("sms", "s", PHONE, "in", "are you there?", "en"))  # while waiting
    conv = desk.queue(awa)[0]
    assert conv.last_text == "are you there?"
    texts = [m["text"] for m in desk.transcript(conv, awa)]
    assert texts == ["how much is a passport", "A passport costs...", "earlier on WhatsApp",
                     "are you there?"]
    understood = desk.transcript(conv)[0]
    assert (understood["intent"], understood["procedure"], understood["lang"]) == (
        "ask_procedure", "passeport", "en")

    desk.take(conv.id, awa)
    with pytest.raises(DeskError):
        desk.take(conv.id, ben)  # already taken
    assert sent[-1]["text"] == citizen_text("taken", "en", name="Awa")  # in English
    assert "(Awa)" in sent[-1]["text"] and "conseiller" not in sent[-1]["text"]
    desk.reply(conv.id, awa, "Hello, let me check.")
    assert sent[-1] == {"channel": "sms", "user": PHONE, "author": "agent",
                        "text": "Hello, let me check.", "lang": "en",
                        "key": sent[-1]["key"]}
    with pytest.raises(DeskError):
        desk.reply(conv.id, ben, "not mine")

    desk.transfer(conv.id, awa, ben.id)
    assert "Ben" in sent[-1]["text"]
    assert [c.id for c in desk.queue(ben, "mine")] == [conv.id]
    with pytest.raises(DeskError):
        desk.reply(conv.id, awa, "not mine any more")
    assert not desk.awaiting_satisfaction("sms", "s")
    assert not desk.record_satisfaction("sms", "s", 5)  # nothing to rate yet

    clock.advance(minutes=4)
    desk.close(conv.id, ben)
    assert sent[-1]["text"] == "\n".join(
        (citizen_text("handed_back", "en"), citizen_text("satisfaction", "en")))
    assert "1" in sent[-1]["text"] and "5" in sent[-1]["text"]
    assert not desk.with_agent("sms", "s")
    assert desk.awaiting_satisfaction("sms", "s")
    assert not desk.record_satisfaction("sms", "s", 9)
    assert desk.record_satisfaction("sms", "s", "4")
    assert not desk.awaiting_satisfaction("sms", "s")
    assert not desk.record_satisfaction("sms", "s", 5)  # once
    stats = desk.stats()
    assert (stats["handled_today"], stats["satisfaction"], stats["average_handling"]) == (
        1, 4.0, 240)
    actions = [e["action"] for e in desk.audit_log()]
    for action in ("read_transcript", "take", "reply", "transfer", "close"):
        assert action in actions


def test_a_rating_is_only_taken_for_a_day(desk, clock):
    awa = agent(desk, "awa")
    queue_sms(desk, 1)
    conv = desk.take_next(awa)
    desk.close(conv.id, awa)
    clock.advance(hours=25)
    assert not desk.awaiting_satisfaction("sms", "sms:1")
    assert not desk.record_satisfaction("sms", "sms:1", 3)


def test_a_citizen_may_leave_the_queue_and_come_back(desk):
    queue_sms(desk, 1)
    assert desk.leave("sms", "sms:1")
    assert not desk.with_agent("sms", "sms:1") and not desk.leave("sms", "sms:1")
    assert queue_sms(desk, 1).position == 1  # a new hand-off for the same session
    assert desk.ticket("sms", "sms:1").position == 1
    assert desk.ticket("sms", "sms:2") is None


def test_callbacks_are_kept_updated_and_worked(desk):
    awa, fon = agent(desk, "awa", "fr"), agent(desk, "kossi", "fon")
    desk.request_callback(channel="ussd", session="u1", user=PHONE, phone=PHONE,
                          slot="today 14-16", lang="fr", topic="passeport")
    desk.request_callback(channel="ussd", session="u1", user=PHONE, phone=PHONE,
                          slot="tomorrow 8-10", lang="fr", topic="passeport")
    [callback] = desk.callbacks(awa)
    assert (callback["slot"], callback["status"], callback["phone"]) == (
        "tomorrow 8-10", "open", PHONE)
    assert desk.callbacks(fon) == []  # routed by language like conversations
    desk.take_callback(callback["id"], awa)
    with pytest.raises(DeskError):
        desk.take_callback(callback["id"], fon)
    with pytest.raises(DeskError):
        desk.finish_callback(callback["id"], fon, "not mine")
    desk.finish_callback(callback["id"], awa, "called back, rdv Thursday")
    assert desk.callbacks(awa) == []
    assert desk.callbacks(awa, ("done",))[0]["note"] == "called back, rdv Thursday"


# -- retention and export -------------------------------------------------------------------


def test_purge_drops_old_transcripts_and_identities_but_keeps_the_figures(desk, clock):
    awa = agent(desk, "awa")
    desk.record(Exchange("sms", "old", PHONE, "in", "old question", "fr"))
    desk.enqueue(channel="sms", session="old", user=PHONE, lang="fr", reason="asked",
                 topic=None)
    conv = desk.take_next(awa)
    desk.close(conv.id, awa)
    desk.request_callback(channel="ussd", session="u", user=PHONE, phone=PHONE, slot="am",
                          lang="fr", topic=None)
    desk.finish_callback(desk.callbacks(awa)[0]["id"], awa, "done")
    clock.advance(days=91)
    desk.record(Exchange("sms", "new", PHONE, "in", "new question", "fr"))
    desk.enqueue(channel="sms", session="new", user=PHONE, lang="fr", reason="asked",
                 topic=None)  # a new hand-off: its transcript is recent, it stays
    counts = desk.purge()
    assert counts == {"messages": 3, "conversations": 1, "callbacks": 1, "sessions": 0}
    with desk.engine.connect() as db:
        texts = db.execute(sa.select(records.messages.c.text)).scalars().all()
        convs = db.execute(sa.select(records.conversations)
                           .order_by(records.conversations.c.id)).all()
        calls = db.execute(sa.select(records.callbacks)).all()
        kept = db.execute(sa.select(sa.func.count()).select_from(records.handoffs)).scalar_one()
    assert texts == ["new question"]
    assert [(c.user, c.session) for c in convs] == [("", f"purged:{conv.id}"), (PHONE, "new")]
    assert [(c.phone, c.user, c.note) for c in calls] == [("", "", None)]
    assert kept == 2
    assert desk.purge() == {"messages": 0, "conversations": 0, "callbacks": 0, "sessions": 0}
    assert "purge" in [e["action"] for e in desk.audit_log()]


def test_export_masks_personal_data(desk):
    for channel, session, user in (("sms", "s", PHONE),
                                   ("webchat", "wc-abcdef123456", "wc-abcdef123456")):
        desk.enqueue(channel=channel, session=session, user=user, lang="fr", reason="asked",
                     topic=None)  # only handed-off conversations are in the records
    desk.record(Exchange("sms", "s", PHONE, "in", "mon NPI est 1234567890, tel 0197001122",
                         "fr", intent="track_request"))
    desk.record(Exchange("webchat", "wc-abcdef123456", "wc-abcdef123456", "in", "bonjour",
                         "fr"))
    rows = desk.export(days=30)
    assert rows[0]["user"] == "+***********22"
    assert "1234567890" not in rows[0]["text"] and "********90" in rows[0]["text"]
    assert "0197001122" not in rows[0]["text"]
    assert rows[0]["intent"] == "track_request"
    assert rows[1]["user"].endswith("3456") and "abcdef12" not in rows[1]["user"]


def test_bad_office_hours_stop_start_up_naming_the_variable():
    from channels.config import ConfigError, Settings

    with pytest.raises(ConfigError) as bad:
        Settings.from_env({"OFFICE_HOURS": "weekdays 8-17"})
    assert bad.value.variable == "OFFICE_HOURS"
    with pytest.raises(ConfigError) as zone:
        Settings.from_env({"OFFICE_TIMEZONE": "Africa/Nowhere"})
    assert zone.value.variable == "OFFICE_TIMEZONE"
    settings = Settings.from_env({"OFFICE_HOURS": "mon-sat 07:30-19:00",
                                  "TRANSCRIPT_RETENTION_DAYS": "30"})
    assert (settings.office_hours, settings.transcript_retention_days) == (
        "mon-sat 07:30-19:00", 30)


def test_canned_answers_exist_in_every_offered_language():
    from channels.agent.texts import canned
    from channels.config import LANGUAGES

    french = {a["text"] for a in canned("fr")}
    for lang in LANGUAGES:
        answers = canned(lang)
        assert len(answers) == 5 and all(a["title"] and a["text"] for a in answers)
        assert lang == "fr" or not french & {a["text"] for a in answers}
    assert any("{agent}" in a["text"] for a in canned("fon"))
