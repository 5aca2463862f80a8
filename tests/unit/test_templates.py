"""Operator-text templates: rendering, missing data, refused escapes and limits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.errors import SandboxViolation, ScriptFailed
from engine.templates import TemplateRenderer, check_template

DATA: dict[str, Any] = {
    "name": "bob smith",
    "items": ["tv", "radio"],
    "order": {"id": 42, "total": 19.5},
    "when": date(2024, 1, 2),
    "x": {},
}


@pytest.fixture
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def test_renders_plain_text_without_escaping(renderer: TemplateRenderer) -> None:
    source = "Hello {{ name|title }} <b>&</b> order #{{ order.id }}: {{ items|join(', ') }}"
    text = renderer.render(source, DATA, where="Task_greet")
    assert text == "Hello Bob Smith <b>&</b> order #42: tv, radio"


def test_renders_loops_conditions_and_dates(renderer: TemplateRenderer) -> None:
    source = (
        "{% for item in items %}{{ loop.index }}. {{ item|upper }}\n{% endfor %}"
        "{% if order.total > 10 %}big{% else %}small{% endif %} "
        "{{ when.strftime('%d.%m.%Y') }} {{ when.year }} {{ '%.2f'|length }} "
        "{{ ', '.join(items) }} {{ order.total * 2 }} {{ name ~ '!' }}"
    )
    text = renderer.render(source, DATA, where="Task_list")
    assert text == "1. TV\n2. RADIO\nbig 02.01.2024 2024 4 tv, radio 39.0 bob smith!"


def test_missing_data_renders_empty(renderer: TemplateRenderer) -> None:
    source = "Dear {{ customer.name }}{{ customer.name|upper }}, {{ customer.address.city }}."
    assert renderer.render(source, {}, where="Task_1") == "Dear , ."


def test_runtime_errors_name_the_element_and_line(renderer: TemplateRenderer) -> None:
    with pytest.raises(ScriptFailed) as info:
        renderer.render("line one\n{{ 1 / 0 }}", {}, where="Task_pay")
    assert str(info.value) == "Task_pay: template: line 2: ZeroDivisionError: division by zero"
    assert info.value.extra["where"] == "Task_pay"
    assert not isinstance(info.value, SandboxViolation)


def test_syntax_errors_are_problems_with_lines(renderer: TemplateRenderer) -> None:
    problems = check_template("ok\n{{ name")
    assert len(problems) == 1
    assert problems[0].startswith("line 2: unexpected end of template")
    with pytest.raises(SandboxViolation, match="Task_x: template: line 1:"):
        renderer.render("{% if %}", {}, where="Task_x")


def test_valid_templates_have_no_problems() -> None:
    assert check_template("Hello {{ name }}{% for i in items %}{{ i }}{% endfor %}") == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{% macro f() %}x{% endmacro %}", "line 1: {% macro %} is not allowed"),
        ("{% include 'other.txt' %}", "line 1: {% include %} is not allowed"),
        ("{% extends 'base.txt' %}", "line 1: {% extends %} is not allowed"),
        ("{% import 'm' as m %}", "line 1: {% import %} is not allowed"),
        ("\n{% for i in items recursive %}{% endfor %}", "line 2: recursive loops are not allowed"),
        ("{{ ''.__class__ }}", "line 1: access to '__class__' is not allowed"),
        ("{{ 'a'|center(99) }}", "line 1: No filter named 'center'."),
        ("{{ '%s'|format(1) }}", "line 1: No filter named 'format'."),
    ],
)
def test_refused_constructs_are_problems(source: str, problem: str) -> None:
    assert problem in check_template(source)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ self._TemplateReference__context }}",
        "{{ lipsum.__globals__ }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ x['__class__'] }}",
        "{{ x|attr('__class__') }}",
        "{{ items.__class__.__base__ }}",
        "{{ '{0.__class__}'.format(1) }}",
        "{{ '{0}'.format_map(x) }}",
        "{{ 'a'.center(100) }}",
        "{{ items.append(1) }}",
        "{{ items.pop() }}",
        "{{ x.update({'a': 1}) }}",
        "{{ dict.fromkeys(items) }}",
        "{{ range.__self__ }}",
        "{% macro m() %}{% endmacro %}{{ m.__globals__ }}",
    ],
)
def test_escapes_fail(renderer: TemplateRenderer, source: str) -> None:
    with pytest.raises(ScriptFailed):
        renderer.render(source, dict(DATA), where="Task_evil")
    assert DATA["items"] == ["tv", "radio"]


@pytest.mark.parametrize(
    "source", ["{{ config }}", "{{ lipsum }}", "{{ cycler }}", "{{ request }}"]
)
def test_framework_globals_render_nothing(renderer: TemplateRenderer, source: str) -> None:
    assert renderer.render(source, {}, where="Task_1") == ""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'a' * 10**9 }}", "result of '\\*' would hold 1000000000 items"),
        ("{{ [0] * 10**9 }}", "result of '\\*' would hold 1000000000 items"),
        ("{{ 10**100000 }}", "result of '\\*\\*' would exceed"),
        ("{{ '%999999999d' % 1 }}", "'%' formatting of text is not allowed"),
        ("{{ ('a' * 1000000) ~ ('a' * 1000000) }}", "text of 2000000 characters"),
        ("{{ ('a' * 1000000) + ('a' * 1000000) }}", "result of '\\+'"),
        ("{{ (['a' * 100000] * 1000)|join }}", "result of 'join' would exceed"),
        ("{{ ''.join(['a' * 100000] * 100) }}", "result of '.join\\(\\)'"),
        ("{{ ('a' * 100000)|replace('a', 'a' * 100000) }}", "result of '.replace\\(\\)'"),
        ("{{ 5|round(-100000000) }}", "round to more than 100 digits"),
        ("{{ items|sum(start=[]) }}", "sum only adds numbers"),
        ("{{ when.strftime('%1000000Y') }}", "date formats cannot set a field width"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "more than 100000 loop iterations",
        ),
    ],
)
def test_oversized_work_is_refused(renderer: TemplateRenderer, source: str, message: str) -> None:
    with pytest.raises(SandboxViolation, match=message):
        renderer.render(source, DATA, where="Task_big")


def test_loops_stop_at_the_deadline() -> None:
    renderer = TemplateRenderer(deadline_s=0.05, max_iterations=10**12)
    source = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    with pytest.raises(SandboxViolation, match=r"ran longer than 0\.05 s"):
        renderer.render(source, {}, where="Task_slow")


def test_same_template_renders_different_data(renderer: TemplateRenderer) -> None:
    source = "{{ n }}"
    assert [renderer.render(source, {"n": n}, where="T") for n in range(3)] == ["0", "1", "2"]
    assert renderer.check(source) == []
