"""One HTTP exchange: send a rendered request, follow redirects by hand, read a capped body.

Every hop is checked against the allow-list before it is sent. The body is streamed and
abandoned as soon as it passes the size cap or the attempt's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from integrations.allowlist import AllowList
from integrations.errors import FailureKind, HostRefused, HostUnresolved
from integrations.rendering import RenderedRequest

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DRAIN_LIMIT = 64 * 1024
_CROSS_ORIGIN_DROP = frozenset({"authorization", "cookie", "proxy-authorization"})


class ExchangeFailed(Exception):
    """An attempt failed; the message may still hold secrets and must be masked by the caller."""

    def __init__(self, kind: FailureKind, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind: FailureKind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    url: str
    redirects: int


def where(url: httpx.URL) -> str:
    """``METHOD``-free description of a URL for messages: scheme, host, port and path only."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def build_request(
    client: httpx.Client, rendered: RenderedRequest, timeout: httpx.Timeout
) -> httpx.Request:
    headers: list[tuple[bytes, bytes]] = [
        (name.encode("ascii"), value.encode("utf-8")) for name, value in rendered.headers.items()
    ]
    content: str | bytes | None = None
    json_body = None
    form = None
    body = rendered.body
    if body is not None:
        lower = {name.lower() for name, _ in headers}
        if rendered.body_type == "form":
            form = body
        elif isinstance(body, str):
            content = body.encode("utf-8")
            if b"content-type" not in lower:
                kind = b"application/json" if rendered.body_type == "json" else b"text/plain"
                headers.append((b"Content-Type", kind + b"; charset=utf-8"))
        else:
            json_body = body
    try:
        return client.build_request(
            rendered.method,
            rendered.url,
            params=rendered.params or None,
            headers=headers,
            content=content,
            data=form,
            json=json_body,
            timeout=timeout,
        )
    except httpx.InvalidURL as exc:
        raise ExchangeFailed("bad_arguments", f"the rendered URL is not valid: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ExchangeFailed("bad_arguments", f"the request cannot be built: {exc}") from None


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    return url.scheme, url.raw_host, url.port


def _next_request(
    client: httpx.Client,
    request: httpx.Request,
    response: httpx.Response,
    secret_headers: Iterable[str],
    timeout: httpx.Timeout,
) -> httpx.Request:
    location = response.headers.get("location", "")
    try:
        url = request.url.join(location)
    except httpx.InvalidURL as exc:
        raise ExchangeFailed(
            "bad_response", f"bad redirect location: {exc}", response.status_code
        ) from None
    method = request.method
    content: bytes | None = request.content or None
    headers = httpx.Headers(request.headers)
    for name in ("host", "content-length", "transfer-encoding"):
        headers.pop(name, None)
    status = response.status_code
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, content = "GET", None
        headers.pop("content-type", None)
    if _origin(url) != _origin(request.url):
        for name in (*_CROSS_ORIGIN_DROP, *secret_headers):
            headers.pop(name, None)
    return client.build_request(method, url, headers=headers, content=content, timeout=timeout)


def _check(allow: AllowList, url: httpx.URL) -> None:
    try:
        allow.check(url)
    except HostRefused as exc:
        raise ExchangeFailed("refused", str(exc)) from None
    except HostUnresolved as exc:
        raise ExchangeFailed("network", str(exc)) from None


def _read(response: httpx.Response, limit: int, deadline: float, *, strict: bool) -> bytes:
    declared = response.headers.get("content-length", "")
    if strict and declared.isdigit() and int(declared) > limit:
        raise ExchangeFailed(
            "too_large",
            f"response of {declared} bytes is over the {limit}-byte limit",
            response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        late = time.perf_counter() > deadline
        if not strict and (size > limit or late):
            break
        if size > limit:
            raise ExchangeFailed(
                "too_large",
                f"response is over the {limit}-byte limit",
                response.status_code,
            )
        if late:
            raise ExchangeFailed("timeout", "the response took too long to arrive")
        chunks.append(chunk)
    return b"".join(chunks)


def _transport_failure(exc: Exception, target: str) -> ExchangeFailed:
    if isinstance(exc, httpx.TimeoutException):
        return ExchangeFailed("timeout", f"{type(exc).__name__} calling {target}")
    if isinstance(exc, httpx.DecodingError):
        return ExchangeFailed("bad_response", f"cannot decode the response of {target}: {exc}")
    return ExchangeFailed("network", f"{type(exc).__name__} calling {target}: {exc}")


def exchange(
    client: httpx.Client,
    allow: AllowList,
    rendered: RenderedRequest,
    *,
    timeout_s: float,
    max_bytes: int,
    max_redirects: int,
    success: frozenset[int],
) -> Reply:
    """Send ``rendered`` and return its reply; raises ``ExchangeFailed`` with a kind."""
    deadline = time.perf_counter() + timeout_s
    request = build_request(client, rendered, httpx.Timeout(timeout_s))
    redirects = 0
    while True:
        _check(allow, request.url)
        target = f"{request.method} {where(request.url)}"
        try:
            response = client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _transport_failure(exc, target) from None
        except HostRefused as exc:
            raise ExchangeFailed("refused", str(exc)) from None
        except HostUnresolved as exc:
            raise ExchangeFailed("network", str(exc)) from None
        try:
            status = response.status_code
            if (
                status in REDIRECT_STATUSES
                and max_redirects > 0
                and "location" in response.headers
                and status not in success
            ):
                if redirects >= max_redirects:
                    raise ExchangeFailed(
                        "bad_response", f"more than {max_redirects} redirects from {target}", status
                    )
                remaining = max(deadline - time.perf_counter(), 0.001)
                request = _next_request(
                    client, request, response, rendered.secret_headers, httpx.Timeout(remaining)
                )
                redirects += 1
                continue
            if status not in success:
                _read(response, _DRAIN_LIMIT, deadline, strict=False)
                raise ExchangeFailed("http_status", f"HTTP {status} from {target}", status)
            body = _read(response, max_bytes, deadline, strict=True)
            return Reply(
                status,
                response.headers.get("content-type", ""),
                body,
                str(response.url),
                redirects,
            )
        except httpx.HTTPError as exc:
            raise _transport_failure(exc, target) from None
        finally:
            response.close()
