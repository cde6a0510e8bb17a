"""The desk's common ground: its errors, its records as the console sees them, and the state
and helpers every part of :class:`dialogs.desk.HandoffDesk` shares (see :mod:`dialogs.desk`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dialogs.desk import records
from dialogs.desk.accounts import Accounts, Agent
from dialogs.desk.hours import OfficeHours
from dialogs.desk.recent import RecentExchanges
from dialogs.desk.records import OPEN, conversations, handoffs, messages
from dialogs.desk.texts import BUTTONS, citizen_text, rating_choices
from dialogs.handoff import Ticket
from dialogs.model import Choice
from dialogs.phones import subscriber
from dialogs.sender import NoRoute, Outgoing, Senders
from dialogs.store import MemoryStore

log = logging.getLogger(__name__)

SATISFACTION_WINDOW = dt.timedelta(hours=24)
"""How long after closing a digit from the citizen still counts as their rating."""
HISTORY = 20
"""How many recent hand-offs the average handling time is taken over (last 7 days)."""
TRANSCRIPT_LIMIT = 300


RequestsOf = Callable[[str], Iterable[Any]]
"""What the console shows of a citizen's requests on the portal: the portal client's
``requests_for`` (injected, so the console never calls the portal itself)."""


class DeskError(Exception):
    """An operation the agent may not do now; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class Notifier:
    """Wakes this process's event streams at once; other processes notice within a second."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.version = 0

    def bump(self) -> None:
        with self._cond:
            self.version += 1
            self._cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self.version != seen, timeout)
            return self.version


@dataclass(frozen=True)
class Conv:
    """One hand-off conversation as the console shows it."""

    id: int
    channel: str
    session: str
    user: str
    lang: str
    topic: str | None
    reason: str
    status: str
    agent_id: int | None
    created_at: dt.datetime
    assigned_at: dt.datetime | None
    closed_at: dt.datetime | None
    agent_name: str | None = None
    last_text: str | None = None

    def waited(self, now: dt.datetime) -> int:
        end = self.assigned_at or self.closed_at or now
        return max(0, int((end - self.created_at).total_seconds()))


def _conv(row: sa.Row, agent_name: str | None = None, last_text: str | None = None) -> Conv:
    m = row._mapping
    return Conv(**{k: m[k] for k in (
        "id", "channel", "session", "user", "lang", "topic", "reason", "status", "agent_id",
        "created_at", "assigned_at", "closed_at")}, agent_name=agent_name, last_text=last_text)


class DeskBase:
    """The desk's state and shared helpers, over the call-centre records
    (:mod:`dialogs.desk.records`)."""

    def __init__(self, engine: sa.Engine, *, hours: OfficeHours, senders: Senders,
                 accounts: Accounts | None = None, retention_days: int = 90,
                 default_handle_minutes: float = 5.0,
                 clock: Callable[[], dt.datetime] = records.now,
                 notifier: Notifier | None = None,
                 recent: RecentExchanges | None = None,
                 requests_of: RequestsOf | None = None) -> None:
        self.engine = engine
        self.office = hours
        self.senders = senders
        self.clock = clock
        self.accounts = accounts or Accounts(engine, clock=clock)
        self.retention_days = retention_days
        self.default_handle_minutes = default_handle_minutes
        self.notifier = notifier or Notifier()
        self.recent = recent or RecentExchanges(MemoryStore(), 24 * 3600)
        """Exchanges with the bot, kept in the session store until a hand-off needs them."""
        self.portal_requests = requests_of
        """The portal's requests of a citizen, for the console (None: no portal wired)."""

    def conversation(self, conv_id: int) -> Conv | None:
        if not 0 < conv_id <= records.MAX_ID:  # no such row; the driver would raise
            return None
        with self.engine.connect() as db:
            row = db.execute(sa.select(conversations).where(conversations.c.id == conv_id)).first()
        if row is None:
            return None
        agent = self.accounts.get(row._mapping["agent_id"]) if row._mapping["agent_id"] else None
        return _conv(row, agent.display_name if agent else None)

    def visible(self, agent: Agent, conv: Conv, spoken: dict[str, int] | None = None) -> bool:
        """May ``agent`` see (and take) this conversation?"""
        if agent.is_supervisor or conv.agent_id == agent.id or agent.speaks(conv.lang):
            return True
        spoken = self.accounts.spoken() if spoken is None else spoken
        return not spoken.get(conv.lang)


    def audit(self, agent: Agent | None, action: str, target: str | None = None,
              detail: str | None = None, ip: str | None = None) -> None:
        with self.engine.begin() as db:
            records.write_audit(db, action=action, agent_id=agent.id if agent else None,
                                login=agent.login if agent else None, target=target,
                                detail=detail, ip=ip, at=self.clock())


    def average_handling_minutes(self) -> float:
        since = self.clock() - dt.timedelta(days=7)
        with self.engine.connect() as db:
            rows = db.execute(sa.select(handoffs.c.taken_at, handoffs.c.closed_at).where(
                handoffs.c.closed_at >= since, handoffs.c.taken_at.is_not(None),
                handoffs.c.outcome == "handed_back",
            ).order_by(handoffs.c.closed_at.desc()).limit(HISTORY)).all()
        if not rows:
            return self.default_handle_minutes
        seconds = [(r.closed_at - r.taken_at).total_seconds() for r in rows]
        return max(0.5, sum(seconds) / len(seconds) / 60)


    # -- shared helpers --------------------------------------------------------------------

    def _open(self, channel: str, session: str) -> Conv | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(conversations).where(
                conversations.c.channel == channel, conversations.c.session == session,
                conversations.c.status.in_(OPEN))).first()
        return _conv(row) if row else None

    def _ticket(self, conv: Conv) -> Ticket:
        if conv.status != "waiting":
            return Ticket(open=True, position=0, wait_minutes=0)
        with self.engine.connect() as db:
            ahead = db.execute(sa.select(sa.func.count()).select_from(conversations).where(
                conversations.c.status == "waiting", conversations.c.lang == conv.lang,
                conversations.c.id < conv.id)).scalar_one()
        position = ahead + 1
        agents = max(1, len(self.accounts.online(conv.lang)))
        wait = math.ceil(position * self.average_handling_minutes() / agents)
        return Ticket(open=True, position=position, wait_minutes=wait)

    def _require(self, conv_id: int) -> Conv:
        conv = self.conversation(conv_id)
        if conv is None:
            raise DeskError("no such conversation", 404)
        return conv

    def _mine(self, conv_id: int, agent: Agent) -> Conv:
        conv = self._require(conv_id)
        if conv.status != "active":
            raise DeskError("take the conversation first" if conv.status == "waiting"
                            else "the conversation is closed")
        if conv.agent_id != agent.id and not agent.is_supervisor:
            raise DeskError("a colleague has this conversation", 403)
        return conv

    def _finish(self, conv_id: int, *, outcome: str, ask: bool,
                agent: Agent | None = None) -> None:
        now = self.clock()
        with self.engine.begin() as db:
            db.execute(conversations.update().where(conversations.c.id == conv_id)
                       .values(status="closed", closed_at=now, updated_at=now))
            db.execute(handoffs.update().where(handoffs.c.conversation_id == conv_id).values(
                closed_at=now, outcome=outcome, satisfaction_asked_at=now if ask else None))
            if agent is not None:
                records.write_audit(db, action="close", agent_id=agent.id, login=agent.login,
                                    target=f"conversation:{conv_id}", detail=outcome, at=now)
        self.notifier.bump()

    def _rated_handoff(self, channel: str, session: str) -> int | None:
        since = self.clock() - SATISFACTION_WINDOW
        with self.engine.connect() as db:
            return db.execute(sa.select(handoffs.c.id).select_from(
                handoffs.join(conversations, handoffs.c.conversation_id == conversations.c.id)
            ).where(conversations.c.channel == channel, conversations.c.session == session,
                    conversations.c.status == "closed",
                    handoffs.c.satisfaction_asked_at >= since,
                    handoffs.c.satisfaction.is_(None))
             .order_by(handoffs.c.id.desc()).limit(1)).scalar()

    def _last_texts(self, db: sa.Connection, conv_ids: list[int]) -> dict[int, str]:
        if not conv_ids:
            return {}
        latest = (sa.select(sa.func.max(messages.c.id)).where(
            messages.c.conversation_id.in_(conv_ids), messages.c.direction == "in")
            .group_by(messages.c.conversation_id))
        rows = db.execute(sa.select(messages.c.conversation_id, messages.c.text)
                          .where(messages.c.id.in_(latest))).all()
        return {r.conversation_id: r.text for r in rows}

    def _tell(self, conv: Conv, key: str, agent: Agent, then: str | None = None,
              **values: str) -> None:
        """Send one of the desk's own sentences to the citizen, and keep it in the transcript."""
        text = citizen_text(key, conv.lang, **values)
        if then:
            text = f"{text}\n{citizen_text(then, conv.lang)}"
        now = self.clock()
        with self.engine.begin() as db:
            message_id = db.execute(messages.insert().values(
                conversation_id=conv.id, channel=conv.channel, session=conv.session,
                user=conv.user, direction="out", text=text, lang=conv.lang, intent=f"desk:{key}",
                at=now).returning(messages.c.id)).scalar_one()
        choices = rating_choices() if then == "satisfaction" and conv.channel in BUTTONS else ()
        try:
            self.senders.send(self._outgoing(conv, text, f"agent:{key}:{message_id}", choices))
        except NoRoute:
            log.warning("citizen not told: no sender for the channel",
                        extra={"channel": conv.channel, "what": key})
        except Exception:  # telling must never undo what the agent did
            log.exception("citizen not told", extra={"channel": conv.channel, "what": key})

    @staticmethod
    def _outgoing(conv: Conv, text: str, key: str,
                  choices: tuple[Choice, ...] = ()) -> Outgoing:
        """A message from the desk to the citizen of ``conv``, on their own channel: a web chat
        visitor is addressed by their chat session, everyone else by their number."""
        user = f"web:{conv.session}" if conv.channel == "webchat" else conv.user
        return Outgoing(conv.channel, user, text, conv.lang, key, choices, author="agent")

    def reachable(self, channel: str) -> bool:
        """Can the desk send to a citizen on ``channel`` (a sender is wired for it)?"""
        return channel in self.senders.channels()

    def requests_of(self, user: str, limit: int = 10) -> tuple[list[Any], str | None]:
        """The citizen's requests on the portal, for the agent beside the conversation; a slow
        or broken portal leaves a note instead (the console shows the conversation anyway):
        ``no_phone`` for a web visitor known only by session, ``unavailable`` otherwise."""
        if subscriber(user or "") is None:
            return [], "no_phone"
        if self.portal_requests is None:
            return [], "unavailable"
        try:
            return list(self.portal_requests(user))[:limit], None
        except Exception as exc:  # whatever the portal does, the conversation stays readable
            log.warning("portal requests unavailable for the console",
                        extra={"error": str(exc)})
            return [], "unavailable"
