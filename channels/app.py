"""The Flask application factory: one blueprint per channel, configured from the environment.

``gunicorn 'channels.app:create_app()'`` serves it.  Configuration errors stop start-up with a
message naming the variable (see :mod:`channels.config`).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, jsonify
from werkzeug.middleware.proxy_fix import ProxyFix

from channels import gateway, health, jsonbody, logs, retention, runtime, urlids
from channels.agent import throttle as agent_throttle
from channels.agent.console import bp as agent_bp
from channels.config import Settings
from channels.outbox import deadletter
from channels.parse import bp as nlu_bp
from channels.portal_events import bp as portal_events_bp
from channels.portal_events import intake as portal_intake
from channels.portal_events.polling import Poller
from channels.queue import ThreadQueue
from channels.sessions import BrowserSessionInterface
from channels.simulator import bp as simulator_bp
from channels.sms.blueprint import bp as sms_bp
from channels.ussd import bp as ussd_bp
from channels.webchat import bp as webchat_bp
from channels.whatsapp import bp as whatsapp_bp
from channels.whatsapp import window
from channels.whatsapp.alerts import token_expired
from channels.whatsapp.simulate import Simulation

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, rt: runtime.Runtime | None = None) -> Flask:
    """Build the app; ``rt`` lets tests pass a runtime they built (with short retry delays)."""
    logs.configure()
    settings = settings or (rt.settings if rt else Settings.from_env())
    rt = rt or runtime.build(settings)
    rt.portal.start_refresh()

    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=256 * 1024,
                      # no cross-site request carries the console's cookie; HTTPS only in prod
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SECURE=settings.production)
    app.session_interface = BrowserSessionInterface()
    if settings.trusted_proxy_hops:  # the client's address, not the proxy's, for rate limits
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.before_request(gateway.guard)
    jsonbody.install(app)  # bad JSON is a 400 everywhere, never a 500
    urlids.install(app)  # an id no row can have is a 404, never a database error
    app.extensions["guichet"] = rt
    app.extensions["nlu"] = rt.nlu
    if isinstance(rt.queue, ThreadQueue):  # background tasks find the runtime in this app
        rt.queue.bind(app)
    # What some parts need of a channel they may not import, handed down from here:
    if rt.whatsapp is not None:
        app.extensions["simulate"] = {"whatsapp": Simulation(rt.whatsapp)}
        # the console offers the reopening template once a citizen's 24-hour window has closed
        app.extensions["whatsapp_window"] = lambda wa_id: window.is_open(rt.store, wa_id)
    app.extensions["readiness_warnings"] = [
        lambda: "whatsapp token expired: renew WHATSAPP_TOKEN" if token_expired(rt.store) else None,
    ]
    app.cli.add_command(deadletter.command)
    app.register_blueprint(health.bp)
    app.register_blueprint(ussd_bp)
    app.register_blueprint(sms_bp)
    app.register_blueprint(whatsapp_bp)
    app.register_blueprint(nlu_bp)
    app.register_blueprint(agent_bp)
    agent_throttle.init_app(app, per_address=settings.agent_login_rate,
                            overall=settings.agent_login_global_rate,
                            redis_url=settings.redis_url)
    app.register_blueprint(webchat_bp)
    app.register_blueprint(simulator_bp)
    app.register_blueprint(portal_events_bp)
    rt.portal_events.target = lambda event: portal_intake.accept(app, event)
    if isinstance(rt.queue, ThreadQueue):
        # embedded: no worker purges personal data past its retention (make worker does with
        # Redis). Unanswered SMS are the runtime's sweep's business: an app built by a command
        # (dead letters, purge) must not take over messages the serving process is answering.
        purger = retention.Purger(lambda: retention.purge(settings, rt.messages.engine),
                                  first_after=60.0).start()
        rt.closers.append(purger.stop)
        if settings.portal_poll_seconds:  # the portal's events may stop: ask it now and then
            rt.closers.append(Poller(app, settings.portal_poll_seconds).start().stop)
    # Load the NLU model now, off the request path, so the first question is not slow.
    threading.Thread(target=rt.nlu.warm, name="nlu-warmup", daemon=True).start()

    @app.errorhandler(404)
    def not_found(_error):
        return jsonify(error="not found"), 404

    @app.errorhandler(405)
    def not_allowed(_error):
        return jsonify(error="method not allowed"), 405

    @app.errorhandler(413)
    def too_large(_error):
        return jsonify(error="request too large"), 413

    log.info("guichet ready", extra={"embedded_store": settings.embedded_store,
                                     "sandbox_portal": settings.portal_url is None})
    return app
