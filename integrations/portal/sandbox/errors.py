"""The sandbox's error body, ``{"error", "fields"?}`` (``openapi.yaml``'s ``Error``), shared by
every blueprint so the portal's clients see one shape whatever endpoint refused them."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def error(status: int, message: str, fields: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if fields is not None:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response
