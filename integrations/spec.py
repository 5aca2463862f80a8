"""Integration function specs: declarative data, validated and compiled once.

``parse_function`` checks a spec dict against ``FUNCTION_SCHEMA`` and then against the rules
a schema cannot express (templates compile and name only declared parameters and secrets,
defaults fit their types, result paths parse), and reports every problem with its path.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from cachetools import LRUCache
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from integrations.binding import coerce
from integrations.errors import Problem, SpecInvalid
from integrations.paths import PathInvalid, Step, compile_path
from integrations.rendering import CompiledRequest, compile_request
from integrations.schema import FUNCTION_SCHEMA

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
DEFAULT_SUCCESS = frozenset(range(200, 300))

_RESERVED_NAMES = frozenset(
    {
        "secrets",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "and",
        "or",
        "not",
        "in",
        "is",
        "if",
        "else",
        "elif",
        "for",
        "loop",
        "self",
        "caller",
        "kwargs",
        "varargs",
    }
)
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


class _NoDefault:
    def __repr__(self) -> str:
        return "<no default>"

    def __deepcopy__(self, memo: dict[int, Any]) -> _NoDefault:
        return self


_NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool = True
    default: Any = _NO_DEFAULT
    description: str = ""

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.has_default:
            data["default"] = copy.deepcopy(self.default)
        if self.description:
            data["description"] = self.description
        return data


@dataclass(frozen=True)
class RequestSpec:
    method: str
    url: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    body_type: str

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "query": dict(self.query),
            "body_type": self.body_type,
        }
        if self.body is not None:
            data["body"] = copy.deepcopy(self.body)
        return data


@dataclass(frozen=True)
class ResultSpec:
    name: str
    path: str
    required: bool = False
    default: Any = None
    steps: tuple[Step, ...] = field(default=(), compare=False, repr=False)

    def to_dict(self) -> str | dict[str, Any]:
        if not self.required and self.default is None:
            return self.path
        data: dict[str, Any] = {"path": self.path, "required": self.required}
        if self.default is not None:
            data["default"] = copy.deepcopy(self.default)
        return data


@dataclass(frozen=True)
class ResponseSpec:
    success_status: tuple[int, ...] | None = None
    results: tuple[ResultSpec, ...] = ()

    @property
    def success_codes(self) -> frozenset[int]:
        return DEFAULT_SUCCESS if self.success_status is None else frozenset(self.success_status)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"results": {r.name: r.to_dict() for r in self.results}}
        if self.success_status is not None:
            data["success_status"] = list(self.success_status)
        return data


@dataclass(frozen=True)
class RetrySpec:
    count: int = 0
    backoff_s: float = 0.1
    on_non_idempotent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "backoff_s": self.backoff_s,
            "on_non_idempotent": self.on_non_idempotent,
        }


@dataclass(frozen=True)
class CacheSpec:
    ttl_s: float
    max_entries: int = 1024
    non_get: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"ttl_s": self.ttl_s, "max_entries": self.max_entries, "non_get": self.non_get}


@dataclass(frozen=True)
class BreakerSpec:
    failure_threshold: int = 5
    reset_s: float = 30.0

    def to_dict(self) -> dict[str, Any]:
        return {"failure_threshold": self.failure_threshold, "reset_s": self.reset_s}


@dataclass(frozen=True)
class FunctionSpec:
    """One integration function. Parse with ``parse_function``; never mutate."""

    name: str
    request: RequestSpec
    description: str = ""
    version: int = 1
    parameters: tuple[Parameter, ...] = ()
    response: ResponseSpec = field(default_factory=ResponseSpec)
    timeout_s: float = 5.0
    retries: RetrySpec = field(default_factory=RetrySpec)
    cache: CacheSpec | None = None
    circuit_breaker: BreakerSpec = field(default_factory=BreakerSpec)
    secrets: tuple[str, ...] = ()
    compiled: CompiledRequest | None = field(default=None, compare=False, repr=False)

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.request.method, self.request.url))

    @cached_property
    def parameter_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters)

    @property
    def idempotent(self) -> bool:
        return self.request.method in IDEMPOTENT_METHODS

    @property
    def retryable(self) -> bool:
        return self.retries.count > 0 and (self.idempotent or self.retries.on_non_idempotent)

    @property
    def cacheable(self) -> bool:
        return self.cache is not None and (
            self.request.method in ("GET", "HEAD") or self.cache.non_get
        )

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data; ``parse_function(spec.to_dict())`` gives it back."""
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "parameters": [p.to_dict() for p in self.parameters],
            "request": self.request.to_dict(),
            "response": self.response.to_dict(),
            "timeout_s": self.timeout_s,
            "retries": self.retries.to_dict(),
            "circuit_breaker": self.circuit_breaker.to_dict(),
            "secrets": list(self.secrets),
        }
        if self.cache is not None:
            data["cache"] = self.cache.to_dict()
        return data


_validator = Draft202012Validator(FUNCTION_SCHEMA)


