"""Portal integration: the client of service-public.bj's API (direct or via X-Road) and its types.

The sandbox portal lives in :mod:`integrations.portal.sandbox` and is imported separately, so
production code does not pull in Flask routes it never serves.
"""

from .breaker import CircuitBreaker
from .client import PortalClient
from .errors import PortalError, PortalNotFound, PortalRejected, PortalUnavailable
from .models import (
    Category,
    FieldOption,
    FormField,
    FormSchema,
    LocalText,
    MobilePayment,
    Payment,
    PaymentDue,
    Procedure,
    RequestState,
    RequestStatus,
    StatusEvent,
    Submission,
    pick,
)

__all__ = [
    "Category",
    "CircuitBreaker",
    "FieldOption",
    "FormField",
    "FormSchema",
    "LocalText",
    "MobilePayment",
    "Payment",
    "PaymentDue",
    "PortalClient",
    "PortalError",
    "PortalNotFound",
    "PortalRejected",
    "PortalUnavailable",
    "Procedure",
    "RequestState",
    "RequestStatus",
    "StatusEvent",
    "Submission",
    "pick",
]
