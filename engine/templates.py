"""Operator text and prompts: Jinja2 templates written by methodologists, sandboxed.

Templates render plain text (the HTML player escapes on output). A missing variable
or attribute renders as an empty string, so ``{{ customer.name }}`` without a customer
does not break a live call. On top of Jinja2's immutable sandbox:

* only allow-listed attributes of data values can be read or called, no ``str.format``;
* no macros, call blocks, includes, imports, inheritance or recursive loops;
* every ``for`` loop ticks a per-render deadline and iteration cap;
* ``+``, ``*``, ``**``, ``%``, ``~`` and the amplifying filters refuse oversized results.
"""

from __future__ import annotations

import contextvars
import functools
import traceback
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jinja2 import ChainableUndefined, nodes, pass_environment
from jinja2.environment import Environment, Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.filters import do_round, make_attrgetter
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.bpmn.sandbox import (
    DATA_ATTRIBUTES,
    GUARDED_METHODS,
    MAX_LENGTH,
    MAX_ROUND_DIGITS,
    METHODS,
    OPERATORS,
    LimitExceeded,
    LoopBudget,
    call_method,
)
from engine.errors import SandboxViolation, ScriptFailed

MAX_LOOP_ITERATIONS = 100_000
"""Loop iterations one render may take."""

TEMPLATE_ATTRIBUTES = (METHODS | DATA_ATTRIBUTES) - {"format", "format_map"}
"""Attributes of data values (text, numbers, lists, dicts, dates) a template may use."""

_DATA_TYPES = (str, int, float, list, tuple, dict, set, frozenset, date, datetime, timedelta, type)

_FILTERS = frozenset(
    {
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "groupby", "int", "items", "last", "length",
        "list", "lower", "map", "max", "min", "random", "reject", "rejectattr", "reverse",
        "select", "selectattr", "sort", "string", "striptags", "title", "tojson", "trim",
        "truncate", "unique", "upper", "urlencode", "wordcount", "wordwrap",
    }
)  # fmt: skip
"""Jinja2 filters kept as they are; ``join``, ``replace``, ``round`` and ``sum`` are guarded."""

_REFUSED_TAGS: dict[type[nodes.Node], str] = {
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
}

_LOOP_FILTER = "__cb_loop"
_TEXT_FILTER = "__cb_text"

_budget: contextvars.ContextVar[LoopBudget | None] = contextvars.ContextVar(
    "template_budget", default=None
)


def _loop(items: Iterable[Any]) -> Iterator[Any]:
    budget = _budget.get()
    if budget is None:
        budget = LoopBudget(1.0, MAX_LOOP_ITERATIONS)
    for item in items:
        budget.tick()
        yield item


def _text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_LENGTH:
        raise LimitExceeded(f"text of {len(value)} characters (limit {MAX_LENGTH})")
    return value


@pass_environment
def _join(
    environment: Environment, value: Iterable[Any], d: str = "", attribute: str | None = None
) -> str:
    if attribute is not None:
        value = map(make_attrgetter(environment, attribute), value)
    parts: list[str] = []
    size = 0
    for item in value:
        part = item if isinstance(item, str) else str(item)
        size += len(part) + len(d)
        if size > MAX_LENGTH:
            raise LimitExceeded(f"result of 'join' would exceed {MAX_LENGTH} characters")
        parts.append(part)
    return str(d).join(parts)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    args: tuple[Any, ...] = (old, new) if count is None else (old, new, count)
    return str(call_method(text, "replace", *args))


def _round(value: Any, precision: int = 0, method: str = "common") -> float:
    if abs(precision) > MAX_ROUND_DIGITS:
        raise LimitExceeded(f"round to more than {MAX_ROUND_DIGITS} digits")
    return float(do_round(value, precision, method))  # type: ignore[arg-type]


@pass_environment
def _sum(
    environment: Environment,
    iterable: Iterable[Any],
    attribute: str | None = None,
    start: int | float = 0,
) -> Any:
    if not isinstance(start, int | float):
        raise LimitExceeded("sum only adds numbers")
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    return sum(iterable, start)


