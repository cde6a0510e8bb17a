"""The signature of the portal's events: ``X-Portal-Signature: sha256=<hex>``.

HMAC-SHA256 of the raw request body with the shared secret (``PORTAL_WEBHOOK_SECRET``); the
sandbox signs with :func:`signature`, the receiver checks with :func:`verify` (constant time,
on the bytes as received: a re-serialised body would not match).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Portal-Signature"
PREFIX = "sha256="


def signature(secret: str, body: bytes) -> str:
    """The header value for ``body``: ``sha256=<hex HMAC-SHA256(secret, body)>``."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body``; false for no secret or no header."""
    if not secret or not header:
        return False
    return hmac.compare_digest(header.strip().encode(), signature(secret, body).encode())
