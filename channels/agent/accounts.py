"""Agent and supervisor accounts: hashed passwords, lock-out after repeated failures, and the
command line that creates them.

    python -m channels.agent.accounts add --login awa --name "Awa D." --role agent \
        --languages fr,fon [--topics passeport,casier-judiciaire] [--password-stdin]
    python -m channels.agent.accounts list | passwd --login awa | unlock --login awa |
        disable --login awa

Passwords are hashed with werkzeug's ``generate_password_hash`` (scrypt); without
``--password-stdin`` the password is asked twice on the terminal (``AGENT_PASSWORD`` also works,
for scripts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import hashlib
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from channels.agent import records
from channels.agent.records import ROLES, accounts, sessions

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
ONLINE_SECONDS = 120
"""An agent whose console was seen this recently counts as online (for wait estimates)."""
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


class AccountError(ValueError):
    pass


@dataclass(frozen=True)
class Agent:
    id: int
    login: str
    display_name: str
    role: str
    languages: tuple[str, ...]
    topics: tuple[str, ...]
    active: bool
    session_nonce: str
    locked_until: dt.datetime | None = None
    failed_attempts: int = 0
    last_seen_at: dt.datetime | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    def speaks(self, lang: str) -> bool:
        return not self.languages or lang in self.languages


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in (value or "").split(",") if p.strip())


def _digest(token: str) -> str:
    """What the database keeps of a session id: a leaked table opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def _agent(row: sa.Row) -> Agent:
    m = row._mapping
    return Agent(id=m["id"], login=m["login"], display_name=m["display_name"], role=m["role"],
                 languages=_split(m["languages"]), topics=_split(m["topics"]),
                 active=bool(m["active"]), session_nonce=m["session_nonce"],
                 locked_until=m["locked_until"], failed_attempts=m["failed_attempts"],
                 last_seen_at=m["last_seen_at"])


@dataclass(frozen=True)
class LoginResult:
    agent: Agent | None
    problem: str | None = None
    """``bad`` (unknown login or wrong password), ``locked``, ``disabled``."""


