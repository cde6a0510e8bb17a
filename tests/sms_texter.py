"""A citizen texting Guichet through the Africa's Talking webhook and reading the SMS answer
the fake gateway received: the end-to-end path of the NLU tests."""

from __future__ import annotations

import itertools
import unicodedata

from channels.gsm7 import is_gsm7, segments
from tests.conftest import wait_for

_ids = itertools.count(1)


def plain(text: str) -> str:
    """Without accents or Babel's narrow spaces, to compare with GSM-7 answers."""
    text = text.replace("\u202f", " ").replace("\xa0", " ")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class Texter:
    def __init__(self, client, fake, number: str, max_segments: int = 3) -> None:
        self.client, self.fake, self.number = client, fake, number
        self.max_segments = max_segments

    def text(self, body: str) -> str:
        seen = len(self.fake.messages_to(self.number))
        response = self.client.post("/sms/inbound", data={
            "from": self.number, "to": "1350", "text": body, "date": "2026-11-30 10:00:00",
            "id": f"ATXid_nlu_{next(_ids)}", "linkId": "link-1"})
        assert response.status_code == 200
        reply = wait_for(lambda: self.fake.messages_to(self.number)[seen:] or None)[0]
        assert is_gsm7(reply), reply
        assert segments(reply) <= self.max_segments, f"{segments(reply)} segments: {reply!r}"
        return plain(reply)
