"""A real local HTTP server that integration functions call in tests (echo, slow, status,
flaky, redirect, large bodies, non-JSON)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


class ServerState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.flaky: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.gate = threading.Event()  # /gate answers (like /echo) once this is set

    def seen(self, key: str) -> int:
        with self.lock:
            return self.hits[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 30  # a client that stops sending mid-request does not hold a thread for ever
    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        parts = split.path.strip("/").split("/")
        route = parts[0]
        state = self.server.state
        key = query.get("key", [split.path])[0]
        with state.lock:
            state.hits[key] += 1
            state.hits[route] += 1
        received = {
            "method": self.command,
            "raw_path": split.path,
            "path": unquote(split.path),
            "segments": [unquote(p) for p in parts],
            "raw_query": split.query,
            "query": query,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": raw_body.decode("utf-8", "replace"),
            "client_port": self.client_address[1],
        }
        with state.lock:
            state.requests.append(received)
        one = {name: values[0] for name, values in query.items()}
        if route == "echo":
            self._send_json(200, {"received": received, "data": {"items": [{"status": "ok"}]}})
        elif route == "gate":
            opened = state.gate.wait(timeout=float(one.get("wait_s", "10")))
            status = 200 if opened else 504
            self._send_json(status, {"received": received, "data": {"items": [{"status": "ok"}]}})
        elif route == "slow":
            time.sleep(int(one.get("ms", "100")) / 1000.0)
            self._send_json(200, {"slept_ms": int(one.get("ms", "100"))})
        elif route == "status":
            self._send_json(int(parts[1]), {"status": int(parts[1])})
        elif route == "flaky":
            with state.lock:
                state.flaky[key] += 1
                attempt = state.flaky[key]
            if attempt <= int(one.get("fails", "1")):
                self._send_json(503, {"attempt": attempt})
            else:
                self._send_json(200, {"attempt": attempt, "method": self.command})
        elif route == "redirect":
            self.send_response(int(one.get("code", "302")))
            self.send_header("Location", one["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif route == "large":
            self._large(int(one.get("bytes", "3000000")), one.get("length", "1") == "1")
        elif route == "close":
            self.close_connection = True
            self._send_json(200, {"received": received}, {"Connection": "close"})
        elif route == "cookie":
            self._send_json(200, {"received": received}, {"Set-Cookie": "crm_session=c1; Path=/"})
        elif route == "text":
            body = b"plain text, not JSON"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._send_json(404, {"error": "no such route"})

    def _large(self, size: int, with_length: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if with_length:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        chunk = b" " * 65536
        sent = 0
        try:
            while sent < size:
                piece = chunk[: min(len(chunk), size - sent)]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = ServerState()

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def running_server() -> Iterator[LocalServer]:
    httpd = LocalServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=2)
