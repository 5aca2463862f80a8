"""An HTTP/1.1 keep-alive transport whose checkout costs the same with 1 or 200 connections.

httpx's default pool rescans every connection (several times) on each request and on each
response close, so with ~100 kept-alive connections a request pays milliseconds of pure
bookkeeping. Here idle connections sit in a per-origin stack: taking one and giving it
back are O(1), and a semaphore bounds the requests in flight.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from integrations.allowlist import AllowList

_SWEEP_EVERY_S = 5.0

_Key = tuple[bytes, bytes, int]


@contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise httpcore's exceptions as the httpx exceptions of the same name."""
    try:
        yield
    except httpcore.ConnectionNotAvailable:
        raise
    except Exception as exc:
        if not type(exc).__module__.startswith("httpcore"):
            raise
        for cls in type(exc).__mro__:
            target = getattr(httpx, cls.__name__, None)
            if isinstance(target, type) and issubclass(target, httpx.TransportError):
                raise target(str(exc), request=request) from exc
        raise httpx.TransportError(str(exc), request=request) from exc


class _Idle:
    __slots__ = ("connection", "since")

    def __init__(self, connection: httpcore.HTTPConnection, since: float) -> None:
        self.connection = connection
        self.since = since


class _PooledStream(httpx.SyncByteStream):
    """A response body that hands its connection back to the pool once closed."""

    def __init__(
        self,
        stream: httpcore.Response,
        pool: PooledTransport,
        key: _Key,
        connection: httpcore.HTTPConnection,
        request: httpx.Request,
    ) -> None:
        self._response = stream
        self._pool = pool
        self._key = key
        self._connection = connection
        self._request = request
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors(self._request):
            yield from self._response.iter_stream()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            with _httpx_errors(self._request):
                self._response.close()
        finally:
            self._pool._give_back(self._key, self._connection)


class GuardedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the allow-list accepts at connect time."""

    def __init__(self, allow: AllowList) -> None:
        self._allow = allow
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self._allow.connect_addresses(host, port):
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PooledTransport(httpx.BaseTransport):
    """Plain HTTP/1.1 over kept-alive connections, TLS verified with httpx's defaults."""

    def __init__(
        self,
        *,
        max_connections: int = 128,
        max_keepalive_connections: int = 100,
        keepalive_expiry_s: float = 30.0,
        verify: bool = True,
        allow: AllowList | None = None,
    ) -> None:
        self._ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._backend = GuardedBackend(allow) if allow is not None else None
        self._slots = threading.BoundedSemaphore(max_connections)
        self._keep = max_keepalive_connections
        self._expiry = keepalive_expiry_s
        self._idle: dict[_Key, deque[_Idle]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._next_sweep = time.monotonic() + _SWEEP_EVERY_S

    def _take(self, key: _Key) -> httpcore.HTTPConnection | None:
        while True:
            with self._lock:
                stack = self._idle.get(key)
                if not stack:
                    return None
                entry = stack.pop()
            connection = entry.connection
            if connection.is_available() and not connection.has_expired():
                return connection
            connection.close()

    def _give_back(self, key: _Key, connection: httpcore.HTTPConnection) -> None:
        self._slots.release()
        now = time.monotonic()
        drop: list[httpcore.HTTPConnection] = []
        with self._lock:
            if self._closed or not connection.is_idle():
                drop.append(connection)
            else:
                stack = self._idle.setdefault(key, deque())
                stack.append(_Idle(connection, now))
                if len(stack) > self._keep:
                    drop.append(stack.popleft().connection)
            if now >= self._next_sweep:
                self._next_sweep = now + _SWEEP_EVERY_S
                drop.extend(self._sweep(now))
        for stale in drop:
            stale.close()

    def _sweep(self, now: float) -> list[httpcore.HTTPConnection]:
        """Idle connections past their keep-alive, removed from the stacks (lock held)."""
        stale = []
        for key, stack in list(self._idle.items()):
            while stack and now - stack[0].since > self._expiry:
                stale.append(stack.popleft().connection)
            if not stack:
                del self._idle[key]
        return stale

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,
        )
        wait = request.extensions.get("timeout", {}).get("pool")
        if not self._slots.acquire(timeout=wait):
            raise httpx.PoolTimeout("no connection slot became free in time", request=request)
        origin = core.url.origin
        key = (origin.scheme, origin.host, origin.port)
        try:
            for _ in range(3):
                connection = self._take(key) or httpcore.HTTPConnection(
                    origin=origin,
                    ssl_context=self._ssl_context,
                    keepalive_expiry=self._expiry,
                    network_backend=self._backend,
                )
                try:
                    with _httpx_errors(request):
                        response = connection.handle_request(core)
                    break
                except httpcore.ConnectionNotAvailable:
                    connection.close()
                except BaseException:
                    connection.close()
                    raise
            else:
                raise httpx.ConnectError("no usable connection", request=request)
        except BaseException:
            self._slots.release()
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_PooledStream(response, self, key, connection, request),
            extensions=response.extensions,
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            stacks = list(self._idle.values())
            self._idle.clear()
        for stack in stacks:
            for entry in stack:
                entry.connection.close()
