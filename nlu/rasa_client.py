"""A client for a Rasa server's ``POST /model/parse``, strict about time and shape.

A USSD hop must answer well under a second, so the call has a short timeout (0.3 s by default)
and anything unexpected (connection refused, timeout, HTTP error, a body that is not the shape we
rely on) raises :class:`RasaError`; the caller then falls back to the embedded model. The answer
is mapped onto our contract: Rasa's ``nlu_fallback`` becomes ``out_of_scope``, only our entity
types are kept, references are normalised, ``confidence_entity`` becomes ``confidence``.
"""

from __future__ import annotations

import requests

from nlu.entities import normalise_reference
from nlu.intents import OUT_OF_SCOPE

INTENTS = frozenset({
    "ask_procedure", "start_eservice", "track_request", "human_handoff", "change_language",
    "greet", "goodbye", "thanks", "help", "affirm", "deny", "out_of_scope",
})
ENTITIES = frozenset({"procedure", "aspect", "reference", "npi", "language"})


class RasaError(Exception):
    """Rasa did not give a usable answer in time; ``reason`` is down, timeout or garbled."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def _intent(item: object) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise RasaError("garbled", "intent without a name")
    name = OUT_OF_SCOPE if item["name"] == "nlu_fallback" else item["name"]
    if name not in INTENTS:
        raise RasaError("garbled", f"unknown intent {name!r}")
    confidence = item.get("confidence")
    if not isinstance(confidence, int | float):
        raise RasaError("garbled", "intent without a confidence")
    return {"name": name, "confidence": round(float(confidence), 4)}


def _entity(item: object) -> dict | None:
    if not isinstance(item, dict) or item.get("entity") not in ENTITIES:
        return None
    value = item.get("value")
    if item["entity"] == "reference":
        value = normalise_reference(str(value))
        if value is None:
            return None
    out = {"entity": item["entity"], "value": str(value)}
    if isinstance(item.get("start"), int) and isinstance(item.get("end"), int):
        out["start"], out["end"] = item["start"], item["end"]
    confidence = item.get("confidence_entity", item.get("confidence", 1.0))
    out["confidence"] = round(float(confidence), 4) if isinstance(confidence, int | float) else 1.0
    return out


def to_contract(text: str, body: object) -> dict:
    """Rasa's parse body -> our contract shape, without ``language`` (the caller adds it)."""
    if not isinstance(body, dict):
        raise RasaError("garbled", "body is not a JSON object")
    intent = _intent(body.get("intent"))
    ranking_raw = body.get("intent_ranking") or [body.get("intent")]
    if not isinstance(ranking_raw, list):
        raise RasaError("garbled", "intent_ranking is not a list")
    ranking: list[dict] = []
    for item in ranking_raw:
        entry = _intent(item)
        if all(r["name"] != entry["name"] for r in ranking):
            ranking.append(entry)
    entities_raw = body.get("entities") or []
    if not isinstance(entities_raw, list):
        raise RasaError("garbled", "entities is not a list")
    entities = [e for e in map(_entity, entities_raw) if e is not None]
    return {"text": text, "intent": intent, "intent_ranking": ranking, "entities": entities}


class RasaClient:
    """Calls ``{base_url}/model/parse``; one ``requests.Session`` keeps the connection warm."""

    def __init__(self, base_url: str, timeout: float = 0.3) -> None:
        self.url = base_url.rstrip("/") + "/model/parse"
        self.timeout = timeout
        self._session = requests.Session()

    def parse(self, text: str) -> dict:
        try:
            response = self._session.post(self.url, json={"text": text}, timeout=self.timeout)
        except requests.Timeout as exc:
            raise RasaError("timeout", str(exc)) from exc
        except requests.RequestException as exc:
            raise RasaError("down", str(exc)) from exc
        if response.status_code != 200:
            raise RasaError("down", f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RasaError("garbled", "body is not JSON") from exc
        return to_contract(text, body)
