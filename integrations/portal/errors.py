"""Exceptions the portal client raises.

Callers branch on the class, not on HTTP codes: a dialog answers ``PortalUnavailable`` with
"try again later / we will send an SMS", ``PortalNotFound`` with "unknown reference", and
``PortalRejected`` by re-asking the fields named in ``.fields``.
"""

from __future__ import annotations


class PortalError(Exception):
    """Any failure talking to the portal (also an unexpected answer, e.g. 401 or bad JSON)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        xroad_error: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        """HTTP status when the portal (or the security server) answered, else ``None``."""
        self.xroad_error = xroad_error
        """The ``X-Road-Error`` header of the answer, when going through X-Road."""


class PortalUnavailable(PortalError):
    """The portal cannot answer now: timeout, connection error, 5xx, or the circuit is open.

    Safe to retry later; a submission carries an Idempotency-Key so re-posting it is harmless.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        xroad_error: str | None = None,
    ) -> None:
        super().__init__(message, status=status, xroad_error=xroad_error)
        self.kind = kind
        """One of ``timeout``, ``connection``, ``http_5xx``, ``circuit_open``."""


class PortalNotFound(PortalError):
    """The procedure, form or request reference does not exist (HTTP 404)."""


class PortalRejected(PortalError):
    """The portal refused the request as invalid (HTTP 400/409/422).

    ``fields`` maps a form field name to a reason code (``required``, ``pattern``, ``npi``,
    ``date``, ``future_date``, ``phone``, ``choice``, ``too_long``, ``type``) so the dialog can
    re-ask exactly those fields in the user's language.
    """

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        status: int | None = None,
        xroad_error: str | None = None,
    ) -> None:
        super().__init__(message, status=status, xroad_error=xroad_error)
        self.fields: dict[str, str] = dict(fields or {})
