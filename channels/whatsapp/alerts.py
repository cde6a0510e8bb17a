"""The operator alert for an expired or revoked WhatsApp access token (Graph API error 190).

Nothing reaches WhatsApp users until someone renews the token, so the sender logs an ERROR
naming it and sets ``wa:token_expired`` in the shared store, where every worker and the
readiness check (:func:`token_expired`) see it.  The next successful send clears it.
"""

from __future__ import annotations

import contextlib
import logging
import time

from dialogs.store import Store, StoreUnavailable

log = logging.getLogger(__name__)
TOKEN_EXPIRED_KEY = "wa:token_expired"
ALERT_TTL = 7 * 24 * 3600


def raise_token_alert(store: Store, detail: str) -> None:
    log.error("operator alert: the WhatsApp access token is expired or invalid (Graph API "
              "error 190); WhatsApp replies fail until WHATSAPP_TOKEN is renewed",
              extra={"alert": "whatsapp_token_expired", "detail": detail[:300]})
    try:
        store.put_many({TOKEN_EXPIRED_KEY: ({"at": time.time(), "detail": detail[:300]},
                                            ALERT_TTL)})
    except StoreUnavailable:
        log.error("could not record the WhatsApp token alert: store unavailable")


def clear_token_alert(store: Store) -> None:
    with contextlib.suppress(StoreUnavailable):
        store.put_many({TOKEN_EXPIRED_KEY: (None, None)})


def token_expired(store: Store) -> bool:
    """True while the last WhatsApp send failed on an expired token (for ``/readyz``)."""
    try:
        (alert,) = store.get_many([TOKEN_EXPIRED_KEY])
    except StoreUnavailable:
        return False
    return alert is not None
