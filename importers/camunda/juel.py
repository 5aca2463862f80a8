"""JUEL (the Java Unified Expression Language Camunda 7 uses) read into sandboxed Python.

The input is tokenized and parsed by hand into a small tree, and the tree is written out
as a plain Python expression that the script sandbox accepts. Nothing is evaluated.
Whatever has no Python counterpart (bean calls, ``execution`` methods other than reading
a variable, functions) raises ``Untranslatable`` naming the construct.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_EXPRESSION = 4000
MAX_DEPTH = 60


class Untranslatable(ValueError):
    """The expression (or a part of it) has no Python counterpart."""


@dataclass(frozen=True)
class Token:
    kind: str  # name, number, string, op, end
    text: str
    pos: int


KEYWORD_OPS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
    "empty": "empty",
    "instanceof": "instanceof",
}
OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "%")
PUNCTUATION = "()[].,?:"
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


def tokenize(text: str) -> list[Token]:
    """The tokens of one expression (the part between ``${`` and ``}``)."""
    if len(text) > MAX_EXPRESSION:
        raise Untranslatable(f"expression longer than {MAX_EXPRESSION} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char in "'\"":
            value, pos_after = _read_string(text, pos)
            tokens.append(Token("string", value, pos))
            pos = pos_after
            continue
        number = _NUMBER.match(text, pos)
        if number:
            tokens.append(Token("number", number.group(0), pos))
            pos = number.end()
            continue
        name = _NAME.match(text, pos)
        if name:
            word = name.group(0)
            kind = "op" if word in KEYWORD_OPS else "name"
            tokens.append(Token(kind, KEYWORD_OPS.get(word, word), pos))
            pos = name.end()
            continue
        op = next((o for o in OPERATORS if text.startswith(o, pos)), None)
        if op is not None:
            tokens.append(Token("op", op, pos))
            pos += len(op)
            continue
        if char in PUNCTUATION:
            tokens.append(Token("op", char, pos))
            pos += 1
            continue
        raise Untranslatable(f"unexpected character {char!r} at {pos}")
    tokens.append(Token("end", "", len(text)))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text) and text[pos + 1] in "\\'\"":
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == quote:
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    raise Untranslatable(f"string at {start} is not closed")


# The tree: tuples of (kind, ...) kept small on purpose.
Node = tuple[Any, ...]


class Parser:
    """Recursive descent over JUEL's grammar, lowest precedence first."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def accept(self, *texts: str) -> str | None:
        token = self.current
        if token.kind == "op" and token.text in texts:
            self.index += 1
            return token.text
        return None

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            raise Untranslatable(f"expected {text!r} at {self.current.pos}")

    def parse(self) -> Node:
        node = self.expression()
        if self.current.kind != "end":
            raise Untranslatable(f"unexpected {self.current.text!r} at {self.current.pos}")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Untranslatable("expression nested too deeply")
        condition = self.binary(0)
        if self.accept("?"):
            then = self.expression()
            self.expect(":")
            other = self.expression()
            condition = ("if", condition, then, other)
        self.depth -= 1
        return condition

    LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!="),
        ("<", ">", "<=", ">=", "instanceof"),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def binary(self, level: int) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (op := self.accept(*self.LEVELS[level])) is not None:
            if op == "instanceof":
                raise Untranslatable("instanceof has no counterpart")
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        op = self.accept("-", "!", "empty")
        if op is None:
            return self.postfix(self.primary())
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Untranslatable("expression nested too deeply")
        operand = self.unary()
        self.depth -= 1
        return ("unary", op, operand)

    def primary(self) -> Node:
        token = self.current
        if self.accept("("):
            inner = self.expression()
            self.expect(")")
            return ("group", inner)
        if token.kind in ("string", "number"):
            self.index += 1
            return (token.kind, token.text)
        if token.kind == "name":
            self.index += 1
            if token.text in ("true", "false", "null"):
                return ("const", token.text)
            if self.accept(":"):
                raise Untranslatable(f"function {token.text}:... has no counterpart")
            if self.current.kind == "op" and self.current.text == "(":
                return ("call", token.text, self.arguments())
            return ("name", token.text)
        raise Untranslatable(f"unexpected {token.text or 'end'!r} at {token.pos}")

    def arguments(self) -> list[Node]:
        self.expect("(")
        args: list[Node] = []
        if self.accept(")"):
            return args
        args.append(self.expression())
        while self.accept(","):
            args.append(self.expression())
        self.expect(")")
        return args

    def postfix(self, node: Node) -> Node:
        while True:
            if self.accept("."):
                token = self.current
                if token.kind not in ("name", "op") or not _NAME.fullmatch(token.text):
                    raise Untranslatable(f"expected a property name at {token.pos}")
                self.index += 1
                if self.current.kind == "op" and self.current.text == "(":
                    node = ("method", node, token.text, self.arguments())
                else:
                    node = ("attr", node, token.text)
            elif self.accept("["):
                index = self.expression()
                self.expect("]")
                node = ("index", node, index)
            else:
                return node


def parse(text: str) -> Node:
    return Parser(tokenize(text)).parse()
