"""HTTP client of the portal API (``/api/v1``), direct or through an X-Road security server.

Built for USSD: every call has a short time budget (default: the whole call, retries included,
fits in the 0.8 s read timeout), idempotent GETs are retried with exponential backoff while
budget remains, POSTs are never retried here (they carry an Idempotency-Key so a background job
may re-post safely), a circuit breaker makes calls fail fast while the portal is down, and the
catalogue is answered from memory (refreshed in the background, served stale on error).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from ..privacy import install_urllib3_filter, redact_text
from . import metrics, parsing, xroad
from .breaker import CircuitBreaker
from .cache import CatalogueCache, CatalogueSnapshot
from .errors import PortalError, PortalNotFound, PortalRejected, PortalUnavailable
from .models import (
    OPERATORS,
    Category,
    FormSchema,
    MobilePayment,
    Procedure,
    RequestStatus,
    Submission,
)

log = logging.getLogger(__name__)

Timeout = float | tuple[float, float]
T = TypeVar("T")

API_PREFIX = "/api/v1"
_MIN_ATTEMPT = 0.05
"""Do not start a retry with less than this much budget left: it could only time out."""


def _split_timeout(timeout: Timeout) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        return float(timeout[0]), float(timeout[1])
    return float(timeout), float(timeout)


class PortalClient:
    """Client of the portal API.  Thread-safe: one instance is shared by the whole app."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        xroad_client: str | None = None,
        xroad_service: str | None = None,
        xroad_user_id: str | None = None,
        timeout: Timeout = (0.5, 0.8),
        retries: int = 2,
        backoff: float = 0.1,
        catalogue_ttl: float = 300.0,
        breaker: CircuitBreaker | None = None,
        background_timeout: Timeout = (1.0, 5.0),
        ping_timeout: Timeout = (0.3, 0.5),
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
    ) -> None:
        """Create a client.

        ``base_url`` is the portal's root (or the security server's when ``xroad_client`` is
        set).  ``timeout`` is ``(connect, read)``; the read part is also the budget of a whole
        call, retries included.  ``background_timeout`` is used for catalogue refreshes, which
        never run on a user's hop.  ``clock`` drives the catalogue TTL (tests inject one).
        """
        root = base_url.rstrip("/")
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        if xroad_client is not None and not xroad.is_client_id(xroad_client):
            raise ValueError("xroad_client must be INSTANCE/CLASS/MEMBER/SUBSYSTEM")
        self.xroad_client = xroad_client
        self.xroad_user_id = xroad_user_id
        if xroad_client:
            self._prefix = root + xroad.service_prefix(xroad_service or xroad.DEFAULT_SERVICE)
        else:
            self._prefix = root + API_PREFIX
        self.api_key = api_key
        self.timeout = _split_timeout(timeout)
        self.background_timeout = _split_timeout(background_timeout)
        self.ping_timeout = _split_timeout(ping_timeout)
        self.retries = max(0, retries)
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker()
        self._session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self.cache = CatalogueCache(self._load_catalogue, ttl=catalogue_ttl, clock=clock)
        install_urllib3_filter()

    # ----------------------------------------------------------------- catalogue (cached)

    def categories(self) -> list[Category]:
        """Categories of procedures; from the cache when warm."""
        snapshot = self.cache.get()
        if snapshot is not None:
            return list(snapshot.categories)
        data = self._get_json("categories", "/categories")
        return self._parse("categories", lambda: [parsing.category(c) for c in data["categories"]])

    def procedures(self, category: str | None = None) -> list[Procedure]:
        """Procedure sheets, optionally of one category; from the cache when warm."""
        snapshot = self.cache.get()
        if snapshot is not None:
            return [
                p
                for p in snapshot.procedures.values()
                if category is None or p.category == category
            ]
        params = {"category": category} if category else None
        data = self._get_json("procedures", "/procedures", params=params)
        return self._parse("procedures", lambda: [parsing.procedure(p) for p in data["procedures"]])

    def procedure(self, slug: str) -> Procedure:
        """One procedure sheet; raises :class:`PortalNotFound` for an unknown slug."""
        snapshot = self.cache.get()
        if snapshot is not None:
            found = snapshot.procedures.get(slug)
            if found is None:
                metrics.ERRORS.labels("procedure", "not_found").inc()
                raise PortalNotFound(f"unknown procedure {slug!r}", status=404)
            return found
        data = self._get_json("procedure", f"/procedures/{quote(slug, safe='')}")
        return self._parse("procedure", lambda: parsing.procedure(data))

    def eservices(self) -> list[str]:
        """Slugs of the procedures that can be requested through a form."""
        snapshot = self.cache.get()
        if snapshot is not None:
            return list(snapshot.eservices)
        data = self._get_json("eservices", "/eservices")
        return self._parse("eservices", lambda: [str(s) for s in data["eservices"]])

    def form(self, slug: str) -> FormSchema | None:
        """The form schema of an e-service, or ``None`` when the procedure has no e-service."""
        snapshot = self.cache.get()
        if snapshot is not None:
            return snapshot.forms.get(slug)
        try:
            data = self._get_json("form", f"/eservices/{quote(slug, safe='')}/form")
        except PortalNotFound:
            return None
        return self._parse("form", lambda: parsing.form_schema(data))

    def refresh(self) -> bool:
        """Reload the whole catalogue now (blocking); keeps the old one on failure."""
        return self.cache.refresh()

    def start_refresh(self, interval: float | None = None) -> None:
        """Load the catalogue now and keep refreshing it on a daemon thread."""
        self.cache.start(interval)

    def stop_refresh(self) -> None:
        self.cache.stop()

    def close(self) -> None:
        """Stop the refresh thread and close pooled connections."""
        self.cache.stop()
        self._session.close()

    # ----------------------------------------------------------------------- requests

    def submit(
        self,
        slug: str,
        answers: Mapping[str, str],
        phone: str,
        lang: str,
        idempotency_key: str,
        timeout: Timeout | None = None,
    ) -> Submission:
        """File an e-service request.  Never retried here: re-call with the same key instead.

        Raises :class:`PortalRejected` (with ``.fields``) when answers are invalid.
        """
        response = self._call(
            "submit",
            "POST",
            f"/eservices/{quote(slug, safe='')}/requests",
            json={"phone": phone, "lang": lang, "answers": dict(answers)},
            headers={"Idempotency-Key": idempotency_key},
            timeout=timeout,
            retry=False,
        )
        data = self._json("submit", response)
        result = self._parse("submit", lambda: parsing.submission(data))
        log.info("portal request filed: %s (%s)", result.reference, slug)
        return result

    def status(self, reference: str) -> RequestStatus:
        """Where a request stands; raises :class:`PortalNotFound` for an unknown reference."""
        ref = reference.strip().upper()
        data = self._get_json("status", f"/requests/{quote(ref, safe='')}")
        return self._parse("status", lambda: parsing.request_status(data))

    def requests_for(self, phone: str) -> list[RequestStatus]:
        """The requests filed from a phone number (E.164), newest first."""
        data = self._get_json("requests_for", "/requests", params={"phone": phone})
        return self._parse(
            "requests_for", lambda: [parsing.request_status(r) for r in data["requests"]]
        )

    # ----------------------------------------------------------------------- payments

    def start_payment(
        self,
        reference: str,
        operator: str,
        msisdn: str,
        idempotency_key: str,
        timeout: Timeout | None = None,
    ) -> MobilePayment:
        """Ask the portal to start a mobile-money payment of ``reference``'s fee.

        The operator then pushes its own prompt to ``msisdn`` and the citizen approves it with
        their PIN there.  Never retried here, like :meth:`submit`: when this times out the
        payment may or may not exist, so the caller keeps the attempt *unknown* and asks again
        with the **same** ``idempotency_key`` (the portal answers with the payment it already
        started, never a second charge), then follows it with :meth:`payment`.

        Raises :class:`PortalRejected` with ``fields`` (``reference``: ``paid``, ``pending``,
        ``fee_unknown``, ``free``; ``operator``: ``choice``; ``msisdn``: ``phone``).
        """
        if operator not in OPERATORS:
            raise ValueError(f"operator must be one of {', '.join(OPERATORS)}")
        ref = reference.strip().upper()
        response = self._call(
            "start_payment",
            "POST",
            f"/requests/{quote(ref, safe='')}/payments",
            json={"operator": operator, "msisdn": msisdn},
            headers={"Idempotency-Key": idempotency_key},
            timeout=timeout,
            retry=False,
        )
        data = self._json("start_payment", response)
        result = self._parse("start_payment", lambda: parsing.mobile_payment(data))
        log.info("portal payment %s started for %s (%s)", result.payment_id, ref, operator)
        return result

    def payment(self, payment_id: str, timeout: Timeout | None = None) -> MobilePayment:
        """Where a payment stands (``pending``, ``succeeded``, ``failed``, ``expired``)."""
        data = self._get_json("payment", f"/payments/{quote(payment_id, safe='')}",
                              timeout=timeout)
        return self._parse("payment", lambda: parsing.mobile_payment(data))

    def ping(self) -> bool:
        """Readiness probe: does the portal answer its health check quickly?

        Bypasses the breaker (a probe must see the real state) and never raises.
        """
        start = time.monotonic()
        try:
            response = self._send("GET", "/health", None, None, None, self.ping_timeout)
            return response.ok
        except requests.RequestException:
            return False
        finally:
            metrics.CALL_SECONDS.labels("ping").observe(time.monotonic() - start)

    # -------------------------------------------------------------------- internals

    def _load_catalogue(self) -> CatalogueSnapshot:
        """Fetch everything the cache holds, with the (longer) background timeout."""
        timeout = self.background_timeout
        cats = self._get_json("categories", "/categories", timeout=timeout)
        procs = self._get_json("procedures", "/procedures", timeout=timeout)
        slugs = self._get_json("eservices", "/eservices", timeout=timeout)
        forms: dict[str, FormSchema] = {}
        for slug in slugs["eservices"]:
            try:
                data = self._get_json(
                    "form", f"/eservices/{quote(slug, safe='')}/form", timeout=timeout
                )
            except PortalNotFound:
                continue  # withdrawn between the two calls
            forms[slug] = parsing.form_schema(data)
        procedures = {p.slug: p for p in (parsing.procedure(d) for d in procs["procedures"])}
        return CatalogueSnapshot(
            categories=tuple(parsing.category(c) for c in cats["categories"]),
            procedures=procedures,
            eservices=tuple(str(s) for s in slugs["eservices"]),
            forms=forms,
            loaded_at=self.cache.now(),
        )

    def _get_json(
        self,
        operation: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
    ) -> Any:
        response = self._call(operation, "GET", path, params=params, timeout=timeout, retry=True)
        return self._json(operation, response)

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout | None = None,
        retry: bool,
    ) -> requests.Response:
        """One logical call: breaker, budgeted attempts, metrics, error mapping."""
        start = time.monotonic()
        try:
            if not self.breaker.allow():
                metrics.ERRORS.labels(operation, "circuit_open").inc()
                raise PortalUnavailable("portal circuit open", kind="circuit_open")
            try:
                response = self._attempts(
                    operation, method, path, params, json, headers, timeout, retry
                )
            except PortalUnavailable as exc:
                self.breaker.record_failure()
                metrics.ERRORS.labels(operation, exc.kind).inc()
                log.warning("portal %s unavailable (%s)", operation, exc.kind)
                raise
            except BaseException:
                self.breaker.record_failure()
                raise
            self.breaker.record_success()
            self._check(operation, response)
            return response
        finally:
            metrics.set_circuit_state(self.breaker.state)
            metrics.CALL_SECONDS.labels(operation).observe(time.monotonic() - start)

    def _attempts(
        self,
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        timeout: Timeout | None,
        retry: bool,
    ) -> requests.Response:
        """Send, retrying (GET only) with exponential backoff while the time budget allows."""
        connect, read = _split_timeout(timeout) if timeout is not None else self.timeout
        deadline = time.monotonic() + read
        attempts = 1 + (self.retries if retry and method == "GET" else 0)
        failure: PortalUnavailable | None = None
        for attempt in range(attempts):
            if attempt:
                pause = self.backoff * 2 ** (attempt - 1)
                if time.monotonic() + pause + _MIN_ATTEMPT > deadline:
                    break
                time.sleep(pause)
            remaining = max(deadline - time.monotonic(), _MIN_ATTEMPT)
            try:
                response = self._send(
                    method, path, params, json, headers, (min(connect, remaining), remaining)
                )
            except requests.Timeout as exc:
                failure = PortalUnavailable(
                    f"portal timeout: {redact_text(str(exc))}", kind="timeout"
                )
                continue
            except requests.ConnectionError as exc:
                failure = PortalUnavailable(
                    f"portal connection failed: {redact_text(str(exc))}", kind="connection"
                )
                continue
            if response.status_code >= 500:
                failure = PortalUnavailable(
                    f"portal answered {response.status_code}: {self._message(response)}",
                    kind="http_5xx",
                    status=response.status_code,
                    xroad_error=response.headers.get(xroad.ERROR_HEADER),
                )
                response.close()
                continue
            return response
        assert failure is not None
        raise failure

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        timeout: tuple[float, float],
    ) -> requests.Response:
        all_headers = {"Accept": "application/json", "User-Agent": "guichet-portal-client/1"}
        if self.api_key:
            all_headers["Authorization"] = f"Bearer {self.api_key}"
        if self.xroad_client:
            all_headers[xroad.CLIENT_HEADER] = self.xroad_client
            all_headers[xroad.ID_HEADER] = str(uuid.uuid4())
            if self.xroad_user_id:
                all_headers[xroad.USER_ID_HEADER] = self.xroad_user_id
        all_headers.update(headers or {})
        return self._session.request(
            method,
            self._prefix + path,
            params=params,
            json=json,
            headers=all_headers,
            timeout=timeout,
        )

    def _check(self, operation: str, response: requests.Response) -> None:
        """Map a non-2xx (below 500) answer onto the error classes."""
        code = response.status_code
        if code < 400:
            return
        message = self._message(response)
        xroad_error = response.headers.get(xroad.ERROR_HEADER)
        if xroad_error:
            metrics.ERRORS.labels(operation, "http_4xx").inc()
            raise PortalError(
                f"X-Road {xroad_error}: {message}", status=code, xroad_error=xroad_error
            )
        if code == 404:
            metrics.ERRORS.labels(operation, "not_found").inc()
            raise PortalNotFound(message, status=code)
        if code in (400, 409, 422):
            metrics.ERRORS.labels(operation, "rejected").inc()
            fields: dict[str, str] = {}
            try:
                body = response.json()
                if isinstance(body, dict) and isinstance(body.get("fields"), dict):
                    fields = {str(k): str(v) for k, v in body["fields"].items()}
            except ValueError:
                pass
            raise PortalRejected(message, fields=fields, status=code)
        metrics.ERRORS.labels(operation, "http_4xx").inc()
        raise PortalError(f"portal answered {code}: {message}", status=code)

    @staticmethod
    def _message(response: requests.Response) -> str:
        """The ``error`` (portal) or ``message`` (X-Road) of a JSON error body."""
        try:
            body = response.json()
        except ValueError:
            return response.reason or str(response.status_code)
        if isinstance(body, dict):
            return redact_text(str(body.get("error") or body.get("message") or response.reason))
        return response.reason or str(response.status_code)

    def _json(self, operation: str, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            metrics.ERRORS.labels(operation, "bad_response").inc()
            raise PortalError(
                "portal answered with invalid JSON", status=response.status_code
            ) from exc

    def _parse(self, operation: str, build: Callable[[], T]) -> T:
        try:
            return build()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            metrics.ERRORS.labels(operation, "bad_response").inc()
            raise PortalError(f"unexpected portal answer: {exc}") from exc
