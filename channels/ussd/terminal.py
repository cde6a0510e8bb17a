"""Dial the running service from a terminal, as a feature phone through Africa's Talking would.

``make ussd`` (or ``python -m channels.ussd.terminal --url http://127.0.0.1:8000``) shows each
screen in a 160-character box; type a number and Enter.  ``/dial`` (or Enter on an ended
session) dials again, ``/code *202*3#`` dials a shortcut, ``/quit`` leaves.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import uuid

import requests

WIDTH = 24


def draw(screen: str, ended: bool) -> str:
    """A phone-like box around the screen text."""
    lines = []
    for line in screen.split("\n"):
        lines.extend(textwrap.wrap(line, WIDTH) or [""])
    top = "+" + "-" * (WIDTH + 2) + "+"
    body = [f"| {line.ljust(WIDTH)} |" for line in lines]
    footer = f"  [{len(screen)}/160{' - session ended' if ended else ''}]"
    return "\n".join([top, *body, top, footer])


class Session:
    def __init__(self, url: str, phone: str, code: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/") + "/ussd"
        self.phone = phone
        self.code = code
        self.timeout = timeout
        self.id = ""
        self.inputs: list[str] = []

    def dial(self, code: str | None = None) -> tuple[str, bool]:
        self.id = f"ATUid_{uuid.uuid4().hex[:16]}"
        self.inputs = []
        return self._hop(code or self.code)

    def send(self, key: str) -> tuple[str, bool]:
        self.inputs.append(key)
        return self._hop(self.code)

    def _hop(self, code: str) -> tuple[str, bool]:
        response = requests.post(self.url, timeout=self.timeout, data={
            "sessionId": self.id, "serviceCode": code, "phoneNumber": self.phone,
            "networkCode": "61601", "text": "*".join(self.inputs)})
        body = response.text
        if response.status_code != 200 or not body.startswith(("CON ", "END ")):
            return f"Network error ({response.status_code})", True
        return body[4:], body.startswith("END ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--phone", default="+2290197000000")
    parser.add_argument("--code", default="*202#")
    args = parser.parse_args(argv)
    session = Session(args.url, args.phone, args.code)
    print(f"Dialling {args.code} as {args.phone} on {args.url} (/quit to leave)")
    try:
        screen, ended = session.dial()
        while True:
            print(draw(screen, ended))
            key = input("> " if not ended else "Enter to dial again > ").strip()
            if key == "/quit":
                return 0
            if ended or key == "/dial":
                screen, ended = session.dial()
            elif key.startswith("/code "):
                screen, ended = session.dial(key.split(maxsplit=1)[1])
            else:
                screen, ended = session.send(key)
    except requests.RequestException as exc:
        print(f"Cannot reach {args.url}: {exc}. Is `make run` running?", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print()
        return 0


if __name__ == "__main__":
    sys.exit(main())
