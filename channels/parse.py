"""``POST /api/v1/parse``: the NLU over HTTP, in the contract's shape.

Bad input is the caller's mistake and gets a 400 with a JSON ``error``, never a 500: a body that
is not a JSON object, a missing, empty or non-string ``text``, a text over 1000 characters, a
``lang`` that is not a known language code.  The NLU itself is the application's
(``app.extensions["nlu"]``, an :class:`nlu.Nlu` the composition root builds).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from channels.jsonbody import json_object
from nlu.languages import normalise_code

MAX_TEXT = 1000

bp = Blueprint("nlu", __name__)


def _bad(message: str):
    return jsonify({"error": message}), 400


@bp.post("/api/v1/parse")
def parse_endpoint():
    """Parse ``{"text": ..., "lang"?: ...}``."""
    body = json_object(allow_empty=False)  # anything but a JSON object: 400
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return _bad("'text' must be a non-empty string")
    if len(text) > MAX_TEXT:
        return _bad(f"'text' is longer than {MAX_TEXT} characters")
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or normalise_code(lang) is None):
        return _bad("'lang' must be a known language code such as fr, en, fon or yo")
    return jsonify(current_app.extensions["nlu"].parse(text, lang))
