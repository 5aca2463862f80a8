"""The e2e harness: a page server for another origin, the live server handle, the driver runner."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

E2E = Path(__file__).resolve().parent
SCREENSHOTS = E2E / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
PLAYWRIGHT = ROOT / "node_modules" / "playwright-core"
DRIVER_TIMEOUT = 180


class Pages:
    """A tiny web server on its own port: another origin for the component and iframes."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = files.get(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Pages:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@dataclasses.dataclass
class Live:
    """The app's base URL and the page server on another origin."""

    url: str
    pages: Pages


def drive(script: str, **env: str) -> dict[str, Any]:
    """Run one Node driver; its last stdout line is the JSON result."""
    SCREENSHOTS.mkdir(exist_ok=True)
    done = subprocess.run(
        ["node", str(E2E / script)],
        env={**os.environ, "CUEBOOK_SCREENSHOTS": str(SCREENSHOTS), **env},
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT,
        cwd=ROOT,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, f"{script} printed nothing (exit {done.returncode}): {done.stderr[-3000:]}"
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        pytest.fail(f"{script} did not end with JSON: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    (SCREENSHOTS / f"{Path(script).stem}.json").write_text(json.dumps(result, indent=1))
    assert done.returncode == 0, f"{script} failed: {result.get('error')}\n{done.stderr[-3000:]}"
    return result
