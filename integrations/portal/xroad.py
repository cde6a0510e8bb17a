"""X-Road REST conventions shared by the client and the sandbox's security-server emulation.

Mapping (the one both sides implement)::

    {security-server}/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICECODE}/{rest}
        ==  {portal}/api/v1/{rest}

The five segments after ``/r1/`` name the *service* (the portal's subsystem and the service
code it is published under); the security server routes to the service's registered base URL,
which for the portal is ``/api/v1``.  So ``GET /r1/BJ/GOV/SP/PORTAL/portal/procedures/visa`` is
``GET /api/v1/procedures/visa``.  The caller names itself in ``X-Road-Client``.
"""

from __future__ import annotations

CLIENT_HEADER = "X-Road-Client"
ID_HEADER = "X-Road-Id"
USER_ID_HEADER = "X-Road-UserId"
REQUEST_ID_HEADER = "X-Road-Request-Id"
ERROR_HEADER = "X-Road-Error"

DEFAULT_SERVICE = "BJ/GOV/SERVICE-PUBLIC/PORTAL/portal"
"""Service identifier used when none is configured (the sandbox accepts any)."""


def split_identifier(value: str | None, parts: int) -> list[str] | None:
    """Split ``A/B/C/D`` into exactly ``parts`` non-blank segments, or ``None`` when malformed."""
    if not value:
        return None
    segments = value.strip().strip("/").split("/")
    if len(segments) != parts or any(not s.strip() for s in segments):
        return None
    return segments


def is_client_id(value: str | None) -> bool:
    """A subsystem client identifier: ``INSTANCE/CLASS/MEMBER/SUBSYSTEM``."""
    return split_identifier(value, 4) is not None


def is_service_id(value: str | None) -> bool:
    """A service identifier: ``INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE``."""
    return split_identifier(value, 5) is not None


def service_prefix(service: str) -> str:
    """The URL prefix for ``service``: ``/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE``."""
    segments = split_identifier(service, 5)
    if segments is None:
        raise ValueError("X-Road service must be INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
    return "/r1/" + "/".join(segments)
