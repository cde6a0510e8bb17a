"""Reading a JSON request body the one way every endpoint does, so bad input is never a 5xx.

``json.loads`` raises :class:`RecursionError`, not :class:`ValueError`, on a body nested a
thousand deep (``[[[[...``): Flask's ``get_json(silent=True)`` and every ``except ValueError``
let it through as a 500.  Here:

- :func:`loads` turns that into a :class:`ValueError` like any other unreadable JSON;
- :class:`SafeJSONProvider` does the same for Flask's own ``request.get_json`` (installed on the
  app by :func:`install`, so code that still calls it is covered too);
- :func:`json_object` reads the body as a JSON object or raises :class:`BadJsonBody`, a 400
  whose body is ``{"error": ...}`` in the caller's language.  It answers as JSON by itself, and
  :func:`install` makes it win over a blueprint's catch-all ``HTTPException`` handler.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from dialogs.i18n import catalogue_languages, gettext_for


class BadJsonBody(BadRequest):
    """The body is not the JSON object the endpoint reads: a 400 with a JSON ``error``."""

    def __init__(self, message: str) -> None:
        super().__init__(description=message)

    def get_response(self, environ=None, scope=None) -> Response:  # noqa: ARG002 - werkzeug's
        return Response(json.dumps({"error": self.description}, ensure_ascii=False),
                        status=self.code, mimetype="application/json")


def loads(data: str | bytes) -> Any:
    """``json.loads`` whose only failure is :class:`ValueError` (bad JSON, bad UTF-8, too deep)."""
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("JSON nested too deep") from exc


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with :func:`loads`: ``get_json(silent=True)`` gives ``None``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deep") from exc


def request_lang(default: str = "fr") -> str:
    """The caller's language from ``Accept-Language`` among ours (a body we cannot read has
    no ``lang`` to tell us)."""
    rt = current_app.extensions.get("guichet")
    known = list(rt.manager.languages) if rt is not None else ["fr", *catalogue_languages()]
    return request.accept_languages.best_match(known, default=default) or default


def json_object(lang: str | None = None, *, allow_empty: bool = True) -> dict:
    """The request body as a JSON object (``{}`` for an empty body when ``allow_empty``).

    Anything else (not JSON, bad UTF-8, nested too deep, a list, a string, ``null``) raises
    :class:`BadJsonBody` with a message in ``lang`` (default: the ``Accept-Language``).
    """
    raw = request.get_data(cache=True)
    if allow_empty and not raw.strip():
        return {}
    try:
        body = loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        _ = gettext_for(lang or request_lang())
        raise BadJsonBody(_("Requête invalide : un objet JSON est attendu."))
    return body


def install(app: Flask) -> None:
    """Every JSON read of ``app`` fails as a 400, never a 500."""
    app.json = SafeJSONProvider(app)
    app.register_error_handler(BadJsonBody, lambda exc: exc.get_response())