def format_path(parts: Any) -> str:
    """``['parameters', 2, 'type']`` -> ``parameters[2].type``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return text


def _schema_problems(error: ValidationError) -> list[Problem]:
    parts = list(error.absolute_path)
    path = format_path(parts)
    if error.validator in ("oneOf", "anyOf") and error.context:
        type_errors = [e for e in error.context if e.validator == "type" and not e.relative_path]
        others = [e for e in error.context if e not in type_errors]
        if not others:
            expected = " or ".join(str(e.validator_value) for e in type_errors)
            return [(path, f"expected {expected}")]
        chosen = best_match(others)
        if chosen is not None:
            return _schema_problems(chosen)
    if error.validator == "required" and isinstance(error.instance, dict):
        required = error.validator_value
        missing = [name for name in required if name not in error.instance]
        return [(format_path([*parts, name]), "required field is missing") for name in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        return [
            (format_path([*parts, str(name)]), "unknown field")
            for name in error.instance
            if name not in known
        ]
    return [(path, error.message)]


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _parameters(data: list[dict[str, Any]], problems: list[Problem]) -> tuple[Parameter, ...]:
    seen: set[str] = set()
    result = []
    for index, item in enumerate(data):
        name = item["name"]
        path = f"parameters[{index}]"
        if name in seen:
            problems.append((f"{path}.name", f"duplicate parameter name {name!r}"))
        if name in _RESERVED_NAMES:
            problems.append((f"{path}.name", f"{name!r} is a reserved name"))
        seen.add(name)
        default = item.get("default", _NO_DEFAULT)
        if default is not _NO_DEFAULT and default is not None:
            try:
                default = coerce(default, item["type"])
            except ValueError as exc:
                problems.append((f"{path}.default", str(exc)))
        elif default is None:
            default = _NO_DEFAULT
        result.append(
            Parameter(
                name=name,
                type=item["type"],
                required=bool(item.get("required", default is _NO_DEFAULT)),
                default=copy.deepcopy(default),
                description=item.get("description", ""),
            )
        )
    return tuple(result)


def _results(data: Mapping[str, Any], problems: list[Problem]) -> tuple[ResultSpec, ...]:
    results = []
    for name, item in data.items():
        entry = {"path": item} if isinstance(item, str) else item
        try:
            steps = compile_path(entry["path"])
        except PathInvalid as exc:
            problems.append((f"response.results.{name}", f"bad path expression: {exc}"))
            continue
        results.append(
            ResultSpec(
                name=name,
                path=entry["path"],
                required=bool(entry.get("required", False)),
                default=copy.deepcopy(entry.get("default")),
                steps=steps,
            )
        )
    return tuple(results)


def _build(data: Mapping[str, Any]) -> FunctionSpec:
    problems: list[Problem] = []
    for error in _validator.iter_errors(data):
        problems.extend(_schema_problems(error))
    if problems:
        raise SpecInvalid(_dedupe(problems))

    parameters = _parameters(data.get("parameters", []), problems)
    secrets = tuple(data.get("secrets", []))
    request_data = data["request"]
    compiled = compile_request(request_data, {p.name for p in parameters}, set(secrets), problems)
    response_data = data.get("response", {})
    results = _results(response_data.get("results", {}), problems)
    method = request_data.get("method", "GET")
    cache_data = data.get("cache")
    if cache_data is not None and method not in ("GET", "HEAD") and not cache_data.get("non_get"):
        problems.append(("cache.non_get", f"caching a {method} function needs cache.non_get: true"))
    if problems:
        raise SpecInvalid(_dedupe(problems))

    success = response_data.get("success_status")
    retries = data.get("retries", {})
    breaker = data.get("circuit_breaker", {})
    return FunctionSpec(
        name=data["name"],
        description=data.get("description", ""),
        version=int(data.get("version", 1)),
        parameters=parameters,
        request=RequestSpec(
            method=method,
            url=request_data["url"],
            headers=MappingProxyType(dict(request_data.get("headers", {}))),
            query=MappingProxyType(dict(request_data.get("query", {}))),
            body=copy.deepcopy(request_data.get("body")),
            body_type=request_data.get("body_type", "json"),
        ),
        response=ResponseSpec(
            success_status=None if success is None else tuple(int(s) for s in success),
            results=results,
        ),
        timeout_s=float(data.get("timeout_s", 5.0)),
        retries=RetrySpec(
            count=int(retries.get("count", 0)),
            backoff_s=float(retries.get("backoff_s", 0.1)),
            on_non_idempotent=bool(retries.get("on_non_idempotent", False)),
        ),
        cache=None
        if cache_data is None
        else CacheSpec(
            ttl_s=float(cache_data["ttl_s"]),
            max_entries=int(cache_data.get("max_entries", 1024)),
            non_get=bool(cache_data.get("non_get", False)),
        ),
        circuit_breaker=BreakerSpec(
            failure_threshold=int(breaker.get("failure_threshold", 5)),
            reset_s=float(breaker.get("reset_s", 30.0)),
        ),
        secrets=secrets,
        compiled=compiled,
    )


# Parsed specs by their canonical JSON text, so a stored spec is compiled once.
_parsed: LRUCache[str, FunctionSpec] = LRUCache(maxsize=512)
_parsed_lock = threading.Lock()


def parse_function(data: Mapping[str, Any]) -> FunctionSpec:
    """Validate and compile a spec; raises ``SpecInvalid`` listing every (path, problem).

    Specs are cached by content, so parsing the same stored document again is cheap.
    """
    if not isinstance(data, Mapping):
        raise SpecInvalid([("", "an integration function must be an object")])
    try:
        key = json.dumps(data, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise SpecInvalid([("", f"not JSON data: {exc}")]) from None
    with _parsed_lock:
        cached = _parsed.get(key)
    if cached is not None:
        return cached
    spec = _build(data)
    with _parsed_lock:
        _parsed[key] = spec
    return spec
