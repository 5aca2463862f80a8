"""Calling integration functions: bind, render, cache, circuit breaker, retries, stats.

One ``Invoker`` per process holds one pooled HTTP client and is safe to share between
threads. Every failure surfaces as ``CallFailed`` with a ``kind``; secret values are masked
in everything it returns, raises or logs.
"""

from __future__ import annotations

import copy
import http.cookiejar
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
from cachetools import TTLCache
from prometheus_client import CollectorRegistry

from integrations.allowlist import AllowList
from integrations.binding import bind_arguments
from integrations.breaker import CircuitBreaker
from integrations.config import InvokerConfig
from integrations.errors import CallFailed, SecretMissing
from integrations.exchange import ExchangeFailed, Reply, exchange
from integrations.paths import MISSING, extract
from integrations.pool import PooledTransport
from integrations.rendering import RenderedRequest, masked_context
from integrations.secret_store import Masker, SecretStore
from integrations.spec import FunctionSpec
from integrations.stats import FunctionStats, empty_snapshot, metrics_for
from integrations.templates import SECRETS_NAME, TemplateRenderError

log = logging.getLogger("cuebook.integrations")

_BREAKER_KINDS = frozenset({"timeout", "network", "bad_response", "too_large"})
_RETRY_KINDS = frozenset({"timeout", "network"})
_RETRY_STATUSES = frozenset({408, 429})


def _counts_against_remote(exc: CallFailed) -> bool:
    if exc.kind == "http_status":
        return exc.status is not None and (exc.status >= 500 or exc.status in _RETRY_STATUSES)
    return exc.kind in _BREAKER_KINDS


def _retryable(exc: ExchangeFailed) -> bool:
    if exc.kind == "http_status":
        return exc.status is not None and (exc.status >= 500 or exc.status in _RETRY_STATUSES)
    return exc.kind in _RETRY_KINDS


@dataclass(frozen=True, slots=True)
class CallResult:
    """The outcome of a successful call. ``request`` is the rendered request, secrets masked."""

    function: str
    results: dict[str, Any]
    status: int
    elapsed_ms: float
    attempts: int
    cached: bool
    request: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "results": self.results,
            "status": self.status,
            "elapsed_ms": self.elapsed_ms,
            "attempts": self.attempts,
            "cached": self.cached,
            "request": self.request,
        }


class _FunctionState:
    """Breaker, cache and stats of one function name."""

    def __init__(self, spec: FunctionSpec, stats: FunctionStats) -> None:
        self.stats = stats
        self.breaker_config = (spec.circuit_breaker.failure_threshold, spec.circuit_breaker.reset_s)
        self.breaker = CircuitBreaker(*self.breaker_config, on_change=stats.breaker_changed)
        stats.breaker_changed(self.breaker.state)
        self.cache_config = (spec.cache.ttl_s, spec.cache.max_entries) if spec.cache else None
        self.cache: TTLCache[tuple[int, str], tuple[int, str]] | None = (
            TTLCache(maxsize=self.cache_config[1], ttl=self.cache_config[0])
            if self.cache_config
            else None
        )
        self.cache_lock = threading.Lock()
        self.in_flight: dict[tuple[int, str], threading.Event] = {}

    def fits(self, spec: FunctionSpec) -> bool:
        cache = (spec.cache.ttl_s, spec.cache.max_entries) if spec.cache else None
        breaker = (spec.circuit_breaker.failure_threshold, spec.circuit_breaker.reset_s)
        return cache == self.cache_config and breaker == self.breaker_config

    def join_flight(self, key: tuple[int, str]) -> threading.Event | None:
        """``None`` when this caller should fetch ``key``; else an event set when the
        caller already fetching it is done."""
        with self.cache_lock:
            event = self.in_flight.get(key)
            if event is None:
                self.in_flight[key] = threading.Event()
            return event

    def end_flight(self, key: tuple[int, str]) -> None:
        with self.cache_lock:
            event = self.in_flight.pop(key, None)
        if event is not None:
            event.set()

    def cache_get(self, key: tuple[int, str]) -> tuple[int, str] | None:
        assert self.cache is not None
        with self.cache_lock:
            return self.cache.get(key)

    def cache_put(self, key: tuple[int, str], value: tuple[int, str]) -> None:
        assert self.cache is not None
        with self.cache_lock:
            self.cache[key] = value


class _NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that keeps nothing.

    Every call of every session goes through one client: a cookie kept from one response
    (a CRM's session cookie, set on one customer's call) would go out on every later call to
    that host, whoever it is for. A function that needs a cookie sends it as a header."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None


