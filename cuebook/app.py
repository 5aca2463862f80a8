"""The app factory."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from cuebook.settings import Settings
from cuebook.wiring import build_services
from editor_api.analytics import bp as analytics_bp
from editor_api.dead_letters import bp as dead_letters_bp
from editor_api.events import bp as events_bp
from editor_api.integrations import bp as integrations_bp
from editor_api.scripts import bp as scripts_bp
from engine.events.metrics import EventsCollector
from player.api import bp as sessions_bp
from player.customers import bp as customers_bp
from player.messages import bp as messages_bp
from player.queues import bp as queues_bp
from player.signals import bp as signals_bp
from player.tickets import bp as tickets_bp
from player.web import bp as player_bp
from player.web import install_language
from web.auth import install_auth, public
from web.context import Services, services
from web.cors import install_cors
from web.errors import register_error_handlers
from web.json_provider import OrjsonProvider


def create_app(settings: Settings | None = None, svc: Services | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.json = OrjsonProvider(app)  # compact, non-ASCII kept, keys in their order
    app.extensions["cuebook"] = svc or build_services(settings)
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

    @app.get("/healthz")
    @public
    def healthz() -> Any:
        with services().database.unit_of_work() as uow:
            uow.conn.execute(sa.text("SELECT 1"))
        return jsonify({"status": "ok"})

    events = CollectorRegistry()  # the outbox's lag etc., read per scrape
    events.register(EventsCollector(app.extensions["cuebook"].database))

    @app.get("/metrics")
    @public
    def metrics() -> Any:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            body = generate_latest(registry)
        else:
            body = generate_latest()
        return Response(body + generate_latest(events), mimetype=CONTENT_TYPE_LATEST)

    app.register_blueprint(scripts_bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(dead_letters_bp)
    app.register_blueprint(integrations_bp)
    app.register_blueprint(sessions_bp)
    app.register_blueprint(queues_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(signals_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(player_bp)
    install_cors(app)
    return app
