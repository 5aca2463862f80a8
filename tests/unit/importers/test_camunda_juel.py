"""JUEL read by our own tokenizer and parser and written out as sandboxed Python."""

from __future__ import annotations

import re

import pytest

from engine.bpmn.sandbox import check_code
from importers.camunda.expressions import Untranslatable, condition, expression, value
from importers.camunda.juel import parse, tokenize

TRANSLATED = [
    ("${amount > 1000}", "amount > 1000"),
    ("${approved}", "approved"),
    ("${a && !b}", "a and not b"),
    ("${x == 'y'}", "x == 'y'"),
    ('${x == "it\'s"}', 'x == "it\'s"'),
    ("${empty x}", "x in (None, '', [], {})"),
    ("${not empty x}", "x not in (None, '', [], {})"),
    ("${!empty x && y}", "x not in (None, '', [], {}) and y"),
    ("${a || b}", "a or b"),
    ("${a eq 1 and b ne 2 or not c}", "a == 1 and b != 2 or not c"),
    ("${x lt 1 || x gt 2 || x le 3 || x ge 4}", "x < 1 or x > 2 or x <= 3 or x >= 4"),
    ("${a && (b || c)}", "a and (b or c)"),
    ("${!(a && b)}", "not (a and b)"),
    ("${x == null}", "x is None"),
    ("${x != null}", "x is not None"),
    ("${flag == true || flag == false}", "flag == True or flag == False"),
    ("${n div 2 + n mod 3 - 1.5}", "n / 2 + n % 3 - 1.5"),
    ("${(a + b) * c > -d}", "(a + b) * c > -d"),
    ("${a - (b - c)}", "a - (b - c)"),
    ("${a < b == c}", "(a < b) == c"),
    ("${a ? 'x' : 'y'}", "'x' if a else 'y'"),
    ("${execution.getVariable('x') > 2}", "x > 2"),
    ('${execution.getVariable("x")}', "x"),
    ("${name.length() > 3}", "len(name) > 3"),
    ("${s.startsWith('a')}", "s.startswith('a')"),
    ("${s.endsWith('z') || s.contains('q')}", "s.endswith('z') or 'q' in s"),
    ("${s.toLowerCase().trim() == 'ok'}", "s.lower().strip() == 'ok'"),
    ("${s.equalsIgnoreCase('Ok')}", "s.lower() == 'Ok'.lower()"),
    ("${s.substring(1, 3) == 'bc'}", "s[1:3] == 'bc'"),
    ("${items.size() >= 2 && items[0] == 1}", "len(items) >= 2 and items[0] == 1"),
    ("${customer.age >= 18}", "customer.get('age') >= 18"),
    ("${customer['name'] == 'Ann'}", "customer['name'] == 'Ann'"),
    ("#{count ge 10}", "count >= 10"),
    ("  ${ approved }  ", "approved"),
]


@pytest.mark.parametrize(("juel", "python"), TRANSLATED)
def test_juel_becomes_python_the_sandbox_accepts(juel: str, python: str) -> None:
    assert condition(juel) == python
    assert check_code(python, "eval") == []


@pytest.mark.parametrize(
    ("juel", "reason"),
    [
        ("${loanService.check(amount)}", "method check()"),
        ("${execution.processBusinessKey == 'x'}", "engine's object"),
        ("${execution.hasVariable('x')}", "execution.hasVariable"),
        ("${execution.getVariable(name)}", "computed name"),
        ("${fn:upper(x)}", "function fn"),
        ("${open == true}", "refused by the sandbox"),
        ("${class == 'a'}", "not a Python name"),
        ("${s.matches('[a-z]+')}", "method matches()"),
        ("${a instanceof b}", "instanceof"),
        ("${a +}", "unexpected"),
        ("${'open}", "missing"),
        ("${a @ b}", "unexpected character"),
        ("${a} and ${b}", "one ${...}"),
        ("amount > 5", "one ${...}"),
        ("${authenticatedUserId == 'x'}", "engine's object"),
    ],
)
def test_what_does_not_map_is_refused_with_a_reason(juel: str, reason: str) -> None:
    with pytest.raises(Untranslatable, match=re.escape(reason)):
        condition(juel)


def test_values_mix_text_and_expressions() -> None:
    assert value("plain text") == "'plain text'"
    assert value("${x}") == "x"
    assert value("Hello, ${name}!") == "'Hello, ' + str(name) + '!'"
    assert value("cost \\${not} ${n * 2}") == "'cost ${not} ' + str(n * 2)"
    assert value("") == "''"


def test_nothing_is_evaluated_and_nesting_is_bounded() -> None:
    assert [t.kind for t in tokenize("a.b('c', 1)")] == [
        "name", "op", "name", "op", "string", "op", "number", "op", "end",
    ]  # fmt: skip
    assert parse("__import__('os')")[0] == "call"
    with pytest.raises(Untranslatable):
        expression("__import__('os').system('x')")
    with pytest.raises(Untranslatable, match="nested too deeply"):
        expression("(" * 200 + "a" + ")" * 200)
    with pytest.raises(Untranslatable, match="not closed"):
        expression("'open")
    with pytest.raises(Untranslatable, match="longer than"):
        expression("a + " * 2000 + "a")
