"""Operator commands for messages no retry will send (``make sms-dead-letter``).

SMS and WhatsApp messages share the message log and its dead-letter list.

``list`` shows dead-lettered messages (retries exhausted, or ``uncertain``: a send that stopped
mid-call, which the provider may or may not have taken); ``replay KEY`` sends one again after an
operator has decided to; ``resume`` answers incoming SMS that were recorded but never answered
(a process that died).  Phone numbers are masked in the listing.
"""

from __future__ import annotations

import argparse
import json
import sys

from channels import runtime
from channels.tasks import handle_sms, send_sms
from channels.whatsapp.tasks import send_message as send_whatsapp
from integrations.privacy import mask_digits


def resume_unfinished(rt: runtime.Runtime) -> int:
    """Queue again every incoming SMS still waiting for an answer; returns how many."""
    waiting = rt.inbox.unfinished()
    for message in waiting:
        rt.queue.enqueue(handle_sms, message_id=message.id)
    return len(waiting)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="dead-lettered messages")
    replay = commands.add_parser("replay", help="send a dead-lettered message again")
    replay.add_argument("key")
    commands.add_parser("resume", help="answer incoming SMS left unanswered")
    args = parser.parse_args(argv)
    rt = runtime.current()
    if args.command == "list":
        letters = rt.messages.dead_letters()
        for m in letters:
            print(f"{m.key}\t{mask_digits(m.recipient)}\t{m.status}\t{m.attempts}\t{m.error or ''}")
        print(f"{len(letters)} message(s)", file=sys.stderr)
        return 0
    if args.command == "replay":
        message = rt.messages.reopen(args.key)
        if message is None or message.status != "pending":
            print(f"no dead-lettered message with key {args.key!r}", file=sys.stderr)
            return 1
        if message.channel == "whatsapp":  # the body is the Graph API message itself
            rt.queue.enqueue(send_whatsapp, user=message.recipient, lang=message.lang,
                             message=json.loads(message.body), key=message.key)
        else:
            rt.queue.enqueue(send_sms, user=message.recipient, text=message.body,
                             lang=message.lang, key=message.key)
        print(f"queued {args.key}")
        return 0
    print(f"queued {resume_unfinished(rt)} unanswered SMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
