"""A feature phone as Africa's Talking's gateway sees it: dial, type, read the screen.

It builds ``text`` exactly like the gateway (every input so far joined by ``*``) and checks each
answer the way a handset would: 200, ``text/plain``, ``CON``/``END``, at most 160 GSM-7
characters.
"""

from __future__ import annotations

import itertools

from channels.gsm7 import is_gsm7

_ids = itertools.count(1)


class Phone:
    def __init__(self, client, number: str = "+2290197000001", code: str = "*202#",
                 max_len: int = 160) -> None:
        self.client = client
        self.number = number
        self.code = code
        self.max_len = max_len
        self.session = ""
        self.inputs: list[str] = []
        self.screen = ""
        self.ended = True

    def dial(self, code: str | None = None, first_text: str = "") -> str:
        self.session = f"ATUid_{next(_ids)}_{id(self)}"
        self.inputs = [first_text] if first_text else []
        return self._hop(code or self.code)

    def press(self, *keys: str) -> str:
        for key in keys:
            assert not self.ended, f"session already ended on: {self.screen!r}"
            self.inputs.append(key)
            self._hop(self.code)
        return self.screen

    def choose(self, number: str) -> str:
        """Press ``number`` on the page that shows it, paging (``98``, ``0``) to that page
        first, as a caller must: a page accepts only the numbers printed on it."""
        for _ in range(12):
            if any(line.split(" ", 1)[0] == number for line in self.screen.split("\n")):
                return self.press(number)
            self.press("98" if "\n98 " in "\n" + self.screen else "0")
        raise AssertionError(f"{number} is on no page of {self.screen!r}")

    def repeat(self) -> str:
        """The gateway re-sends the same hop (a retry)."""
        return self._hop(self.code)

    @property
    def text(self) -> str:
        return "*".join(self.inputs)

    def _hop(self, code: str) -> str:
        response = self.client.post("/ussd", data={
            "sessionId": self.session, "serviceCode": code, "phoneNumber": self.number,
            "networkCode": "61601", "text": self.text})
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        body = response.get_data(as_text=True)
        assert body.startswith(("CON ", "END ")), body
        screen = body[4:]
        assert len(screen) <= self.max_len, f"{len(screen)} chars: {screen!r}"
        assert is_gsm7(screen), f"not GSM-7: {screen!r}"
        self.ended = body.startswith("END ")
        self.screen = screen
        return screen


def fill_casier_form(phone: Phone, birthplace: str = "Cotonou", birth: str = "25121990",
                     name: str = "Dossou") -> None:
    """Dial, open the criminal record e-service and answer until the review ("Vérifiez")."""
    phone.dial()
    phone.press("1", "2")  # French, "Faire une demande"
    number = next(line.split()[0] for line in phone.screen.split("\n") if "asier" in line)
    phone.press(number)
    for _ in range(10):
        screen = phone.screen.lower()
        if "vérifiez" in screen:
            return
        if "npi" in screen:
            phone.press("1234567890")
        elif "date" in screen:
            phone.press(birth)
        elif "lieu" in screen:
            phone.press(birthplace)
        elif "\n1 " in phone.screen:
            phone.press("1")
        else:
            phone.press(name)
    raise AssertionError(phone.screen)