class _Environment(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, narrowed to what operator text needs."""

    intercepted_binops = frozenset(OPERATORS) - {"<<"}

    def __init__(self) -> None:
        super().__init__(autoescape=False, undefined=ChainableUndefined)
        kept = {name: self.filters[name] for name in _FILTERS}
        kept.update(
            {
                "join": _join,
                "replace": _replace,
                "round": _round,
                "sum": _sum,
                _LOOP_FILTER: _loop,
                _TEXT_FILTER: _text,
            }
        )
        self.filters = kept
        self.globals = {"range": self.globals["range"], "dict": dict}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _DATA_TYPES) and attr not in TEMPLATE_ATTRIBUTES:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is not allowed")

    def wrap_str_format(self, value: Any) -> None:
        return None

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return OPERATORS[operator](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if name in GUARDED_METHODS and isinstance(owner, _DATA_TYPES):
            if not __self.is_safe_callable(__obj):
                raise SecurityError(f"'{name}' cannot be called")
            return call_method(owner, name, *args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _filtered(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _rewrite(template: nodes.Template) -> list[str]:
    """Refuse tags that are not allowed; bound loops and ``~``. Returns the problems."""
    problems: list[str] = []
    for node in template.find_all(nodes.Node):
        refused = _REFUSED_TAGS.get(type(node))
        if refused is not None:
            problems.append(f"line {node.lineno}: {refused} is not allowed")
        elif isinstance(node, nodes.For):
            if node.recursive:
                problems.append(f"line {node.lineno}: recursive loops are not allowed")
            node.iter = nodes.Filter(
                node.iter, _LOOP_FILTER, [], [], None, None, lineno=node.lineno
            )
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            problems.append(f"line {node.lineno}: access to '{node.attr}' is not allowed")
    for concat in list(template.find_all(nodes.Concat)):
        inner = nodes.Concat(concat.nodes, lineno=concat.lineno)
        concat.nodes = [_filtered(inner, _TEXT_FILTER)]
    return problems


@dataclass(frozen=True, slots=True)
class _Compiled:
    template: Template | None
    problems: tuple[str, ...]


def _compile(environment: _Environment, source: str) -> _Compiled:
    try:
        tree = environment.parse(source)
        problems = _rewrite(tree)
        if problems:
            return _Compiled(None, tuple(problems))
        code = environment.compile(tree)
    except TemplateSyntaxError as err:
        return _Compiled(None, (f"line {err.lineno}: {err.message}",))
    except RecursionError:
        return _Compiled(None, ("line 1: template is nested too deeply",))
    template = environment.template_class.from_code(
        environment, code, environment.make_globals(None), None
    )
    return _Compiled(template, ())


def _error_line(err: BaseException) -> int:
    line = 0
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == "<template>":
            line = lineno
    return line


def _at(line: int) -> str:
    return f"line {line}: " if line else ""


class TemplateRenderer:
    """Renders methodologists' templates with instance data; compiled templates are cached."""

    def __init__(
        self,
        *,
        deadline_s: float = 1.0,
        max_iterations: int = MAX_LOOP_ITERATIONS,
        cache_size: int = 1024,
    ) -> None:
        self.deadline_s = deadline_s
        self.max_iterations = max_iterations
        self._environment = _Environment()
        self._compiled = functools.lru_cache(maxsize=cache_size)(
            functools.partial(_compile, self._environment)
        )

    def check(self, source: str) -> list[str]:
        """Problems that stop ``source`` from rendering, each naming its line."""
        return list(self._compiled(source).problems)

    def render(self, source: str, data: Mapping[str, Any], *, where: str) -> str:
        """``source`` rendered with ``data``; errors raise ScriptFailed naming ``where``."""
        compiled = self._compiled(source)
        if compiled.template is None:
            raise SandboxViolation(
                f"{where}: template: {compiled.problems[0]}",
                extra={"where": where, "problems": list(compiled.problems)},
            )
        token = _budget.set(LoopBudget(self.deadline_s, self.max_iterations))
        try:
            text = compiled.template.render(data)
        except (LimitExceeded, SecurityError) as err:
            line = _error_line(err)
            message = f"{where}: template: {_at(line)}{err}"
            raise SandboxViolation(message, extra={"where": where, "line": line}) from err
        except Exception as err:
            line = _error_line(err)
            message = f"{where}: template: {_at(line)}{type(err).__name__}: {err}"
            raise ScriptFailed(message, extra={"where": where, "line": line}) from err
        finally:
            _budget.reset(token)
        if len(text) > MAX_LENGTH:
            raise SandboxViolation(
                f"{where}: template: text of {len(text)} characters (limit {MAX_LENGTH})",
                extra={"where": where},
            )
        return text


_checker = TemplateRenderer(cache_size=256)


def check_template(source: str) -> list[str]:
    """Problems that stop ``source`` from rendering (syntax, refused tags), with lines."""
    return _checker.check(source)
