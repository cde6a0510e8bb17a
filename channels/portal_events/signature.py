"""``X-Portal-Signature: sha256=<hex HMAC-SHA256(PORTAL_WEBHOOK_SECRET, raw body)>``."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Portal-Signature"
PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header's value for ``body`` (the sandbox, tests and the bench sign this way)."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of the exact bytes received (compared in
    constant time: a byte-by-byte comparison would tell a forger how much was right)."""
    if not header or not header.startswith(PREFIX) or not header.isascii():
        return False  # (compare_digest refuses non-ASCII text: a forged header is no 500)
    return hmac.compare_digest(sign(secret, body), header.strip().lower())
