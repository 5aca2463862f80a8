"""The app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

from cuebook.monitoring import install_monitoring
from cuebook.settings import Settings
from cuebook.wiring import build_services
from editor_api.analytics import bp as analytics_bp
from editor_api.analytics import by_script as script_analytics_bp
from editor_api.analytics_page import bp as analytics_page_bp
from editor_api.authoring import bp as authoring_bp
from editor_api.dead_letters import bp as dead_letters_bp
from editor_api.drafts import bp as drafts_bp
from editor_api.editor import bp as editor_bp
from editor_api.events import bp as events_bp
from editor_api.integrations import bp as integrations_bp
from editor_api.migrations import bp as migrations_bp
from editor_api.scripts import bp as scripts_bp
from player.api import bp as sessions_bp
from player.callbacks import bp as callbacks_bp
from player.customers import bp as customers_bp
from player.inbox import bp as inbox_bp
from player.messages import bp as messages_bp
from player.offers import bp as offers_bp
from player.operators import bp as operators_bp
from player.queues import bp as queues_bp
from player.signals import bp as signals_bp
from player.tickets import bp as tickets_bp
from player.web import bp as player_bp
from player.web import install_language
from player.workload import bp as workload_bp
from web.api_docs import bp as api_docs_bp
from web.auth import install_auth
from web.context import Services
from web.cors import install_cors
from web.errors import register_error_handlers
from web.json_provider import OrjsonProvider
from web.paths import install_path_rules
from web.sessions import CookieSessions


def create_app(settings: Settings | None = None, svc: Services | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    install_path_rules(app)  # before any route: a NUL in a path segment names nothing
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.json = OrjsonProvider(app)  # compact, non-ASCII kept, keys in their order
    app.session_interface = CookieSessions()  # no cookie signer built for a bearer call
    app.extensions["cuebook"] = svc or build_services(settings)
    install_monitoring(app, settings, app.extensions["cuebook"].database)  # first: times all
    register_error_handlers(app)
    install_auth(app)
    install_language(app, settings.default_language)

    @app.before_request
    def _limit_body() -> Any:
        length = request.content_length or 0
        if length > settings.max_body_bytes and not (request.mimetype or "").startswith(
            "multipart/"
        ):
            resp = jsonify(
                {
                    "error": {
                        "code": "payload_too_large",
                        "message": f"request body of {length} bytes is over the limit "
                        f"of {settings.max_body_bytes}",
                        "details": [],
                    }
                }
            )
            resp.status_code = 413
            return resp
        return None

    app.register_blueprint(scripts_bp)
    app.register_blueprint(migrations_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(script_analytics_bp)
    app.register_blueprint(analytics_page_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(dead_letters_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(queues_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(signals_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(callbacks_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(workload_bp)
    app.register_blueprint(operators_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(drafts_bp)
    app.register_blueprint(player_bp)
    app.register_blueprint(editor_bp)
    app.register_blueprint(api_docs_bp)
    install_cors(app)
    return app
