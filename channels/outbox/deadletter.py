"""Operator commands for messages no retry will send (``make dead-letter``).

Every channel's messages share the outbox and its dead-letter list.

``list`` shows dead-lettered messages (retries exhausted, or ``uncertain``: a send that stopped
mid-call, which the provider may or may not have taken); ``replay KEY`` sends one again after an
operator has decided to, through its channel's sender (found by the record's channel in the
:class:`dialogs.sender.Senders` router, whatever the channel); ``resume`` answers incoming SMS
that were recorded but never answered (a process that died).  Phone numbers are masked.

The commands run inside the application's context, where the runtime is: ``flask --app
'channels.app:create_app()' dead-letter list`` (the app factory registers :data:`command`), or
:func:`main` from code that pushed a context.
"""

from __future__ import annotations

import argparse
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from channels.outbox.replay import Replays
from channels.queue import ThreadQueue
from channels.tasks import resume_unfinished
from dialogs.sender import NoRoute
from integrations.privacy import mask_digits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dead-letter", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="dead-lettered messages")
    replay = commands.add_parser("replay", help="send a dead-lettered message again")
    replay.add_argument("key")
    commands.add_parser("resume", help="answer incoming SMS left unanswered")
    args = parser.parse_args(argv)
    rt = current_app.extensions["guichet"]
    if args.command == "list":
        letters = rt.messages.dead_letters()
        for m in letters:
            print(f"{m.key}\t{m.channel}\t{mask_digits(m.recipient)}\t{m.status}\t"
                  f"{m.attempts}\t{m.error or ''}")
        print(f"{len(letters)} message(s)", file=sys.stderr)
        return 0
    if args.command == "replay":
        return _replay(rt, args.key)
    print(f"queued {resume_unfinished(rt.inbox, rt.queue)} unanswered SMS")
    _drain(rt)
    return 0


def _replay(rt, key: str) -> int:
    message = rt.messages.reopen(key)
    if message is None or message.status != "pending":
        print(f"no dead-lettered message with key {key!r}", file=sys.stderr)
        return 1
    try:
        sender = rt.senders.route(message.channel)
    except NoRoute:
        sender = None
    if not isinstance(sender, Replays):
        print(f"no sender can replay a {message.channel} message", file=sys.stderr)
        return 1
    status = sender.replay(message)
    _drain(rt)
    print(f"{status} {key}")
    return 0


def _drain(rt) -> None:
    """In embedded mode the work runs in this process's threads: let it finish before exit."""
    if isinstance(rt.queue, ThreadQueue):
        rt.queue.drain(60)


@click.command("dead-letter", context_settings={"ignore_unknown_options": True,
                                                "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def command(args: tuple[str, ...]) -> None:
    """Messages no retry will send: list | replay KEY | resume."""
    sys.exit(main(list(args)))
