"""A ``requests`` transport that hands each request to a WSGI app in this process.

The dialog core's unit tests talk to the real sandbox portal through the real
:class:`~integrations.portal.PortalClient` (its parsing, errors and breaker included), but
without a server thread or a socket: set-up is one Flask app, so a test costs milliseconds.
The PyPI package ``requests-wsgi-adapter`` does the same; these few lines spare a dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import Client


class WSGITransport(BaseAdapter):
    """Mount it on a session for the base URL the client is given (``http://portal.test/``)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        super().__init__()
        self.client = Client(app)

    def send(self, request: requests.PreparedRequest, stream: bool = False,  # type: ignore[override]
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.client.open(
            url.path, method=request.method or "GET", query_string=url.query,
            headers=dict(request.headers), data=body or b"",
            base_url=f"{url.scheme}://{url.netloc}")
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status.split(" ", 1)[-1]
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        response._content = answer.get_data()
        response.encoding = get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass
