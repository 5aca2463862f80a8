"""JUEL trees written out as sandboxed Python, and Camunda's ``${...}`` text read into them.

``condition`` takes a sequence-flow condition (one ``${...}``), ``value`` an input/output
parameter or a default (literal text, one expression, or text with expressions in it),
``expression`` the bare inside of one. Each returns Python source the sandbox accepts or
raises ``Untranslatable`` saying why not.
"""

from __future__ import annotations

import keyword
import re

from engine.bpmn.sandbox import DENIED_NAMES, check_code
from importers.camunda.juel import Node, Untranslatable, parse

__all__ = ["Untranslatable", "condition", "expression", "has_expression", "value"]

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EMPTY = "(None, '', [], {})"
_CONSTANTS = {"true": "True", "false": "False", "null": "None"}
_BINARY = {
    "||": ("or", 2),
    "&&": ("and", 3),
    "==": ("==", 5),
    "!=": ("!=", 5),
    "<": ("<", 5),
    ">": (">", 5),
    "<=": ("<=", 5),
    ">=": (">=", 5),
    "+": ("+", 10),
    "-": ("-", 10),
    "*": ("*", 11),
    "/": ("/", 11),
    "%": ("%", 11),
}
_ENGINE_OBJECTS = frozenset(
    {"execution", "task", "authenticatedUserId", "variableScope", "connector", "S", "JSON"}
)
_POSTFIX = 14
_ATOM = 15

Rendered = tuple[str, int]


def _wrap(rendered: Rendered, minimum: int) -> str:
    text, precedence = rendered
    return text if precedence >= minimum else f"({text})"


def _variable(name: str) -> str:
    if name in _ENGINE_OBJECTS:
        raise Untranslatable(f"'{name}' (the Camunda engine's object) has no counterpart")
    if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise Untranslatable(f"variable name {name!r} is not a Python name: rename it")
    if name in DENIED_NAMES:
        raise Untranslatable(f"variable name {name!r} is refused by the sandbox: rename it")
    return name


def _render(node: Node) -> Rendered:
    kind = node[0]
    if kind == "const":
        return _CONSTANTS[str(node[1])], _ATOM
    if kind == "number":
        return str(node[1]), _ATOM
    if kind == "string":
        return repr(str(node[1])), _ATOM
    if kind == "name":
        return _variable(str(node[1])), _ATOM
    if kind == "group":
        return _render(node[1])
    if kind == "bin":
        return _binary(node)
    if kind == "unary":
        return _unary(node)
    if kind == "if":
        cond, then, other = (_render(n) for n in node[1:])
        return f"{_wrap(then, 2)} if {_wrap(cond, 2)} else {_wrap(other, 1)}", 1
    if kind == "index":
        target, index = _render(node[1]), _render(node[2])
        return f"{_wrap(target, _POSTFIX)}[{index[0]}]", _POSTFIX
    if kind == "attr":
        return _attribute(node[1], str(node[2]))
    if kind == "method":
        return _method(node[1], str(node[2]), list(node[3]))
    if kind == "call":
        return _function(str(node[1]), list(node[2]))
    raise Untranslatable(f"unknown construct {kind}")


def _binary(node: Node) -> Rendered:
    op, left, right = str(node[1]), _render(node[2]), _render(node[3])
    text, precedence = _BINARY[op]
    if op in ("==", "!=") and ("const", "null") in (node[2], node[3]):
        text = "is" if op == "==" else "is not"
    if precedence == 5:  # comparisons never chain: JUEL's a < b == c is (a < b) == c
        return f"{_wrap(left, 6)} {text} {_wrap(right, 6)}", 5
    return f"{_wrap(left, precedence)} {text} {_wrap(right, precedence + 1)}", precedence


def _unary(node: Node) -> Rendered:
    negated_empty = _negated_empty(node)
    if negated_empty is not None:
        return negated_empty
    op, operand = str(node[1]), _render(node[2])
    if op == "-":
        return f"-{_wrap(operand, 12)}", 12
    if op == "!":
        return f"not {_wrap(operand, 4)}", 4
    return f"{_wrap(operand, 6)} in {_EMPTY}", 5


def _negated_empty(node: Node) -> Rendered | None:
    """``not empty x`` reads better as ``x not in (...)``."""
    if node[0] == "unary" and node[1] == "!":
        inner = node[2]
        while isinstance(inner, tuple) and inner[0] == "group":
            inner = inner[1]
        if isinstance(inner, tuple) and inner[0] == "unary" and inner[1] == "empty":
            operand = _render(inner[2])
            return f"{_wrap(operand, 6)} not in {_EMPTY}", 5
    return None


def _attribute(target: Node, name: str) -> Rendered:
    if target[0] == "name" and target[1] in _ENGINE_OBJECTS:
        raise Untranslatable(
            f"'{target[1]}.{name}' (the Camunda engine's object) has no counterpart"
        )
    return f"{_wrap(_render(target), _POSTFIX)}.get({name!r})", _POSTFIX


def _literal_name(args: list[Node]) -> str | None:
    if len(args) == 1 and args[0][0] == "string":
        return str(args[0][1])
    return None


def _method(target: Node, name: str, args: list[Node]) -> Rendered:
    if target[0] == "name" and target[1] == "execution":
        if name in ("getVariable", "getVariableLocal", "getVariableTyped"):
            variable = _literal_name(args)
            if variable is None:
                raise Untranslatable(f"execution.{name} with a computed name has no counterpart")
            return _variable(variable), _ATOM
        raise Untranslatable(f"execution.{name}() has no counterpart")
    if target[0] == "name" and target[1] in _ENGINE_OBJECTS:
        raise Untranslatable(
            f"'{target[1]}.{name}()' (the Camunda engine's object) has no counterpart"
        )
    receiver = _wrap(_render(target), _POSTFIX)
    operand = _OPERAND_ARGUMENTS.get(name, 0)
    rendered = [_wrap(_render(a), operand) for a in args]
    mapped = _METHODS.get((name, len(args)))
    if mapped is None:
        raise Untranslatable(
            f"method {name}() with {len(args)} argument(s) has no counterpart "
            "(a bean or Java method: move it into an integration function or a script)"
        )
    text, precedence = mapped
    return text.format(receiver, *rendered), precedence


def _function(name: str, args: list[Node]) -> Rendered:
    if name == "now" and not args:
        return "datetime.now(timezone.utc)", _POSTFIX
    raise Untranslatable(f"function {name}() has no counterpart")


_OPERAND_ARGUMENTS = {"contains": 6, "containsKey": 6, "equals": 6, "equalsIgnoreCase": _POSTFIX}
"""Methods whose argument becomes an operand, and the precedence it needs there."""

_METHODS: dict[tuple[str, int], tuple[str, int]] = {
    ("length", 0): ("len({0})", _POSTFIX),
    ("size", 0): ("len({0})", _POSTFIX),
    ("isEmpty", 0): ("len({0}) == 0", 5),
    ("startsWith", 1): ("{0}.startswith({1})", _POSTFIX),
    ("endsWith", 1): ("{0}.endswith({1})", _POSTFIX),
    ("toLowerCase", 0): ("{0}.lower()", _POSTFIX),
    ("toUpperCase", 0): ("{0}.upper()", _POSTFIX),
    ("trim", 0): ("{0}.strip()", _POSTFIX),
    ("strip", 0): ("{0}.strip()", _POSTFIX),
    ("contains", 1): ("{1} in {0}", 5),
    ("containsKey", 1): ("{1} in {0}", 5),
    ("equals", 1): ("{0} == {1}", 5),
    ("equalsIgnoreCase", 1): ("{0}.lower() == {1}.lower()", 5),
    ("indexOf", 1): ("{0}.find({1})", _POSTFIX),
    ("substring", 1): ("{0}[{1}:]", _POSTFIX),
    ("substring", 2): ("{0}[{1}:{2}]", _POSTFIX),
    ("replace", 2): ("{0}.replace({1}, {2})", _POSTFIX),
    ("get", 1): ("{0}[{1}]", _POSTFIX),
    ("toString", 0): ("str({0})", _POSTFIX),
    ("intValue", 0): ("int({0})", _POSTFIX),
    ("longValue", 0): ("int({0})", _POSTFIX),
    ("doubleValue", 0): ("float({0})", _POSTFIX),
    ("booleanValue", 0): ("bool({0})", _POSTFIX),
}


def expression(source: str) -> str:
    """The Python of one JUEL expression (the text between ``${`` and ``}``)."""
    python = _render(parse(source))[0]
    problems = check_code(python, "eval")
    if problems:
        raise Untranslatable(f"the translation {python!r} is refused by the sandbox: {problems[0]}")
    return python


def _segments(text: str) -> list[tuple[bool, str]]:
    """Literal text and ``${...}``/``#{...}`` expressions, in order: (is expression, text)."""
    parts: list[tuple[bool, str]] = []
    literal: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] in "$#" and text.startswith("{", pos + 1):
            end = _closing_brace(text, pos + 2)
            if literal:
                parts.append((False, "".join(literal)))
                literal = []
            parts.append((True, text[pos + 2 : end]))
            pos = end + 1
            continue
        if text[pos] == "\\" and text[pos + 1 : pos + 2] in ("$", "#"):
            literal.append(text[pos + 1])
            pos += 2
            continue
        literal.append(text[pos])
        pos += 1
    if literal:
        parts.append((False, "".join(literal)))
    return parts


def _closing_brace(text: str, pos: int) -> int:
    quote = ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "}":
            return pos
        pos += 1
    raise Untranslatable("an expression's '}' is missing")


def has_expression(text: str) -> bool:
    return any(is_expr for is_expr, _ in _segments(text or ""))


def condition(text: str) -> str:
    """A condition: exactly one ``${...}`` (blanks around it allowed)."""
    parts = [p for p in _segments(text.strip()) if p[0] or p[1].strip()]
    if len(parts) != 1 or not parts[0][0]:
        raise Untranslatable("a condition must be one ${...} expression")
    return expression(parts[0][1])


def value(text: str) -> str:
    """A parameter's value: literal text, one expression, or text with expressions in it."""
    parts = _segments(text)
    if not parts:
        return "''"
    if len(parts) == 1:
        is_expr, body = parts[0]
        return expression(body) if is_expr else repr(body)
    pieces = [f"str({expression(body)})" if is_expr else repr(body) for is_expr, body in parts]
    python = " + ".join(pieces)
    problems = check_code(python, "eval")
    if problems:
        raise Untranslatable(f"the translation {python!r} is refused by the sandbox: {problems[0]}")
    return python
