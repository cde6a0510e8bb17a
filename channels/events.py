"""Keeps the insights' event records off the hop's path: an in-process buffer written to the
database in batches by a background thread (and counted for Prometheus there).

:meth:`EventRecorder.record` is what the dialog manager calls in a hop: one ``deque.append``
(no I/O, no lock, no formatting).  Every ``interval`` seconds (one), or as soon as ``batch``
events wait, the thread hashes the session ids (keyed with the secret, so the hops of
one USSD session served by different workers count as one caller), masks the unanswered questions
(:func:`dialogs.insights.mask.mask_question`), counts the Prometheus figures with bounded
labels, and inserts the batch in one statement.  If the database is down the batch is kept
and tried again; past ``max_buffer`` waiting events the oldest are dropped (and counted), so
an outage never grows memory without bound.  Each process (web worker, RQ worker) has its own
buffer; :meth:`flush` is called at shutdown and before the supervisor's page reads.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from prometheus_client import Counter

from channels import metrics
from dialogs.insights import store
from dialogs.insights.events import Event
from dialogs.insights.labels import INTENTS
from dialogs.insights.mask import mask_question, vocabulary

log = logging.getLogger(__name__)

DROPPED = Counter("guichet_insight_events_dropped_total",
                  "Insight events dropped because the database stayed unavailable too long")
CATALOGUE_REFRESH = 300.0
"""How often the set of procedure slugs allowed as a metric label is read again."""


class EventRecorder:
    """The :class:`dialogs.insights.Recorder` of a process: buffer, batch, write."""

    def __init__(self, engine: sa.Engine, secret: str, *, languages: Iterable[str] = (),
                 procedures: Callable[[], Iterable[str]] = lambda: (),
                 words: Callable[[], Iterable[str]] = lambda: (),
                 interval: float = 1.0, batch: int = 500, max_buffer: int = 100_000) -> None:
        self.engine = engine
        self._hash_key = hashlib.sha256(("insights:" + secret).encode()).digest()
        self._hashes: dict[tuple, str] = {}
        self.languages = frozenset(languages)
        self._procedures = procedures
        self._slugs: frozenset[str] = frozenset()
        self._slugs_at = 0.0
        self._words = words
        self._known: frozenset[str] | None = None
        self.interval = interval
        self.batch = batch
        self.max_buffer = max_buffer
        self._buffer: collections.deque[Event] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- the hop's side ------------------------------------------------------------------------

    def record(self, event: Event) -> None:
        self._buffer.append(event)
        if len(self._buffer) >= self.batch:
            self._wake.set()

    # -- the background side -------------------------------------------------------------------

    def start(self) -> EventRecorder:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="insight-events", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # keep the thread alive; the batch is tried again
                log.exception("could not write insight events")

    def flush(self) -> int:
        """Write every waiting event now; returns how many were written."""
        written = 0
        with self._lock:
            while self._buffer:
                batch = [self._buffer.popleft()
                         for _ in range(min(len(self._buffer), self.batch * 4))]
                sqlite_db = self.engine.dialect.name == "sqlite"
                values = [self._values(e, sqlite_db) for e in batch]
                try:
                    with self.engine.begin() as db:
                        store.write_values(db, values)
                except Exception:
                    self._buffer.extendleft(reversed(batch))
                    self._trim()
                    raise
                self._count(batch)
                written += len(batch)
        return written

    def _trim(self) -> None:
        while len(self._buffer) > self.max_buffer:
            self._buffer.popleft()
            DROPPED.inc()

    def session_hash(self, channel: str, session: str, day: dt.date) -> str:
        """A keyed hash of the session, changing every day: a funnel needs one session's
        events together, nothing needs a citizen's sessions linked across days (a USSD
        session is one call: its hash does not change at midnight).  A session's hops come
        together: the last few hashes are remembered."""
        if channel == "ussd":
            # A gateway session id names one call of a few minutes: nothing to unlink across
            # days, and a call over midnight must stay one caller in the funnel.
            day = dt.date.min
        ident = (channel, session, day)
        found = self._hashes.get(ident)
        if found is None:
            if len(self._hashes) > 4096:
                self._hashes.clear()
            found = self._hashes[ident] = hashlib.blake2b(
                f"{channel}:{session}:{day.isoformat()}".encode(), key=self._hash_key,
                digest_size=8).hexdigest()
        return found

    def known_words(self) -> frozenset[str]:
        if self._known is None:
            try:
                self._known = vocabulary(self._words())
            except Exception:  # no vocabulary: capitalised words are all masked, safer
                log.exception("could not read the vocabulary for masking")
                self._known = vocabulary(())
        return self._known

    def _values(self, e: Event, sqlite_db: bool) -> tuple:
        """The event as a row of :data:`store.COLUMNS`, straight to the driver (no dict, one
        time conversion: this runs once per exchange)."""
        text = mask_question(e.raw, self.known_words()) if e.raw and e.answered is False \
            else None
        at = dt.datetime.fromtimestamp(e.at or time.time(), dt.UTC)
        return (store.driver_time(at, sqlite_db), e.channel[:20], (e.lang or "")[:8],
                e.kind[:10], self.session_hash(e.channel, e.session, at.date()),
                _cut(e.intent, 40), _cut(e.procedure, 100), _cut(e.aspect, 20),
                _cut(e.state, 40), _cut(e.eservice, 100), _cut(e.step, 60), e.step_no,
                e.answered, _cut(e.handoff, 40), _cut(e.outcome, 20), text or None)

    # -- Prometheus, with bounded labels ---------------------------------------------------------

    def slugs(self) -> frozenset[str]:
        now = time.monotonic()
        if now - self._slugs_at > CATALOGUE_REFRESH or not self._slugs:
            self._slugs_at = now
            try:
                self._slugs = frozenset(self._procedures())
            except Exception:  # the portal is away: keep the set we had
                log.warning("could not read the catalogue's slugs for metric labels")
        return self._slugs

    def _count(self, batch: list[Event]) -> None:
        """The batch's Prometheus counts: label sets counted here, one ``inc`` each."""
        counts: collections.Counter = collections.Counter()
        slugs = self.slugs()
        for e in batch:
            lang = e.lang if e.lang in self.languages else "other"
            channel = e.channel if e.channel in CHANNELS else "other"
            kind = e.kind if e.kind in KINDS else "other"
            counts[(metrics.EXCHANGES, (channel, lang, kind))] += 1
            if e.kind == "question":
                intent = e.intent if e.intent in INTENTS else "other"
                procedure = e.procedure if e.procedure in slugs else (
                    "none" if e.procedure is None else "other")
                counts[(metrics.QUESTIONS, (channel, lang, intent, procedure,
                                            "no" if e.answered is False else "yes"))] += 1
            if e.handoff:
                reason = e.handoff if e.handoff in REASONS else "other"
                counts[(metrics.HANDOFFS, (channel, reason))] += 1
            if e.kind == "end" and e.channel == "ussd" and e.eservice and e.step != "submitted":
                eservice = e.eservice if e.eservice in slugs else "other"
                step = e.step if e.step_no is None or e.step_no <= 30 else "other"
                counts[(metrics.USSD_ABANDONED, (eservice, step or "other"))] += 1
        for (metric, labels), n in counts.items():
            metric.labels(*labels).inc(n)


CHANNELS = frozenset({"ussd", "sms", "whatsapp", "webchat"})
KINDS = frozenset({"question", "choice", "answer", "start", "end"})
REASONS = frozenset({"asked", "misunderstood", "keyword", "agent", "other"})


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value else None
