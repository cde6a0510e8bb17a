"""The supervisor's figures, the audit log, the desk's retention purge and the masked export."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dialogs.desk import records
from dialogs.desk.base import DeskBase
from dialogs.desk.records import callbacks, conversations, handoffs, messages
from dialogs.desk.retention import purge_agent_records
from integrations.privacy import redact_text


class Figures(DeskBase):
    """Read-mostly views over the records, for supervisors and operators."""

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


    def audit_log(self, limit: int = 200) -> list[dict]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(records.audit).order_by(records.audit.c.id.desc())
                              .limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def purge(self, days: int | None = None) -> dict[str, int]:
        """The call-centre's part of the retention purge (see :mod:`dialogs.desk.retention`):
        transcripts and identities older than ``days`` (default: the transcript retention)."""
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