class Accounts:
    def __init__(self, engine: sa.Engine, *, clock: Callable[[], dt.datetime] = records.now,
                 max_failures: int = 5, lockout_minutes: int = 15) -> None:
        self.engine = engine
        self.clock = clock
        self.max_failures = max_failures
        self.lockout = dt.timedelta(minutes=lockout_minutes)

    def add(self, *, login: str, password: str, display_name: str | None = None,
            role: str = "agent", languages: str | list[str] = "fr",
            topics: str | list[str] = "", by: str | None = None) -> Agent:
        login = login.strip().lower()
        if not LOGIN.match(login):
            raise AccountError("login: 2 to 64 lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"role: one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password: at least {MIN_PASSWORD} characters")
        langs = ",".join(_split(languages if isinstance(languages, str) else ",".join(languages)))
        tops = ",".join(_split(topics if isinstance(topics, str) else ",".join(topics)))
        now = self.clock()
        with self.engine.begin() as db:
            try:
                db.execute(accounts.insert().values(
                    login=login, display_name=(display_name or login).strip()[:120],
                    password_hash=generate_password_hash(password), role=role, languages=langs,
                    topics=tops, failed_attempts=0, active=True,
                    session_nonce=secrets.token_hex(8), created_at=now))
            except sa.exc.IntegrityError:
                raise AccountError(f"login {login!r} already exists") from None
            records.write_audit(db, action="account_created", login=by, target=login,
                                detail=f"role={role} languages={langs}", at=now)
        agent = self.by_login(login)
        assert agent is not None
        return agent

    def get(self, agent_id: int) -> Agent | None:
        if not 0 < agent_id <= records.MAX_ID:  # no such row; the driver would raise
            return None
        with self.engine.connect() as db:
            row = db.execute(sa.select(accounts).where(accounts.c.id == agent_id)).first()
        return _agent(row) if row else None

    def by_login(self, login: str) -> Agent | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(accounts).where(
                accounts.c.login == login.strip().lower())).first()
        return _agent(row) if row else None

    def all(self) -> list[Agent]:
        with self.engine.connect() as db:
            rows = db.execute(sa.select(accounts).order_by(accounts.c.login)).all()
        return [_agent(r) for r in rows]

    def authenticate(self, login: str, password: str, *, ip: str | None = None) -> LoginResult:
        """Check a login; count failures and lock the account after ``max_failures`` of them.

        The attempt is counted *before* the password is checked, in one ``UPDATE ... RETURNING``
        that also sets the lock when the count reaches ``max_failures``: concurrent guesses each
        get their own number from the database, so at most ``max_failures`` passwords are ever
        checked per lock-out period (a read-add-write in Python let 30 parallel guesses through
        without locking).  A right password clears the count and the lock.
        """
        now = self.clock()
        login = (login or "").strip().lower()[:64]
        nth = accounts.c.failed_attempts + 1
        reaches = nth >= self.max_failures
        until = sa.literal(now + self.lockout, records.UTCDateTime)
        claim = (accounts.update()
                 .where(accounts.c.login == login,
                        sa.or_(accounts.c.locked_until.is_(None),
                               accounts.c.locked_until <= sa.literal(now, records.UTCDateTime)))
                 .values(failed_attempts=sa.case((reaches, 0), else_=nth),
                         locked_until=sa.case((reaches, until), else_=None))
                 .returning(accounts.c.id, accounts.c.password_hash, accounts.c.active,
                            accounts.c.locked_until, accounts.c.failed_attempts))
        with self.engine.begin() as db:
            row = db.execute(claim).first()
            if row is None:
                known = db.execute(sa.select(accounts.c.id)
                                   .where(accounts.c.login == login)).scalar()
                if known is not None:
                    records.write_audit(db, action="login_refused_locked", agent_id=known,
                                        login=login, ip=ip, at=now)
                    return LoginResult(None, "locked")
        if row is None:
            check_password_hash(_DUMMY_HASH, password)  # same time as a known login
            with self.engine.begin() as db:
                records.write_audit(db, action="login_failed", login=login, ip=ip, at=now,
                                    detail="unknown login")
            return LoginResult(None, "bad")
        # the hash is checked outside any transaction: no row lock held for 0.1 s
        locked_now = row.locked_until is not None
        if not check_password_hash(row.password_hash, password):
            action = "account_locked" if locked_now else "login_failed"
            failures = self.max_failures if locked_now else row.failed_attempts
            with self.engine.begin() as db:
                records.write_audit(db, action=action, agent_id=row.id, login=login, ip=ip,
                                    at=now, detail=f"failures={failures}")
            return LoginResult(None, "locked" if locked_now else "bad")
        with self.engine.begin() as db:
            db.execute(accounts.update().where(accounts.c.id == row.id).values(
                failed_attempts=0, locked_until=None,
                **({"last_login_at": now, "last_seen_at": now} if row.active else {})))
            if not row.active:
                records.write_audit(db, action="login_refused_disabled", agent_id=row.id,
                                    login=login, ip=ip, at=now)
                return LoginResult(None, "disabled")
            records.write_audit(db, action="login", agent_id=row.id, login=login, ip=ip,
                                at=now)
        return LoginResult(self.get(row.id))

    def seen(self, agent_id: int) -> None:
        """The agent's console is open (online agents shorten the estimated wait)."""
        with self.engine.begin() as db:
            db.execute(accounts.update().where(accounts.c.id == agent_id)
                       .values(last_seen_at=self.clock()))

    def online(self, lang: str | None = None) -> list[Agent]:
        since = self.clock() - dt.timedelta(seconds=ONLINE_SECONDS)
        with self.engine.connect() as db:
            rows = db.execute(sa.select(accounts).where(
                accounts.c.active.is_(True), accounts.c.last_seen_at >= since)).all()
        found = [_agent(r) for r in rows]
        return [a for a in found if lang is None or a.speaks(lang)]

    def spoken(self) -> dict[str, int]:
        """How many active accounts speak each language (an empty list counts for none)."""
        counts: dict[str, int] = {}
        for agent in self.all():
            if agent.active:
                for lang in agent.languages:
                    counts[lang] = counts.get(lang, 0) + 1
        return counts

    def end_sessions(self, agent_id: int) -> None:
        """Log the agent out everywhere: every session cookie carries the old nonce."""
        with self.engine.begin() as db:
            db.execute(accounts.update().where(accounts.c.id == agent_id)
                       .values(session_nonce=secrets.token_hex(8)))
            db.execute(sessions.update().where(sessions.c.agent_id == agent_id,
                                               sessions.c.ended_at.is_(None))
                       .values(ended_at=self.clock()))

    # -- server-side sessions: the cookie holds a random id, the database whether it lives

    def open_session(self, agent_id: int) -> str:
        """A new session for a login; returns the secret id the cookie carries."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as db:
            db.execute(sessions.insert().values(id=_digest(token), agent_id=agent_id,
                                                created_at=self.clock()))
        return token

    def session_alive(self, token: str | None, agent_id: int) -> bool:
        """True while the session was opened for this agent and not ended (logout)."""
        if not token:
            return False
        with self.engine.connect() as db:
            return db.execute(sa.select(sessions.c.id).where(
                sessions.c.id == _digest(token), sessions.c.agent_id == agent_id,
                sessions.c.ended_at.is_(None))).first() is not None

    def end_session(self, token: str | None) -> None:
        """Logout: this session id is refused from now on, whoever holds a copy."""
        if not token:
            return
        with self.engine.begin() as db:
            db.execute(sessions.update().where(sessions.c.id == _digest(token),
                                               sessions.c.ended_at.is_(None))
                       .values(ended_at=self.clock()))

    def set_password(self, login: str, password: str, *, by: str | None = None) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password: at least {MIN_PASSWORD} characters")
        self._update(login, "password_changed", by, password_hash=generate_password_hash(password),
                     session_nonce=secrets.token_hex(8), failed_attempts=0, locked_until=None)

    def unlock(self, login: str, *, by: str | None = None) -> None:
        self._update(login, "account_unlocked", by, failed_attempts=0, locked_until=None)

    def disable(self, login: str, *, by: str | None = None) -> None:
        self._update(login, "account_disabled", by, active=False,
                     session_nonce=secrets.token_hex(8))

    def _update(self, login: str, action: str, by: str | None, **values) -> None:
        login = login.strip().lower()
        with self.engine.begin() as db:
            done = db.execute(accounts.update().where(accounts.c.login == login).values(**values))
            if not done.rowcount:
                raise AccountError(f"no account {login!r}")
            records.write_audit(db, action=action, login=by, target=login, at=self.clock())


# -- command line -------------------------------------------------------------------------


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("AGENT_PASSWORD"):
        return os.environ["AGENT_PASSWORD"]
    if not sys.stdin.isatty():
        raise AccountError("no terminal: use --password-stdin or AGENT_PASSWORD")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise AccountError("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    from channels.agent import migrate
    from channels.config import Settings
    from channels.outbox import engine_for

    parser = argparse.ArgumentParser(prog="python -m channels.agent.accounts",
                                     description="Call-centre accounts")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("--login", required=True)
    add.add_argument("--name", help="display name (default: the login)")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--languages", default="fr", help="comma-separated, e.g. fr,fon")
    add.add_argument("--topics", default="", help="comma-separated procedure slugs or themes")
    add.add_argument("--password-stdin", action="store_true")
    pw = sub.add_parser("passwd", help="set a new password (ends the account's sessions)")
    pw.add_argument("--login", required=True)
    pw.add_argument("--password-stdin", action="store_true")
    for name, help_ in (("unlock", "lift a lock-out"), ("disable", "disable an account")):
        cmd = sub.add_parser(name, help=help_)
        cmd.add_argument("--login", required=True)
    sub.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    engine = engine_for(settings.database_url)
    migrate.upgrade(engine)
    store = Accounts(engine)
    by = f"cli:{getpass.getuser()}"
    try:
        if args.command == "add":
            agent = store.add(login=args.login, password=_password(args), role=args.role,
                              display_name=args.name, languages=args.languages,
                              topics=args.topics, by=by)
            print(f"created {agent.login} ({agent.role}, {','.join(agent.languages) or 'all'})")
        elif args.command == "passwd":
            store.set_password(args.login, _password(args), by=by)
            print(f"password of {args.login} changed")
        elif args.command == "unlock":
            store.unlock(args.login, by=by)
            print(f"{args.login} unlocked")
        elif args.command == "disable":
            store.disable(args.login, by=by)
            print(f"{args.login} disabled")
        else:
            for agent in store.all():
                state = "active" if agent.active else "disabled"
                print(f"{agent.login}\t{agent.role}\t{','.join(agent.languages)}\t"
                      f"{','.join(agent.topics)}\t{state}")
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
