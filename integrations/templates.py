"""Sandboxed Jinja2 templates for request parts, compiled once per spec.

Three flavours share one sandbox:

* text templates (headers, text bodies) render to a string;
* URL templates percent-encode every substituted value (``/``, ``&``, ``#``, spaces and
  non-ASCII included) unless it went through the ``raw`` filter;
* value templates (query values, JSON body leaves) that are a single ``{{ expression }}``
  keep the expression's native type (a number stays a number, ``none`` drops a query value).

Templates may only name declared parameters and ``secrets.NAME`` of declared secrets;
``check_template`` reports anything else with its path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import StrictUndefined, TemplateError, Undefined, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from integrations.errors import IntegrationError, Problem

SECRETS_NAME = "secrets"


class UrlSafe(str):
    """A string already fit for a URL: the URL finaliser leaves it as it is."""

    __slots__ = ()


class TemplateRenderError(IntegrationError):
    """A template failed while rendering (an undefined attribute, a refused operation)."""

    code = "template_failed"

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _scalar_text(value: Any) -> Any:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value


def _finalize_url(value: Any) -> str:
    if isinstance(value, UrlSafe):
        return str(value)
    return quote(str(_scalar_text(value)), safe="")


def _urlencode(value: Any) -> UrlSafe:
    """Percent-encode a value for a URL path segment or query (``/`` is encoded too)."""
    if isinstance(value, Mapping):
        return UrlSafe(urlencode({k: _scalar_text(v) for k, v in value.items()}))
    return UrlSafe(quote(str(_scalar_text(value)), safe=""))


def _raw(value: Any) -> UrlSafe:
    """Insert a value into a URL without encoding (a base URL kept in a secret)."""
    return UrlSafe(str(_scalar_text(value)))


def _make_env(finalize: Callable[[Any], Any]) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=False,
        undefined=StrictUndefined,
        finalize=finalize,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=0,
    )
    env.filters["urlencode"] = _urlencode
    env.filters["raw"] = _raw
    return env


TEXT_ENV = _make_env(_scalar_text)
URL_ENV = _make_env(_finalize_url)

_MARKERS = ("{{", "{%", "{#")
_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{-?(?P<expr>.*?)-?\}\}\s*$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """One template, ready to render against a context of arguments and ``secrets``."""

    source: str
    path: str
    uses_secrets: bool
    _render: Callable[[Mapping[str, Any]], Any]

    def render(self, context: Mapping[str, Any]) -> Any:
        try:
            value = self._render(context)
        except TemplateError as exc:
            raise TemplateRenderError(self.path, exc.message or type(exc).__name__) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateRenderError(self.path, f"{type(exc).__name__}: {exc}") from None
        if isinstance(value, Undefined):
            raise TemplateRenderError(self.path, "expression is undefined")
        return value


def _constant(source: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda _context: source


def _references(env: SandboxedEnvironment, ast: nodes.Template) -> tuple[set[str], set[str], bool]:
    """Names a template reads: (top-level names, secret names, whether `secrets` is misused)."""
    names = set(meta.find_undeclared_variables(ast)) - set(env.globals)
    secret_names: set[str] = set()
    proper: set[int] = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        target = getattr(node, "node", None)
        if not (isinstance(target, nodes.Name) and target.name == SECRETS_NAME):
            continue
        if isinstance(node, nodes.Getattr):
            secret_names.add(node.attr)
            proper.add(id(target))
        elif isinstance(node, nodes.Getitem):
            key = node.arg
            if isinstance(key, nodes.Const) and isinstance(key.value, str):
                secret_names.add(key.value)
                proper.add(id(target))
    misused = any(
        node.name == SECRETS_NAME and id(node) not in proper for node in ast.find_all(nodes.Name)
    )
    return names, secret_names, misused


def check_template(
    source: str,
    path: str,
    *,
    flavour: str,
    parameters: set[str],
    secrets: set[str],
    problems: list[Problem],
) -> CompiledTemplate | None:
    """Compile ``source`` (flavour ``text``, ``url`` or ``value``), appending problems found."""
    if not any(marker in source for marker in _MARKERS):
        return CompiledTemplate(source, path, False, _constant(source))
    env = URL_ENV if flavour == "url" else TEXT_ENV
    try:
        ast = env.parse(source)
    except TemplateError as exc:
        problems.append((path, f"template does not compile: {exc.message}"))
        return None
    try:
        compiled = env.from_string(ast)
    except TemplateError as exc:
        problems.append((path, f"template does not compile: {exc.message}"))
        return None
    names, secret_names, misused = _references(env, ast)
    count = len(problems)
    for name in sorted(names - parameters - {SECRETS_NAME}):
        problems.append((path, f"unknown name {name!r}: not a declared parameter"))
    for name in sorted(secret_names - secrets):
        problems.append((path, f"unknown secret 'secrets.{name}': not in the function's secrets"))
    if misused:
        problems.append((path, "secrets may only be used as secrets.NAME"))
    if len(problems) > count:
        return None
    uses_secrets = SECRETS_NAME in names
    if flavour == "value":
        match = _SINGLE_EXPRESSION.match(source)
        expr = match.group("expr") if match else None
        if expr is not None and not any(m in expr for m in (*_MARKERS, "}}", "%}")):
            try:
                expression = env.compile_expression(expr, undefined_to_none=False)
            except TemplateError:
                expression = None
            if expression is not None:
                return CompiledTemplate(source, path, uses_secrets, lambda ctx: expression(**ctx))
    return CompiledTemplate(source, path, uses_secrets, compiled.render)
