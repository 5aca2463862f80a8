"""Request templates compiled once per spec, rendered once per call."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from integrations.errors import Problem
from integrations.templates import (
    SECRETS_NAME,
    CompiledTemplate,
    TemplateRenderError,
    UrlSafe,
    check_template,
)

MASK = "***"

Renderer = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class RenderedRequest:
    """A request ready to send (or, masked, to show)."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str | list[str]]
    body: Any
    body_type: str
    secret_headers: frozenset[str] = field(default=frozenset())

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "headers": dict(self.headers),
            "query": dict(self.params),
            "body": self.body,
            "body_type": self.body_type,
        }

    def cache_key(self) -> str:
        """A digest of what makes two requests the same; headers carrying secrets are left out."""
        headers = sorted(
            (name.lower(), value)
            for name, value in self.headers.items()
            if name not in self.secret_headers
        )
        document = [self.method, self.url, sorted(self.params.items()), self.body, headers]
        text = json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def masked(self, mask: Callable[[str], str]) -> RenderedRequest:
        return replace(
            self,
            url=mask(self.url),
            headers={
                name: MASK if name in self.secret_headers else mask(value)
                for name, value in self.headers.items()
            },
            params={k: _mask_value(v, mask) for k, v in self.params.items()},
            body=_mask_value(self.body, mask),
        )


def _mask_value(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_value(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v, mask) for v in value]
    return value


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _build_body(
    value: Any,
    path: str,
    check: Callable[[str, str], CompiledTemplate | None],
) -> tuple[Renderer, bool]:
    """A renderer for a JSON body whose string leaves are templates, and whether it uses secrets."""
    if isinstance(value, str):
        template = check(value, path)
        if template is None:
            return (lambda _ctx: None), False
        return template.render, template.uses_secrets
    if isinstance(value, dict):
        parts = [(key, *_build_body(item, f"{path}.{key}", check)) for key, item in value.items()]
        renderers = [(key, renderer) for key, renderer, _ in parts]
        return (
            lambda ctx: {key: renderer(ctx) for key, renderer in renderers},
            any(uses for _, _, uses in parts),
        )
    if isinstance(value, list):
        items = [_build_body(item, f"{path}[{i}]", check) for i, item in enumerate(value)]
        item_renderers = [renderer for renderer, _ in items]
        return (
            lambda ctx: [renderer(ctx) for renderer in item_renderers],
            any(uses for _, uses in items),
        )
    return (lambda _ctx: value), False


class CompiledRequest:
    """The request part of a spec with every template compiled."""

    __slots__ = (
        "_body",
        "_headers",
        "_query",
        "_url",
        "body_type",
        "method",
        "secret_headers",
        "uses_secrets",
    )

    def __init__(
        self,
        method: str,
        url: CompiledTemplate,
        headers: list[tuple[str, CompiledTemplate]],
        query: list[tuple[str, CompiledTemplate]],
        body: Renderer | None,
        body_uses_secrets: bool,
        body_type: str,
    ) -> None:
        self.method = method
        self.body_type = body_type
        self._url = url
        self._headers = headers
        self._query = query
        self._body = body
        self.secret_headers = frozenset(name for name, t in headers if t.uses_secrets)
        self.uses_secrets = (
            url.uses_secrets
            or body_uses_secrets
            or any(t.uses_secrets for _, t in headers)
            or any(t.uses_secrets for _, t in query)
        )

    def render(self, context: Mapping[str, Any]) -> RenderedRequest:
        """Render against parameters plus ``secrets``; raises ``TemplateRenderError``."""
        url = self._url.render(context)
        headers: dict[str, str] = {}
        for name, template in self._headers:
            value = template.render(context)
            if value is None:
                continue
            text = _text(value)
            if "\r" in text or "\n" in text:
                raise TemplateRenderError(template.path, "a header value cannot hold a line break")
            headers[name] = text
        params: dict[str, str | list[str]] = {}
        for name, template in self._query:
            value = template.render(context)
            if value is None:
                continue
            if isinstance(value, list | tuple):
                params[name] = [_text(v) for v in value if v is not None]
            else:
                params[name] = _text(value)
        body = None
        if self._body is not None:
            body = self._body(context)
            if self.body_type == "form" and isinstance(body, dict):
                body = {k: v if isinstance(v, list) else _text(v) for k, v in body.items()}
        return RenderedRequest(
            self.method, url, headers, params, body, self.body_type, self.secret_headers
        )


def masked_context(context: Mapping[str, Any], secret_names: tuple[str, ...]) -> dict[str, Any]:
    masked = dict(context)
    masked[SECRETS_NAME] = {name: UrlSafe(MASK) for name in secret_names}
    return masked


def compile_request(
    request: Mapping[str, Any],
    parameters: set[str],
    secrets: set[str],
    problems: list[Problem],
) -> CompiledRequest | None:
    """Compile the ``request`` part of a spec; problems go to ``problems`` with their paths."""
    count = len(problems)

    def check(flavour: str) -> Callable[[str, str], CompiledTemplate | None]:
        def run(source: str, path: str) -> CompiledTemplate | None:
            return check_template(
                source,
                path,
                flavour=flavour,
                parameters=parameters,
                secrets=secrets,
                problems=problems,
            )

        return run

    method = request.get("method", "GET")
    body_type = request.get("body_type", "json")
    url_source = request["url"]
    url = check("url")(url_source, "request.url")
    literal = url_source.split("{", 1)[0].strip().lower()
    schemes = ("http://", "https://")
    if literal and not any(literal.startswith(s) or s.startswith(literal) for s in schemes):
        problems.append(("request.url", "the URL must start with http:// or https://"))
    headers = [
        (name, check("value")(source, f"request.headers.{name}"))
        for name, source in request.get("headers", {}).items()
    ]
    query = [
        (name, check("value")(source, f"request.query.{name}"))
        for name, source in request.get("query", {}).items()
    ]
    body_renderer: Renderer | None = None
    body_uses_secrets = False
    raw_body = request.get("body")
    if raw_body is not None:
        if method in ("GET", "HEAD"):
            problems.append(("request.body", f"a {method} request cannot have a body"))
        elif body_type == "text" and not isinstance(raw_body, str):
            problems.append(("request.body", "body_type text needs a template string"))
        elif body_type == "form" and not isinstance(raw_body, dict):
            problems.append(("request.body", "body_type form needs an object of fields"))
        else:
            flavour = "text" if isinstance(raw_body, str) else "value"
            body_renderer, body_uses_secrets = _build_body(raw_body, "request.body", check(flavour))
    if len(problems) > count or url is None:
        return None
    return CompiledRequest(
        method,
        url,
        [(n, t) for n, t in headers if t is not None],
        [(n, t) for n, t in query if t is not None],
        body_renderer,
        body_uses_secrets,
        body_type,
    )
