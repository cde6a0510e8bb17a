"""The recent exchanges of a conversation with the bot, kept only in case a hand-off needs them.

Every message a citizen sends on a live channel (SMS, WhatsApp, web chat) used to be written to
``agent_messages`` and kept for the transcript retention (90 days), although most conversations
never reach a person.  Now an exchange with the bot goes to the session store (Redis, or memory
in the embedded mode) under a TTL of ``RETENTION_BOT_EXCHANGES_HOURS``, capped at the last
:data:`LIMIT` messages; only when a hand-off starts are they written to the records, attached to
the conversation the agent opens.  A conversation nobody handed off leaves nothing behind once
the TTL has run out.

They are kept per citizen (their number, or the web chat's id), not per session: an agent taking
an SMS conversation also sees what the same number asked on WhatsApp a moment earlier.
"""

from __future__ import annotations

import datetime as dt

from dialogs.handoff import Exchange
from dialogs.store import Store

LIMIT = 40
"""Messages kept per conversation: what an agent reads before answering, not a history."""
PREFIX = "handoff:recent:"


class RecentExchanges:
    """A short rolling transcript per (channel, session) in the session store."""

    def __init__(self, store: Store, ttl_seconds: int, limit: int = LIMIT) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self.limit = limit

    @staticmethod
    def key(user: str | None, channel: str, session: str) -> str:
        return f"{PREFIX}user:{user}" if user else f"{PREFIX}{channel}:{session}"

    def add(self, exchange: Exchange, at: dt.datetime) -> None:
        """Keep one exchange; the TTL starts again from the newest."""
        key = self.key(exchange.user, exchange.channel, exchange.session)
        (kept,) = self.store.get_many([key])
        items = list((kept or {}).get("items", []))
        items.append({"channel": exchange.channel, "session": exchange.session,
                      "user": exchange.user, "direction": exchange.direction,
                      "text": exchange.text or "", "intent": exchange.intent,
                      "procedure": exchange.procedure, "lang": exchange.lang,
                      "at": at.isoformat()})
        self.store.put_many({key: ({"items": items[-self.limit:]}, self.ttl)})

    def peek(self, user: str | None, channel: str, session: str) -> list[dict]:
        """The kept exchanges, oldest first (``at`` as an aware datetime)."""
        (kept,) = self.store.get_many([self.key(user, channel, session)])
        items = list((kept or {}).get("items", []))
        for item in items:
            item["at"] = dt.datetime.fromisoformat(item["at"])
        return items

    def forget(self, user: str | None, channel: str, session: str) -> None:
        """They are in the records now (or no longer wanted)."""
        self.store.put_many({self.key(user, channel, session): (None, None)})
