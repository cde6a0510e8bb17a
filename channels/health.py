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


FAVICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
           b'<rect width="32" height="32" rx="6" fill="#00704a"/>'
           b'<path d="M9 21c0-5 3-9 8-9 2 0 4 1 5 2l-2 3c-1-1-2-1-3-1-3 0-4 2-4 5 0 2 1 4 4 4'
           b' 1 0 2 0 3-1v-2h-3v-3h7v7c-2 2-4 2-7 2-5 0-8-3-8-7z" fill="#fcd116"/></svg>')
"""Guichet's icon (a "G" in Benin's colours): browsers ask every page's ``/favicon.ico``, and a
404 on each one fills the logs and the browser's console."""


@bp.get("/favicon.ico")
def favicon() -> Response:
    response = Response(FAVICON, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/metrics")
def prometheus() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, mimetype=content_type.split(";")[0], content_type=content_type)
