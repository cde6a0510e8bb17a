"""Which callbacks come from the SMS/USSD gateway: the secret in the callback URL, the addresses.

Africa's Talking does not sign its callbacks, so the proof is a secret that only the gateway
knows: ``AT_CALLBACK_TOKEN``, carried as ``?token=`` in the callback URLs configured on its
dashboard (compared in constant time), and optionally ``AT_CALLBACK_ALLOWLIST``, the networks
it calls from.  Without them anyone who can reach ``/ussd`` could post ``phoneNumber=<X>`` and
read X's requests.  A refused callback is answered 403 before anything is read or sent.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from functools import lru_cache

from flask import Response, current_app, jsonify, request

from channels import metrics

log = logging.getLogger(__name__)
GATEWAY_ENDPOINTS = frozenset({"ussd.callback", "ussd.events", "sms.inbound", "sms.delivery"})
"""The endpoints only the gateway may call."""


@lru_cache(maxsize=16)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n) for n in spec)


def _address_allowed(address: str | None, spec: tuple[str, ...]) -> bool:
    if not spec:
        return True
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    return any(ip in net for net in _networks(spec))


def guard() -> Response | None:
    """``before_request`` hook: refuse a gateway callback without the token or from elsewhere."""
    if request.endpoint not in GATEWAY_ENDPOINTS:
        return None
    settings = current_app.extensions["guichet"].settings
    reason = None
    if not _address_allowed(request.remote_addr, settings.at_callback_networks):
        reason = "address"
    elif settings.at_callback_token:
        given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                                   settings.at_callback_token.encode()):
            reason = "token"
    if reason is None:
        return None
    metrics.GATEWAY_REFUSED.labels(endpoint=request.endpoint or "", reason=reason).inc()
    log.warning("gateway callback refused", extra={"endpoint": request.endpoint,
                                                   "reason": reason,
                                                   "client": request.remote_addr})
    response = jsonify(error="forbidden")
    response.status_code = 403
    return response