class Invoker:
    """Calls integration functions over one pooled ``httpx.Client`` that keeps no cookies."""

    def __init__(
        self,
        config: InvokerConfig,
        secrets: SecretStore,
        allow: AllowList,
        transport: httpx.BaseTransport | None = None,
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.config = config
        self._secrets = secrets
        self._allow = allow
        self._metrics = metrics_for(registry)
        limits = httpx.Limits(
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_keepalive_connections,
            keepalive_expiry=config.keepalive_expiry_s,
        )
        if transport is None and not config.trust_env:
            transport = PooledTransport(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_keepalive_connections,
                keepalive_expiry_s=config.keepalive_expiry_s,
                allow=allow,
            )
        self._client = httpx.Client(
            transport=transport,
            limits=limits,
            follow_redirects=False,
            trust_env=config.trust_env,
            cookies=_NoCookies(),
            headers={"User-Agent": config.user_agent},
        )
        self._states: dict[str, _FunctionState] = {}
        self._stats: dict[str, FunctionStats] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Invoker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _state(self, spec: FunctionSpec) -> _FunctionState:
        state = self._states.get(spec.name)
        if state is not None and state.fits(spec):
            return state
        with self._lock:
            state = self._states.get(spec.name)
            if state is None or not state.fits(spec):
                stats = self._stats.get(spec.name)
                if stats is None:
                    stats = FunctionStats(spec.name, self._metrics, self.config.stats_window)
                    self._stats[spec.name] = stats
                state = _FunctionState(spec, stats)
                self._states[spec.name] = state
            return state

    def _prepare(
        self, spec: FunctionSpec, args: Sequence[Any] | Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, str], Masker, RenderedRequest]:
        if spec.compiled is None:
            raise CallFailed(
                spec.name, None, "the spec was not built by parse_function", "bad_arguments"
            )
        values = bind_arguments(spec, args)
        try:
            secret_values = self._secrets.values_for(spec.secrets)
        except SecretMissing as exc:
            raise CallFailed(spec.name, None, str(exc), "refused") from None
        masker = self._secrets.masker(secret_values)
        context = dict(values)
        context[SECRETS_NAME] = secret_values
        try:
            rendered = spec.compiled.render(context)
        except TemplateRenderError as exc:
            raise CallFailed(spec.name, None, masker(str(exc)), "bad_arguments") from None
        return values, secret_values, masker, rendered

    def _shown(
        self, spec: FunctionSpec, values: dict[str, Any], masker: Masker, rendered: RenderedRequest
    ) -> dict[str, Any]:
        """The rendered request as users may see it: every secret replaced by ``***``."""
        assert spec.compiled is not None
        if not spec.compiled.uses_secrets and not masker:
            return rendered.to_dict()
        if spec.compiled.uses_secrets:
            try:
                rendered = spec.compiled.render(masked_context(values, spec.secrets))
            except TemplateRenderError:
                pass
        return rendered.masked(masker).to_dict()

    def preview(
        self, spec: FunctionSpec, args: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The request a call would send, secrets masked, without sending it."""
        values, _secrets, masker, rendered = self._prepare(spec, args)
        return self._shown(spec, values, masker, rendered)

    def call(
        self, spec: FunctionSpec, args: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> CallResult:
        """Call ``spec`` with ``args`` (a list in parameter order or a dict by name).

        Raises ``CallFailed`` (``ArgumentsInvalid`` for bad arguments) on any failure.
        """
        started = time.perf_counter()
        state = self._state(spec)
        masker: Masker | None = None
        shown: Callable[[], dict[str, Any]] | None = None
        try:
            values, _secret_values, masker, rendered = self._prepare(spec, args)
            shown = partial(self._shown, spec, values, masker, rendered)
            if not spec.cacheable:
                status, results, attempts = self._remote(spec, state, rendered, masker)
                return self._finish(
                    spec, state, started, values, masker, rendered, status, results,
                    attempts=attempts, cached=False,
                )  # fmt: skip
            key = (spec.version, rendered.cache_key())
            hit = state.cache_get(key)
            leader = False
            if hit is None:
                waiting = state.join_flight(key)
                if waiting is None:
                    leader = True
                else:
                    waiting.wait(spec.timeout_s * (spec.retries.count + 1) + 1.0)
                    hit = state.cache_get(key)
            if hit is not None:
                return self._hit(spec, state, started, values, masker, rendered, hit)
            state.stats.cache_lookup(False)
            try:
                status, results, attempts = self._remote(spec, state, rendered, masker)
                state.cache_put(key, (status, json.dumps(results)))
            finally:
                if leader:
                    state.end_flight(key)
            return self._finish(
                spec, state, started, values, masker, rendered, status, results,
                attempts=attempts, cached=False,
            )  # fmt: skip
        except CallFailed as exc:
            elapsed = time.perf_counter() - started
            state.stats.record(elapsed, exc.attempts, exc.kind)
            if masker is not None:
                exc.message = masker(exc.message)
                exc.args = (masker(str(exc.args[0])),) if exc.args else exc.args
            if shown is not None:
                exc.request = shown()
            log.warning(
                "integration %s failed (%s) after %d attempt(s) in %.1f ms: %s",
                spec.name,
                exc.kind,
                exc.attempts,
                elapsed * 1000.0,
                exc.message,
            )
            raise

    def cached(
        self, spec: FunctionSpec, args: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> CallResult | None:
        """The result ``call`` would return from the cache, or ``None``: sends nothing and
        waits for nothing (not for a call of the same arguments in flight either).

        A caller that must not wait while it holds something (a step holding its session's
        row lock) asks here first, and makes the call only on a miss, after letting go. A
        miss or arguments that do not bind are ``None``; ``call`` then reports them.
        """
        if not spec.cacheable:
            return None
        started = time.perf_counter()
        state = self._state(spec)
        try:
            values, _secret_values, masker, rendered = self._prepare(spec, args)
        except CallFailed:
            return None
        hit = state.cache_get((spec.version, rendered.cache_key()))
        if hit is None:
            return None
        return self._hit(spec, state, started, values, masker, rendered, hit)

    def _hit(
        self,
        spec: FunctionSpec,
        state: _FunctionState,
        started: float,
        values: dict[str, Any],
        masker: Masker,
        rendered: RenderedRequest,
        hit: tuple[int, str],
    ) -> CallResult:
        state.stats.cache_lookup(True)
        return self._finish(
            spec, state, started, values, masker, rendered, hit[0], json.loads(hit[1]),
            attempts=0, cached=True,
        )  # fmt: skip

    def _remote(
        self, spec: FunctionSpec, state: _FunctionState, rendered: RenderedRequest, masker: Masker
    ) -> tuple[int, dict[str, Any], int]:
        """Send through the circuit breaker; (status, results, attempts) or ``CallFailed``."""
        if not state.breaker.allow():
            raise CallFailed(
                spec.name,
                None,
                f"circuit breaker open after repeated failures; next trial in "
                f"{state.breaker.retry_in():.1f}s",
                "breaker_open",
            )
        attempts = 0
        try:
            reply, attempts = self._send(spec, rendered, masker)
            results = self._results(spec, reply)
        except CallFailed as exc:
            exc.attempts = max(exc.attempts, attempts)
            if _counts_against_remote(exc):
                state.breaker.record_failure()
            else:
                state.breaker.release()
            raise
        except BaseException:
            state.breaker.release()
            raise
        state.breaker.record_success()
        return reply.status, results, attempts

    def _finish(
        self,
        spec: FunctionSpec,
        state: _FunctionState,
        started: float,
        values: dict[str, Any],
        masker: Masker,
        rendered: RenderedRequest,
        status: int,
        results: dict[str, Any],
        *,
        attempts: int,
        cached: bool,
    ) -> CallResult:
        shown = self._shown(spec, values, masker, rendered)
        elapsed = time.perf_counter() - started
        state.stats.record(elapsed, attempts, None)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "integration %s %s %s -> %d in %.1f ms (attempts %d, cached %s)",
                spec.name,
                shown["method"],
                shown["url"],
                status,
                elapsed * 1000.0,
                attempts,
                cached,
            )
        return CallResult(
            spec.name, results, status, round(elapsed * 1000.0, 3), attempts, cached, shown
        )

    def _send(
        self, spec: FunctionSpec, rendered: RenderedRequest, masker: Masker
    ) -> tuple[Reply, int]:
        limit = 1 + spec.retries.count if spec.retryable else 1
        success = spec.response.success_codes
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = exchange(
                    self._client,
                    self._allow,
                    rendered,
                    timeout_s=spec.timeout_s,
                    max_bytes=self.config.max_response_bytes,
                    max_redirects=self.config.max_redirects,
                    success=success,
                )
                return reply, attempt
            except ExchangeFailed as exc:
                if attempt >= limit or not _retryable(exc):
                    raise CallFailed(
                        spec.name, exc.status, masker(exc.message), exc.kind, attempts=attempt
                    ) from None
                log.info(
                    "integration %s attempt %d failed (%s), retrying: %s",
                    spec.name,
                    attempt,
                    exc.kind,
                    masker(exc.message),
                )
            time.sleep(spec.retries.backoff_s * (2 ** (attempt - 1)))

    def _results(self, spec: FunctionSpec, reply: Reply) -> dict[str, Any]:
        wanted = spec.response.results
        if not wanted:
            return {}
        try:
            document = json.loads(reply.body)
        except ValueError:
            kind = reply.content_type or "no content type"
            raise CallFailed(
                spec.name,
                reply.status,
                f"the response is not JSON ({kind}, {len(reply.body)} bytes)",
                "bad_response",
                attempts=1,
            ) from None
        results: dict[str, Any] = {}
        for result in wanted:
            value = extract(document, result.steps)
            if value is MISSING:
                if result.required:
                    raise CallFailed(
                        spec.name,
                        reply.status,
                        f"result {result.name!r}: path {result.path!r} is not in the response",
                        "bad_response",
                        attempts=1,
                    )
                value = copy.deepcopy(result.default)
            results[result.name] = value
        return results

    def stats(self, name: str) -> dict[str, Any]:
        """A snapshot of one function's counters, recent latency and breaker state."""
        stats = self._stats.get(name)
        state = self._states.get(name)
        if stats is None or state is None:
            return empty_snapshot(name)
        return stats.snapshot(state.breaker.state)

    def all_stats(self) -> list[dict[str, Any]]:
        return [self.stats(name) for name in sorted(self._stats)]
