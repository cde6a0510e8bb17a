"""What agents do at the console: their queue (routed by language and topic), take, reply,
transfer, hand back, and the callbacks."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dialogs.desk import records
from dialogs.desk.accounts import Agent
from dialogs.desk.base import TRANSCRIPT_LIMIT, Conv, DeskBase, DeskError, _conv
from dialogs.desk.records import OPEN, callbacks, conversations, handoffs, messages


class AgentOps(DeskBase):
    """The console's operations; each checks the agent may do it and is audited."""

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
        if not self.reachable(conv.channel):
            raise DeskError(f"no way to reach a citizen on {conv.channel}", 502)
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
        self.senders.send(self._outgoing(conv, text, f"agent:msg:{message_id}"))
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

