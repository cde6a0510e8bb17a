"""The command line operators create and manage call-centre accounts with (``make agent-add``).

    python -m channels.agent.accounts add --login awa --name "Awa D." --role agent \\
        --languages fr,fon [--topics passeport,casier-judiciaire] [--password-stdin]
    python -m channels.agent.accounts list | passwd --login awa | unlock --login awa |
        disable --login awa

Without ``--password-stdin`` the password is asked twice on the terminal (``AGENT_PASSWORD`` also
works, for scripts).  The schema is ``make db-upgrade``'s business (the make targets run it
first): this edge only writes accounts, through :class:`dialogs.desk.accounts.Accounts`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

import sqlalchemy as sa

from channels.config import Settings
from dialogs.desk.accounts import AccountError, Accounts
from dialogs.desk.records import ROLES


def _password(args: argparse.Namespace) -> str:
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


def _engine(url: str) -> sa.Engine:
    """A plain engine: a short-lived command needs none of the service's pool settings; on
    SQLite it waits for a busy writer as the service does."""
    if sa.make_url(url).get_backend_name() == "sqlite":
        return sa.create_engine(url, connect_args={"timeout": 15}, hide_parameters=True)
    return sa.create_engine(url, hide_parameters=True)


def _parser() -> argparse.ArgumentParser:
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
    return parser


def _run(store: Accounts, args: argparse.Namespace, by: str) -> None:
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    engine = _engine(Settings.from_env().database_url)
    try:
        _run(Accounts(engine), args, f"cli:{getpass.getuser()}")
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        print(f"error: the database is not ready ({type(exc).__name__}): run make db-upgrade",
              file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
