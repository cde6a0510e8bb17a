"""Liveness, readiness and metrics endpoints for load balancers and Prometheus.

Channels that can be degraded without the instance being unready (an expired WhatsApp token)
register a warning check on ``app.extensions["readiness_warnings"]`` through the composition
root, so this module imports no channel.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from channels import metrics

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when the session store and the portal answer; 503 names what is missing.

    An expired WhatsApp token is reported as a warning, not as unreadiness: taking the
    instance out of the load balancer would stop USSD and SMS too.  The channels' warnings are
    handed in by the composition root (``app.extensions["warnings"]``: callables that return
    a warning or None), so this module knows no channel.
    """
    rt = current_app.extensions["guichet"]
    checks = {"store": rt.store.ping(), "portal": rt.portal.ping(), "database": rt.messages.ping()}
    ready = all(checks.values())
    warnings = [w for check in current_app.extensions.get("readiness_warnings", ())
                if (w := check())]
    return jsonify(status="ready" if ready else "not ready", checks=checks,
                   warnings=warnings), 200 if ready else 503


@bp.get("/metrics")
def prometheus() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, mimetype=content_type.split(";")[0], content_type=content_type)
