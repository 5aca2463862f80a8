"""Per-function call statistics: Prometheus metrics plus a recent-window snapshot."""

from __future__ import annotations

import math
import threading
import weakref
from collections import deque
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from integrations.breaker import STATE_CODES

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The Prometheus metrics of integration calls, registered once per registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        fn = ["function"]
        self.calls = Counter(
            "cuebook_integration_calls", "Integration function calls", fn, registry=registry
        )
        self.errors = Counter(
            "cuebook_integration_errors",
            "Failed integration function calls by kind",
            [*fn, "kind"],
            registry=registry,
        )
        self.latency = Histogram(
            "cuebook_integration_call_seconds",
            "Integration function call time, retries and cache hits included",
            fn,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "cuebook_integration_retries", "Attempts beyond the first", fn, registry=registry
        )
        self.cache_hits = Counter(
            "cuebook_integration_cache_hits", "Calls answered from the cache", fn, registry=registry
        )
        self.cache_misses = Counter(
            "cuebook_integration_cache_misses",
            "Cacheable calls not found in the cache",
            fn,
            registry=registry,
        )
        self.breaker_state = Gauge(
            "cuebook_integration_breaker_state",
            "Circuit breaker state: 0 closed, 1 open, 2 half-open",
            fn,
            registry=registry,
            multiprocess_mode="livemax",  # the worst state among the live workers
        )


_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, Metrics] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def metrics_for(registry: CollectorRegistry | None) -> Metrics:
    """The metrics registered in ``registry`` (default: the process-wide one)."""
    target = REGISTRY if registry is None else registry
    with _registry_lock:
        metrics = _by_registry.get(target)
        if metrics is None:
            metrics = Metrics(target)
            _by_registry[target] = metrics
        return metrics


def _percentile(ordered: list[float], q: float) -> float | None:
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return round(ordered[rank - 1], 3)


class FunctionStats:
    """Counters of one function; thread-safe."""

    def __init__(self, name: str, metrics: Metrics, window: int) -> None:
        self.name = name
        self._metrics = metrics
        self._calls = metrics.calls.labels(name)
        self._latency = metrics.latency.labels(name)
        self._retries = metrics.retries.labels(name)
        self._hits = metrics.cache_hits.labels(name)
        self._misses = metrics.cache_misses.labels(name)
        self._breaker = metrics.breaker_state.labels(name)
        self._error_children: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.errors: dict[str, int] = {}
        self.cache_hits = 0
        self.cache_misses = 0
        self.retries = 0
        self._recent: deque[float] = deque(maxlen=window)
        self._recent_errors: deque[bool] = deque(maxlen=window)

    def breaker_changed(self, state: str) -> None:
        self._breaker.set(STATE_CODES[state])

    def cache_lookup(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.cache_hits += 1
            else:
                self.cache_misses += 1
        (self._hits if hit else self._misses).inc()

    def record(self, elapsed_s: float, attempts: int, error_kind: str | None) -> None:
        """One finished call: its time, how many attempts it took, how it failed (if it did)."""
        extra = max(0, attempts - 1)
        child = None
        with self._lock:
            self.calls += 1
            self.retries += extra
            self._recent.append(elapsed_s * 1000.0)
            self._recent_errors.append(error_kind is not None)
            if error_kind is not None:
                self.errors[error_kind] = self.errors.get(error_kind, 0) + 1
                child = self._error_children.get(error_kind)
                if child is None:
                    child = self._metrics.errors.labels(self.name, error_kind)
                    self._error_children[error_kind] = child
        self._calls.inc()
        self._latency.observe(elapsed_s)
        if extra:
            self._retries.inc(extra)
        if child is not None:
            child.inc()

    def snapshot(self, breaker_state: str) -> dict[str, Any]:
        with self._lock:
            recent = sorted(self._recent)
            recent_errors = sum(self._recent_errors)
            window = len(self._recent_errors)
            errors = dict(self.errors)
            calls = self.calls
            hits, misses, retries = self.cache_hits, self.cache_misses, self.retries
        total_errors = sum(errors.values())
        return {
            "function": self.name,
            "calls": calls,
            "errors": total_errors,
            "errors_by_kind": errors,
            "error_rate": round(total_errors / calls, 4) if calls else 0.0,
            "recent_calls": window,
            "recent_error_rate": round(recent_errors / window, 4) if window else 0.0,
            "p50_ms": _percentile(recent, 0.50),
            "p95_ms": _percentile(recent, 0.95),
            "retries": retries,
            "cache_hits": hits,
            "cache_misses": misses,
            "breaker": breaker_state,
        }


def empty_snapshot(name: str) -> dict[str, Any]:
    """The snapshot of a function never called in this process."""
    return {
        "function": name,
        "calls": 0,
        "errors": 0,
        "errors_by_kind": {},
        "error_rate": 0.0,
        "recent_calls": 0,
        "recent_error_rate": 0.0,
        "p50_ms": None,
        "p95_ms": None,
        "retries": 0,
        "cache_hits": 0,
        "cache_misses": 0,
        "breaker": "closed",
    }
