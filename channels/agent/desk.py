"""The hand-off desk: :class:`dialogs.handoff.Desk` for the dialog manager, and the operations
the agent console performs (take, reply, transfer, close and hand back, callbacks, figures).

Routing: an agent sees the waiting conversations in the languages they speak (an account with no
language listed speaks them all), plus any in a language no account speaks, so nobody is stuck;
the conversations fewest colleagues can take come first (a Fon speaker gets Fon conversations
before French ones), then those on the agent's topics, then the oldest.  Supervisors see
everything.  A citizen's queue position counts the conversations waiting before theirs in the
same language; the estimated wait is that position times the recent average handling time,
shared among the online agents who speak the language.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from channels.agent import records
from channels.agent.accounts import Accounts, Agent
from channels.agent.hours import OfficeHours
from channels.agent.recent import RecentExchanges
from channels.agent.records import OPEN, callbacks, conversations, handoffs, messages
from channels.agent.texts import citizen_text
from dialogs.handoff import Exchange, Ticket
from dialogs.sender import NoRoute, Outgoing, Senders, address
from dialogs.store import MemoryStore
from integrations.privacy import redact_text

log = logging.getLogger(__name__)

SATISFACTION_WINDOW = dt.timedelta(hours=24)
"""How long after closing a digit from the citizen still counts as their rating."""
HISTORY = 20
"""How many recent hand-offs the average handling time is taken over (last 7 days)."""
TRANSCRIPT_LIMIT = 300


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


class HandoffDesk:
    """The desk over the call-centre records (see :mod:`channels.agent.records`)."""

    def __init__(self, engine: sa.Engine, *, hours: OfficeHours, outbound: Senders,
                 accounts: Accounts | None = None, retention_days: int = 90,
                 default_handle_minutes: float = 5.0,
                 clock: Callable[[], dt.datetime] = records.now,
                 notifier: Notifier | None = None,
                 recent: RecentExchanges | None = None) -> None:
        self.engine = engine
        self.office = hours
        self.outbound = outbound
        """The router to each channel's sender: replies go out on the citizen's own channel."""
        self.clock = clock
        self.accounts = accounts or Accounts(engine, clock=clock)
        self.retention_days = retention_days
        self.default_handle_minutes = default_handle_minutes
        self.notifier = notifier or Notifier()
        self.recent = recent or RecentExchanges(MemoryStore(), 24 * 3600)
        """Exchanges with the bot, kept in the session store until a hand-off needs them."""

    # == the Desk port (dialogs.handoff) ====================================================

    def hours(self) -> Ticket:
        now = self.clock()
        if self.office.is_open(now):
            return Ticket(open=True)
        opens = self.office.next_open(now)
        return Ticket(open=False, opens_at=opens.isoformat() if opens else None)

    def enqueue(self, *, channel: str, session: str, user: str, lang: str, reason: str,
                topic: str | None) -> Ticket:
        """Queue a live conversation; idempotent while it waits or talks with a person.

        Outside office hours nothing is queued: the ticket says when the line opens.
        """
        existing = self._open(channel, session)
        if existing is not None:
            return self._ticket(existing)
        line = self.hours()
        if not line.open:
            return line
        now = self.clock()
        reason = (reason or "asked")[:40]
        lang, topic = (lang or "fr")[:8], topic[:100] if topic else None
        earlier = self.recent.peek(user, channel, session)
        try:
            with self.engine.begin() as db:
                conv_id = db.execute(conversations.insert().values(
                    channel=channel[:20], session=session[:200], user=user[:128], lang=lang,
                    topic=topic, reason=reason, status="waiting", created_at=now,
                    updated_at=now).returning(conversations.c.id)).scalar_one()
                db.execute(handoffs.insert().values(
                    conversation_id=conv_id, channel=channel[:20], lang=lang, topic=topic,
                    reason=reason, requested_at=now))
                # what the bot already said in this session belongs to the hand-off: written
                # to the records now, and only now
                if earlier:
                    db.execute(messages.insert(), [
                        self._row(conv_id, item.get("channel") or channel,
                                  item.get("session") or session, item) for item in earlier])
            self.recent.forget(user, channel, session)
        except sa.exc.IntegrityError:  # the same conversation, queued by a parallel hop
            pass
        self.notifier.bump()
        conv = self._open(channel, session)
        return self._ticket(conv) if conv else Ticket(open=True, position=1)

    def request_callback(self, *, channel: str, session: str, user: str, phone: str,
                         slot: str, lang: str, topic: str | None) -> None:
        """Keep a callback request; a second one from the same session updates the first."""
        now = self.clock()
        values = dict(user=user[:128], phone=phone[:32], slot=(slot or "")[:60],
                      lang=(lang or "fr")[:8], topic=topic[:100] if topic else None,
                      updated_at=now)
        with self.engine.begin() as db:
            done = db.execute(callbacks.update().where(
                callbacks.c.channel == channel, callbacks.c.session == session,
                callbacks.c.status == "open").values(**values))
            if not done.rowcount:
                db.execute(callbacks.insert().values(channel=channel, session=session,
                                                     status="open", created_at=now, **values))
        self.notifier.bump()

    def with_agent(self, channel: str, session: str) -> bool:
        return self._open(channel, session) is not None

    def record(self, exchange: Exchange) -> None:
        """Keep one message: in the records while a person has (or awaits) the conversation,
        where it shows on their screen; otherwise only in the short-lived recent exchanges a
        hand-off would carry over (see :mod:`channels.agent.recent`)."""
        now = self.clock()
        with self.engine.begin() as db:
            conv_id = db.execute(sa.select(conversations.c.id).where(
                conversations.c.channel == exchange.channel,
                conversations.c.session == exchange.session,
                conversations.c.status.in_(OPEN))).scalar()
            if conv_id is not None:
                db.execute(messages.insert().values(self._row(
                    conv_id, exchange.channel, exchange.session,
                    {"user": exchange.user, "direction": exchange.direction,
                     "text": exchange.text, "intent": exchange.intent,
                     "procedure": exchange.procedure, "lang": exchange.lang, "at": now})))
                db.execute(conversations.update().where(conversations.c.id == conv_id)
                           .values(updated_at=now))
        if conv_id is None:
            self.recent.add(exchange, now)
        else:
            self.notifier.bump()

    @staticmethod
    def _row(conv_id: int, channel: str, session: str, item: dict) -> dict:
        return dict(conversation_id=conv_id, channel=channel[:20], session=session[:200],
                    user=(item["user"] or "")[:128], direction=item["direction"][:8],
                    text=item["text"] or "",
                    intent=(item["intent"] or None) and item["intent"][:40],
                    procedure=(item["procedure"] or None) and item["procedure"][:100],
                    lang=(item["lang"] or "fr")[:8], agent_id=None, at=item["at"])

    # == more for the dialog manager ========================================================

    def ticket(self, channel: str, session: str) -> Ticket | None:
        """Where a conversation stands now: its position while waiting, 0 once a person has
        it, None if it is with the bot."""
        conv = self._open(channel, session)
        return self._ticket(conv) if conv else None

    def leave(self, channel: str, session: str) -> bool:
        """The citizen gives up waiting or ends the conversation; True if there was one."""
        conv = self._open(channel, session)
        if conv is None:
            return False
        self._finish(conv.id, outcome="left", ask=False)
        return True

    def awaiting_satisfaction(self, channel: str, session: str) -> bool:
        """True when the citizen was asked for a 1-5 rating and has not given it yet."""
        return self._rated_handoff(channel, session) is not None

    awaiting_rating = awaiting_satisfaction  # the name the dialog manager asks for

    def record_satisfaction(self, channel: str, session: str, score: int | str) -> bool:
        """Keep the citizen's 1-5 rating of their last hand-off; False if none awaits one."""
        try:
            value = int(str(score).strip())
        except ValueError:
            return False
        if not 1 <= value <= 5:
            return False
        handoff_id = self._rated_handoff(channel, session)
        if handoff_id is None:
            return False
        with self.engine.begin() as db:
            db.execute(handoffs.update().where(handoffs.c.id == handoff_id)
                       .values(satisfaction=value))
        self.notifier.bump()
        return True

    # == the console ========================================================================

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

    def queue(self, agent: Agent, view: str = "waiting") -> list[Conv]:
        """``waiting`` (routed to this agent, best first), ``mine``, or ``all`` (supervisors)."""
        if view == "all" and not agent.is_supervisor:
            raise DeskError("supervisors only", 403)
        query = sa.select(conversations)
        if view == "waiting":
            query = query.where(conversations.c.status == "waiting")
        elif view == "mine":
            query = query.where(conversations.c.status == "active",
                                conversations.c.agent_id == agent.id)
        else:
            since = self.clock() - dt.timedelta(days=1)
            query = query.where(sa.or_(conversations.c.status.in_(OPEN),
                                       conversations.c.closed_at >= since))
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(conversations.c.id).limit(500)).all()
            last = self._last_texts(db, [r._mapping["id"] for r in rows])
        names = {a.id: a.display_name for a in self.accounts.all()}
        convs = [_conv(r, names.get(r._mapping["agent_id"]), last.get(r._mapping["id"]))
                 for r in rows]
        if view != "waiting":
            return convs
        spoken = self.accounts.spoken()
        convs = [c for c in convs if self.visible(agent, c, spoken)]
        if agent.is_supervisor:
            return convs
        topics = set(agent.topics)
        return sorted(convs, key=lambda c: (spoken.get(c.lang, 0) if agent.speaks(c.lang)
                                            else 10_000, c.topic not in topics, c.id))

    def counts(self, agent: Agent) -> dict[str, int]:
        return {"waiting": len(self.queue(agent, "waiting")),
                "mine": len(self.queue(agent, "mine")),
                "callbacks": len(self.callbacks(agent))}

    def transcript(self, conv: Conv, agent: Agent | None = None,
                   after_id: int = 0) -> list[dict]:
        """The citizen's messages on every channel (this conversation's and their others),
        oldest first; reading it is audited."""
        query = (sa.select(messages).where(
            sa.or_(messages.c.conversation_id == conv.id,
                   sa.and_(messages.c.channel == conv.channel,
                           messages.c.session == conv.session),
                   messages.c.user == conv.user),
            messages.c.id > after_id)
            .order_by(messages.c.id.desc()).limit(TRANSCRIPT_LIMIT))
        names = {a.id: a.display_name for a in self.accounts.all()}
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        out = []
        for row in reversed(rows):
            m = dict(row._mapping)
            m["agent_name"] = names.get(m["agent_id"]) if m["agent_id"] else None
            m["this"] = m["conversation_id"] == conv.id
            out.append(m)
        if agent is not None and after_id == 0:
            self.audit(agent, "read_transcript", f"conversation:{conv.id}")
        return out

    def take(self, conv_id: int, agent: Agent) -> Conv:
        conv = self._require(conv_id)
        if not self.visible(agent, conv):
            raise DeskError("this conversation is routed to colleagues who speak its language",
                            403)
        now = self.clock()
        with self.engine.begin() as db:
            done = db.execute(conversations.update().where(
                conversations.c.id == conv_id, conversations.c.status == "waiting",
            ).values(status="active", agent_id=agent.id, assigned_at=now, updated_at=now))
            if done.rowcount:
                db.execute(handoffs.update().where(handoffs.c.conversation_id == conv_id)
                           .values(taken_at=now, agent_id=agent.id))
                records.write_audit(db, action="take", agent_id=agent.id, login=agent.login,
                                    target=f"conversation:{conv_id}", at=now)
        if not done.rowcount:
            current = self.conversation(conv_id)
            who = current.agent_name if current else None
            raise DeskError(f"already taken by {who}" if who else "no longer waiting")
        self.notifier.bump()
        self._tell(conv, "taken", agent, name=agent.display_name)
        return self._require(conv_id)

    def take_next(self, agent: Agent) -> Conv | None:
        for conv in self.queue(agent, "waiting"):
            try:
                return self.take(conv.id, agent)
            except DeskError:
                continue
        return None

    def reply(self, conv_id: int, agent: Agent, text: str) -> int:
        """Send the agent's message on the citizen's channel; returns the message id."""
        text = (text or "").strip()
        if not text:
            raise DeskError("empty message", 400)
        if len(text) > 2000:
            raise DeskError("message too long (2000 characters at most)", 400)
        conv = self._mine(conv_id, agent)
        try:
            self.outbound.route(conv.channel)
        except NoRoute:
            raise DeskError(f"no way to reach a citizen on {conv.channel}", 502) from None
        now = self.clock()
        with self.engine.begin() as db:
            message_id = db.execute(messages.insert().values(
                conversation_id=conv.id, channel=conv.channel, session=conv.session,
                user=conv.user, direction="agent", text=text, lang=conv.lang,
                agent_id=agent.id, at=now).returning(messages.c.id)).scalar_one()
            db.execute(conversations.update().where(conversations.c.id == conv.id)
                       .values(updated_at=now))
            records.write_audit(db, action="reply", agent_id=agent.id, login=agent.login,
                                target=f"conversation:{conv.id}", at=now)
        self.notifier.bump()
        self._send(conv, text, f"agent:msg:{message_id}")
        return message_id

    def transfer(self, conv_id: int, agent: Agent, to: int | None) -> Conv:
        """Give the conversation to a colleague (``to``), or back to the queue (None)."""
        conv = self._mine(conv_id, agent)
        target = None
        if to is not None:
            target = self.accounts.get(to)
            if target is None or not target.active:
                raise DeskError("no such colleague", 400)
            if target.id == conv.agent_id:
                raise DeskError("this colleague already has the conversation", 400)
        now = self.clock()
        with self.engine.begin() as db:
            values: dict[str, object]
            if target is None:
                values = dict(status="waiting", agent_id=None, assigned_at=None)
            else:
                values = dict(status="active", agent_id=target.id, assigned_at=now)
            db.execute(conversations.update().where(conversations.c.id == conv.id)
                       .values(updated_at=now, **values))
            db.execute(handoffs.update().where(handoffs.c.conversation_id == conv.id)
                       .values(agent_id=target.id if target else None))
            records.write_audit(db, action="transfer", agent_id=agent.id, login=agent.login,
                                target=f"conversation:{conv.id}",
                                detail=f"to={target.login if target else 'queue'}", at=now)
        self.notifier.bump()
        if target is not None:
            self._tell(conv, "transferred", agent, name=target.display_name)
        return self._require(conv.id)

    def close(self, conv_id: int, agent: Agent) -> Conv:
        """Hand the conversation back to the bot: the citizen is told, then asked for a 1-5."""
        conv = self._require(conv_id)
        if conv.status == "closed":
            raise DeskError("already closed")
        if not agent.is_supervisor and conv.agent_id != agent.id:
            raise DeskError("only the agent who has it or a supervisor can close it", 403)
        self._finish(conv.id, outcome="handed_back", ask=True, agent=agent)
        # one message, so the question cannot arrive before the news on a queued channel
        self._tell(conv, "handed_back", agent, then="satisfaction")
        return self._require(conv.id)

    # -- callbacks -------------------------------------------------------------------------

    def callbacks(self, agent: Agent, statuses: tuple[str, ...] = ("open", "taken")) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(callbacks).where(callbacks.c.status.in_(statuses))
                              .order_by(callbacks.c.id).limit(500)).all()
        names = {a.id: a.display_name for a in self.accounts.all()}
        spoken = self.accounts.spoken()
        out = []
        for row in rows:
            item = dict(row._mapping)
            item["agent_name"] = names.get(item["agent_id"])
            if (agent.is_supervisor or agent.speaks(item["lang"]) or item["agent_id"] == agent.id
                    or not spoken.get(item["lang"])):
                out.append(item)
        return out

    def take_callback(self, callback_id: int, agent: Agent) -> None:
        now = self.clock()
        with self.engine.begin() as db:
            done = db.execute(callbacks.update().where(
                callbacks.c.id == callback_id, callbacks.c.status == "open",
            ).values(status="taken", agent_id=agent.id, updated_at=now))
            if not done.rowcount:
                raise DeskError("this callback is no longer open")
            records.write_audit(db, action="take_callback", agent_id=agent.id,
                                login=agent.login, target=f"callback:{callback_id}", at=now)
        self.notifier.bump()

    def finish_callback(self, callback_id: int, agent: Agent, note: str = "",
                        status: str = "done") -> None:
        if status not in ("done", "cancelled"):
            raise DeskError("status: done or cancelled", 400)
        now = self.clock()
        with self.engine.begin() as db:
            query = callbacks.update().where(callbacks.c.id == callback_id,
                                             callbacks.c.status.in_(("open", "taken")))
            if not agent.is_supervisor:
                query = query.where(sa.or_(callbacks.c.agent_id == agent.id,
                                           callbacks.c.agent_id.is_(None)))
            done = db.execute(query.values(status=status, agent_id=agent.id, note=note[:1000],
                                           updated_at=now, done_at=now))
            if not done.rowcount:
                raise DeskError("this callback is not yours or already done")
            records.write_audit(db, action=f"callback_{status}", agent_id=agent.id,
                                login=agent.login, target=f"callback:{callback_id}", at=now)
        self.notifier.bump()

    # -- figures ---------------------------------------------------------------------------

    def stats(self) -> dict:
        """The supervisor's figures: waiting now, longest wait, handled today, average
        handling time and satisfaction today, and each agent's load."""
        now = self.clock()
        today = self.office.start_of_day(now).astimezone(dt.UTC)
        with self.engine.connect() as db:
            waiting = db.execute(sa.select(conversations.c.created_at)
                                 .where(conversations.c.status == "waiting")).scalars().all()
            active = db.execute(sa.select(conversations.c.agent_id)
                                .where(conversations.c.status == "active")).scalars().all()
            closed = db.execute(sa.select(handoffs).where(handoffs.c.closed_at >= today)).all()
            open_callbacks = db.execute(sa.select(sa.func.count()).select_from(callbacks)
                                        .where(callbacks.c.status == "open")).scalar_one()
        handled = [r._mapping for r in closed if r._mapping["outcome"] == "handed_back"]
        durations = [(h["closed_at"] - h["taken_at"]).total_seconds()
                     for h in handled if h["taken_at"]]
        scores = [h["satisfaction"] for h in handled if h["satisfaction"]]
        per_agent = []
        for agent in self.accounts.all():
            mine = [h for h in handled if h["agent_id"] == agent.id]
            if agent.active or mine:
                per_agent.append({
                    "login": agent.login, "name": agent.display_name, "role": agent.role,
                    "languages": ",".join(agent.languages),
                    "active": sum(1 for a in active if a == agent.id), "handled": len(mine),
                    "online": bool(agent.last_seen_at and (now - agent.last_seen_at)
                                   .total_seconds() < 120)})
        return {
            "waiting": len(waiting),
            "longest_wait": int(max(((now - c).total_seconds() for c in waiting), default=0)),
            "active": len(active),
            "handled_today": len(handled),
            "average_handling": int(sum(durations) / len(durations)) if durations else None,
            "satisfaction": round(sum(scores) / len(scores), 2) if scores else None,
            "ratings": len(scores),
            "callbacks_open": open_callbacks,
            "agents": per_agent,
        }

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

    def fingerprint(self) -> tuple:
        """Changes whenever something an agent's screen shows changes (any process)."""
        with self.engine.connect() as db:
            return tuple(db.execute(sa.select(
                sa.select(sa.func.max(conversations.c.updated_at)).scalar_subquery(),
                sa.select(sa.func.max(conversations.c.id)).scalar_subquery(),
                sa.select(sa.func.max(callbacks.c.updated_at)).scalar_subquery(),
                sa.select(sa.func.count()).select_from(handoffs)
                .where(handoffs.c.satisfaction.is_not(None)).scalar_subquery(),
            )).one())

    # -- audit, retention, export ----------------------------------------------------------

    def audit(self, agent: Agent | None, action: str, target: str | None = None,
              detail: str | None = None, ip: str | None = None) -> None:
        with self.engine.begin() as db:
            records.write_audit(db, action=action, agent_id=agent.id if agent else None,
                                login=agent.login if agent else None, target=target,
                                detail=detail, ip=ip, at=self.clock())

    def audit_log(self, limit: int = 200) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(records.audit).order_by(records.audit.c.id.desc())
                              .limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def purge(self, days: int | None = None) -> dict[str, int]:
        """The call-centre's part of the retention purge (see :mod:`channels.agent.retention`):
        transcripts and identities older than ``days`` (default: the transcript retention)."""
        from channels.agent.retention import purge_agent_records

        return purge_agent_records(
            self.engine, now=self.clock(),
            transcript_days=self.retention_days if days is None else days)

    def export(self, days: int = 30) -> list[dict]:
        """The transcripts of the last ``days``, personal data masked (phones, NPI, ids)."""
        since = self.clock() - dt.timedelta(days=days)
        query = (sa.select(messages, conversations.c.status.label("conversation_status"),
                           handoffs.c.satisfaction)
                 .select_from(messages.outerjoin(
                     conversations, messages.c.conversation_id == conversations.c.id)
                     .outerjoin(handoffs, handoffs.c.conversation_id == conversations.c.id))
                 .where(messages.c.at >= since).order_by(messages.c.id))
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [{
            "at": r.at.isoformat(), "conversation": r.conversation_id, "channel": r.channel,
            "user": records.mask_user(r.user), "direction": r.direction, "lang": r.lang,
            "intent": r.intent or "", "procedure": r.procedure or "",
            "text": redact_text(r.text), "satisfaction": r.satisfaction or "",
        } for r in rows]

    # -- internals -------------------------------------------------------------------------

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

    def _send(self, conv: Conv, text: str, key: str) -> None:
        """Out on the conversation's channel, as the agent speaking."""
        self.outbound.send(Outgoing(conv.channel, address(conv.channel, conv.user, conv.session),
                                    text, conv.lang, key, author="agent"))

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
        try:
            self._send(conv, text, f"agent:{key}:{message_id}")
        except NoRoute:
            log.warning("citizen not told: no sender for the channel",
                        extra={"channel": conv.channel, "what": key})
        except Exception:  # telling must never undo what the agent did
            log.exception("citizen not told", extra={"channel": conv.channel, "what": key})


def build_desk(settings, engine: sa.Engine, senders: Senders | None = None,
               store=None) -> HandoffDesk:
    """The desk the composition root wires in: schema brought to head, settings applied;
    ``senders`` reach the citizens (none: a desk that only reads, for the CLI);
    ``store`` (the session store) keeps the recent exchanges a hand-off would need."""
    from channels.agent import migrate

    migrate.upgrade(engine)
    clock = records.now
    recent = RecentExchanges(store if store is not None else MemoryStore(),
                             settings.retention_bot_exchanges_hours * 3600)
    return HandoffDesk(
        engine,
        hours=OfficeHours.parse(settings.office_hours, settings.office_timezone),
        outbound=senders if senders is not None else Senders(),
        accounts=Accounts(engine, clock=clock, max_failures=settings.agent_max_failures,
                          lockout_minutes=settings.agent_lockout_minutes),
        retention_days=settings.transcript_retention_days,
        default_handle_minutes=settings.handoff_default_minutes,
        clock=clock,
        recent=recent,
    )
