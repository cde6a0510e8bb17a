"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>``.

The HMAC is over the raw request body, byte for byte, and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value Meta would send for ``body``."""
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def valid(secret: str, body: bytes, header: str) -> bool:
    """True when ``header`` is the signature of ``body`` with ``secret``."""
    expected = sign(secret, body).encode("ascii")
    given = header.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)
