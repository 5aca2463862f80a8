"""Browser tests: a live Cuebook server, a page server on another origin, and a Node driver.

Each scenario is a small playwright-core script under ``tests/e2e/`` that drives the
Debian Chromium and prints one JSON object; the tests assert on it.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from cuebook.app import create_app
from player.web import bp as player_bp
from tests.e2e.harness import CHROMIUM, E2E, PLAYWRIGHT, Live, Pages
from web.cors import install_cors


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium; `make e2e` does it)"
    if not PLAYWRIGHT.is_dir():
        return f"{PLAYWRIGHT} is missing (npm ci at the repository root; `make e2e` does it)"
    if shutil.which("node") is None:
        return "node is not on PATH"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    for item in items:
        if reason and Path(str(item.fspath)).is_relative_to(E2E):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live(settings: Any, services: Any) -> Iterator[Live]:
    """The app on a free port; its CORS origins include the page server's origin."""
    with Pages() as pages:
        allowed = (*settings.cors_origins, pages.origin)
        live_settings = dataclasses.replace(settings, cors_origins=allowed)
        app = create_app(live_settings, dataclasses.replace(services, settings=live_settings))
        if "player" not in app.blueprints:
            app.register_blueprint(player_bp)
        install_cors(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Live(url=f"http://127.0.0.1:{server.server_port}", pages=pages)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
