"""Emulates an X-Road security server in front of the sandbox (WSGI middleware).

``/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICECODE}/{rest}`` is served as
``/api/v1/{rest}`` (see :mod:`integrations.portal.xroad`).  Any service identifier is accepted;
the ``X-Road-Client`` header is required and must have four segments, else 400 with an
``X-Road-Error`` header.  Every answer on an ``/r1/`` path carries ``X-Road-Request-Id`` (the
caller's ``X-Road-Id`` when given, else a new UUID).  Other paths pass through untouched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .. import xroad

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class XRoadGateway:
    """Rewrites X-Road REST paths onto the API prefix and enforces the client header."""

    def __init__(self, app: WSGIApp, api_prefix: str = "/api/v1") -> None:
        self.app = app
        self.api_prefix = api_prefix.rstrip("/")

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith("/r1/"):
            return self.app(environ, start_response)
        request_id = environ.get("HTTP_X_ROAD_ID") or str(uuid.uuid4())
        segments = path[len("/r1/") :].split("/", 5)
        service = "/".join(segments[:5])
        if len(segments) < 5 or not xroad.is_service_id(service):
            return _error(
                start_response,
                request_id,
                "Client.InvalidServiceIdentifier",
                "path must be /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE[/path]",
            )
        if not xroad.is_client_id(environ.get("HTTP_X_ROAD_CLIENT")):
            return _error(
                start_response,
                request_id,
                "Client.InvalidClientIdentifier",
                "X-Road-Client header must be INSTANCE/CLASS/MEMBER/SUBSYSTEM",
            )
        rest = segments[5] if len(segments) > 5 else ""
        environ = dict(environ)
        environ["PATH_INFO"] = f"{self.api_prefix}/{rest}".rstrip("/") or "/"
        environ["guichet.xroad_service"] = service

        def tagged_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            headers = [*headers, (xroad.REQUEST_ID_HEADER, request_id)]
            return start_response(status, headers, *args)

        return self.app(environ, tagged_start_response)


def _error(
    start_response: Callable[..., Any], request_id: str, code: str, message: str
) -> list[bytes]:
    """An X-Road-level failure: JSON ``{type, message, error}`` and the ``X-Road-Error`` header."""
    body = json.dumps({"type": code, "message": message, "error": message}).encode()
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            (xroad.ERROR_HEADER, code),
            (xroad.REQUEST_ID_HEADER, request_id),
        ],
    )
    return [body]
