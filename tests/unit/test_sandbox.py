"""The script sandbox: refusals, limits, task-data semantics and SpiffWorkflow wiring."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn.runner import find_cause
from engine.bpmn.sandbox import (
    SandboxedEnvironment,
    check_code,
    make_script_engine,
)
from engine.bpmn.sandbox.guards import SAFE_BUILTINS
from engine.bpmn.sandbox.instrumentation import BINOP_HELPERS
from engine.errors import SandboxViolation, ScriptFailed

ESCAPES_EVAL = [
    "().__class__.__bases__[0].__subclasses__()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "getattr(x, '__cl' + 'ass__')",
    "__import__('os')",
    '"{0.__class__}".format(1)',
    "'{x.__class__}'.format_map(d)",
    "'{0[0]}'.format(items)",
    "'{0.real}'.format(x)",
    "open('/etc/passwd')",
    "eval('1')",
    "(lambda: 1).__globals__",
    "(x for x in [1]).gi_frame",
    "(x for x in [1]).gi_frame.f_globals",
    "type(1)",
    "f'{x.__class__.__mro__!r}'",
    "x.__dict__",
    "vars()",
    "globals()",
    "locals()['__builtins__']",
    "compile('1', 'f', 'eval')",
    "breakpoint()",
    "input()",
    "help()",
    "setattr(x, 'y', 1)",
    "_secret",
    "str.__dict__",
    "[].append.__self__",
    "x.mro()",
    "f'{x:{spec}}'",
    "b'abc'",
    "(y := 1)",
    "items[0]()",
    # through the names and syntax allowed since (modules, lambda, def, try, format):
    "datetime.__class__",
    "json.loads.__globals__",
    "re.compile('x').__class__",
    "(lambda: 0).__code__",
    "(lambda: 0).__globals__",
    "datetime.datetime.now.__self__",
    "decimal.Decimal.__mro__",
    "json.JSONDecodeError.mro()",
    "decimal.getcontext()",
    "decimal.Context(prec=10)",
    "time.sleep(10)",
    "uuid.uuid1()",
    "random.seed(1)",
    "(x for x in []).gi_frame",
    "(x for x in [1]).gi_code",
    "vars(json)",
    "getattr(datetime, 'now')",
    "type(x)('1')",
    "isinstance(x, type) and type(x)",
    "format(x, '>99999999')",
    "f'{x!r:>{spec}}'",
    "[e.__traceback__ for e in [x]]",
    "sorted(items, key=lambda v: v.__class__)",
    "(lambda _getattr_: 1)(1)",
    "(lambda: 1)()",
]

ESCAPES_EXEC = [
    "import os",
    "from os import system",
    "exec('x=1')",
    "class A:\n    pass",
    "global x",
    "with x:\n    pass",
    "x.y = 1",
    "del x.y",
    "len = 3",
    "for str in items:\n    pass",
    "g = (yield)",
    # through the syntax allowed since (def, lambda, try, import of the safe modules):
    "import os",
    "import json.decoder",
    "import datetime as _d",
    "from json import _default_encoder",
    "from json import decoder",
    "from . import json",
    "from re import *",
    "import re as len",
    "def f():\n    global x",
    "def f():\n    yield 1",
    "@len\ndef f():\n    pass",
    "def _f():\n    pass",
    "def str():\n    pass",
    "def f(_x):\n    pass",
    "def f(*, __x=1):\n    pass",
    "def f():\n    return f.__code__",
    "return 1",
    "try:\n    x = 1\nexcept BaseException:\n    pass",
    "try:\n    x = 1\nexcept SystemExit:\n    pass",
    "try:\n    x = 1\nexcept (ValueError, KeyboardInterrupt):\n    pass",
    "try:\n    x = 1\nexcept items[0]:\n    pass",
    "try:\n    x = 1\nexcept Exception as _e:\n    pass",
    "try:\n    x = 1\nexcept Exception as e:\n    y = e.__traceback__.tb_frame",
    "while True:\n    try:\n        pass\n    finally:\n        continue",
    "for i in items:\n    try:\n        pass\n    finally:\n        break",
    "def f():\n    try:\n        pass\n    finally:\n        return 1",
    "raise SystemExit()",
    "try:\n    pass\nexcept* Exception:\n    pass",
    # RestrictedPython's escapes, fixed there one by one (docs/sandbox.md); refused here by
    # the node allow-list before any guard is involved:
    "def f(_getattr_, /):\n    pass",  # positional-only names shadowing a guard (8.3)
    "try:\n    pass\nexcept* Exception as e:\n    pass",  # try/except* (CVE-2025-22153)
    "import string",  # string.Formatter traversal (CVE-2026-76825)
]


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment()


@pytest.mark.parametrize("source", ESCAPES_EVAL)
def test_escapes_in_expressions_are_refused(env: SandboxedEnvironment, source: str) -> None:
    assert check_code(source, "eval")
    with pytest.raises(SandboxViolation):
        env.evaluate(source, {"x": 1, "d": {}, "items": [1], "spec": ">5"})


@pytest.mark.parametrize("source", ESCAPES_EXEC)
def test_escapes_in_scripts_are_refused(env: SandboxedEnvironment, source: str) -> None:
    assert check_code(source, "exec")
    data: dict[str, Any] = {"x": 1, "items": [1]}
    with pytest.raises(SandboxViolation):
        env.execute(source, data)
    assert data == {"x": 1, "items": [1]}


ESCAPES_AT_RUN_TIME = [
    ("f = ''.join", "method '.join' can only be called"),
    ("k = d.keys", "method '.keys' can only be called"),
    ("c = (lambda: 0).gi_frame", "access to 'gi_frame'"),
    ("g = (x for x in items).send", "'.send' is not allowed on a value of type generator"),
    ("c = decimal.Context", "decimal.Context is not available"),
    ("c = json.decoder", "json.decoder is not available"),
    ("c = datetime.sys", "datetime.sys is not available"),
    ("r = attack.format(1)", "format field '{0.__class__}' reads an attribute"),
    ("r = attack.format_map({'a': 1})", "format field '{0.__class__}' reads an attribute"),
    ("r = '{0:{1}}'.format(1, '>99999')", "format width or precision above 999"),
    ("r = '{:>999}' * 2000\nr = r.format(*([1] * 2000))", "formatted text would exceed"),
    ("r = format(1, wide)", "format width or precision above 999"),
    ("s = 'a' * 999999\nr = '{0}{0}'.format(s)", "formatted text would exceed"),
    ("s = ['a' * 1000] * 1000\nr = '{0!r}'.format(s)", "text of the value would exceed"),
    ("s = ['a' * 1000] * 1000\nr = json.dumps(s)", "text of the value would exceed"),
    ("r = json.dumps({'a': 1}, indent=10**6)", "indents and separators are at most 8"),
    (
        "s = 'a' * 10**6\nr = json.dumps([date(2024, 1, 1)] * 1000, default=lambda d: s)",
        "text of the value would exceed",
    ),
    ("r = re.compile('x' * 1001)", "longer than 1000 characters"),
    ("r = re.compile('x', 2**30)", "flags can only be I, M, S, X, A and U"),
    ("r = re.sub('', 'x' * 1000, 'y' * 100000)", "re.sub\\(\\) could hold"),
    ("p = re.compile('')\nr = p.sub('x' * 1000, 'y' * 100000)", "re.sub\\(\\) could hold"),
    ("r = re.search('a', 'b' * 10**6)", "at most 100000 characters"),
    ("r = random.choices([1], k=10**9)", "more than 1000000 items"),
    ("r = time.strftime('%9999Y')", "field width"),
    ("def f(n):\n    return f(n + 1)\nf(0)", "line 1: functions nested more than 100 calls deep"),
    ("f = lambda n: f(n + 1)\nf(0)", "line 1: calls or data nested too deeply"),
    ("x = 10 ** 10 ** 10", "result of '\\*\\*' would exceed"),
    ("x = 'a' * 10 ** 10", "would hold 10000000000 items"),
    ("s = ['a' * 1000] * 1000\nr = str(s)", "text of the value would exceed"),
    ("s = ['a' * 1000] * 1000\nr = f'{s}'", "text of the value would exceed"),
    ("s = {'k': ['a' * 1000] * 1000}\nr = f'{s!r:>5}'", "text of the value would exceed"),
    ("r = str.format('{0.__class__}', 1)", "must be called on a value"),
    ("r = str.replace('a' * 10**5, 'a', 'a' * 100)", "must be called on a value"),
]


@pytest.mark.parametrize(("source", "message"), ESCAPES_AT_RUN_TIME)
def test_escapes_at_run_time_are_refused(
    env: SandboxedEnvironment, source: str, message: str
) -> None:
    data: dict[str, Any] = {"d": {}, "items": [1], "attack": "{0.__class__}", "wide": ">99999"}
    with pytest.raises(SandboxViolation, match=message):
        env.execute(source, data)


SLOW_REGEXES = [
    "r = re.search(r'\\s+$', ' ' * 99000 + 'x')",
    "r = re.compile(r'(x+x+)+y').match('x' * 5000)",
    "p = re.compile(r'(\\s+)+$')\nr = p.search(' ' * 5000 + 'x')",
    "r = re.sub(r'(\\s+)+$', '', ' ' * 5000 + 'x')",
    "import re as r\nfor i in range(100):\n    try:\n"
    "        m = r.search(r'\\s+$', ' ' * 99000 + 'x')\n    except Exception:\n        pass",
]


@pytest.mark.parametrize("source", SLOW_REGEXES)
def test_a_slow_regular_expression_ends_at_the_deadline(source: str) -> None:
    env = SandboxedEnvironment(deadline_s=0.1)
    started = time.monotonic()
    with pytest.raises(SandboxViolation, match="a regular expression ran past the deadline"):
        env.execute(source, {})
    assert time.monotonic() - started < 1


LIMIT_CATCHERS = [
    "try:\n    while True:\n        pass\nexcept:\n    caught = True",
    "try:\n    while True:\n        pass\nexcept Exception:\n    caught = True",
    "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n"
    "        pass",
    "while True:\n    try:\n        x = [0] * 10**9\n    except:\n        pass",
    "while True:\n    try:\n        while True:\n            pass\n    finally:\n        x = 1",
    "def f():\n    try:\n        f()\n    finally:\n        f()\nf()",
    "def f():\n    try:\n        f()\n    except:\n        f()\nf()",
    "f = lambda: f()\ntry:\n    f()\nexcept Exception:\n    while True:\n        pass",
    "try:\n    x = [i for i in range(10**5) for j in range(10**5)]\nexcept Exception as e:\n"
    "    while True:\n        pass",
    "for i in items:\n    try:\n        x = i / 0\n    except ZeroDivisionError:\n"
    "        while True:\n            pass",
]


@pytest.mark.parametrize("source", LIMIT_CATCHERS)
def test_no_try_can_catch_a_limit_and_go_on(source: str) -> None:
    env = SandboxedEnvironment(deadline_s=0.05)
    started = time.monotonic()
    with pytest.raises(SandboxViolation):
        env.execute(source, {"items": [1]})
    assert time.monotonic() - started < 2


def test_problems_name_line_and_construct() -> None:
    problems = check_code("x = 1\nimport os\ny = ().__class__\nclass A:\n    pass", "exec")
    assert problems == [
        "line 2: import of 'os' is not allowed "
        "(available: calendar, datetime, decimal, json, random, re, time, uuid)",
        "line 3: access to '__class__' is not allowed",
        "line 4: class is not allowed (use a dict)",
    ]


def test_refusals_say_what_to_use_instead() -> None:
    assert check_code("type(x)", "eval") == [
        "line 1: calling 'type' is not allowed (use isinstance(x, str))"
    ]
    assert check_code("getattr(x, 'a')", "eval") == [
        "line 1: 'getattr' is not allowed (read d.get('key') or d['key'])"
    ]
    assert check_code("try:\n    pass\nfinally:\n    x = 1\n    return", "exec") == [
        "line 5: return inside finally is not allowed (move it after the try)",
        "line 5: return is only allowed inside def",
    ]
    assert check_code("x.y = 1", "exec") == [
        "line 1: assigning or deleting attribute '.y' is not allowed "
        "(for a dict write d['y'] = value)"
    ]
    assert check_code("'{0.__class__}'.format(1)", "eval") == [
        "line 1: format field '{0.__class__}' reads an attribute or item: only '{0}' or "
        "'{name}' are allowed (put the value in a variable first)"
    ]
    problems = check_code("try:\n    pass\nexcept BaseException:\n    pass", "exec")
    assert problems[0].startswith("line 3: except can only name these exceptions: Arith")


def test_syntax_errors_are_problems_not_exceptions(env: SandboxedEnvironment) -> None:
    problems = check_code("x = 1\ny = (", "exec")
    assert len(problems) == 1
    assert problems[0].startswith("line 2: syntax error")
    with pytest.raises(ScriptFailed, match="syntax error"):
        env.execute("x = 1\ny = (", {})


def test_deeply_nested_code_is_a_problem() -> None:
    problems = check_code("1" + "+1" * 100_000, "eval")
    assert problems
    assert problems[0].startswith("line 1:")


def test_wide_format_specs_are_refused() -> None:
    assert check_code("f'{x:>99999}'", "eval") == ["line 1: format width or precision above 999"]
    assert check_code("f'{x:>20}'", "eval") == []


def test_endless_loop_stops_at_the_deadline() -> None:
    env = SandboxedEnvironment(deadline_s=0.05, max_iterations=10**12)
    with pytest.raises(SandboxViolation, match=r"line 1: ran longer than 0.05 s"):
        env.execute("while True:\n    pass", {})


def test_endless_comprehension_stops_at_the_iteration_cap() -> None:
    env = SandboxedEnvironment(max_iterations=10_000)
    with pytest.raises(SandboxViolation, match="more than 10000 loop iterations"):
        env.evaluate("[i for i in range(100000) for j in range(100000)]", {})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = 'a' * 10**9", "result of '\\*' would hold 1000000000 items"),
        ("x = [0] * 10**9", "result of '\\*' would hold 1000000000 items"),
        ("x = 10**9 * [0]", "result of '\\*' would hold 1000000000 items"),
        ("x = 10**10**10", "result of '\\*\\*' would exceed"),
        ("x = 1 << 10**9", "result of '<<' would exceed"),
        ("x = 3**10000\ny = x * x", "line 2: result of '\\*' would exceed"),
        ("s = 'ab' * 1000\nfor i in range(100):\n    s = s + s", "line 3: result of '\\+'"),
        ("s = 'ab' * 1000\nfor i in range(100):\n    s += s", "line 3: result of '\\+='"),
        ("s = 'ab' * 1000\nfor i in range(100):\n    s *= 2", "line 3: result of '\\*'"),
        ("s = 'ab' * 1000\nfor i in range(100):\n    s = f'{s}{s}'", "line 3: f-string"),
        ("s = 'a' * 100000\nt = s.replace('a', s)", "line 2: result of '.replace\\(\\)'"),
        ("s = 'a' * 1000\nt = s.join([s] * 10000)", "line 2: result of '.join\\(\\)'"),
        ("l = [1] * 1000\nfor i in range(100):\n    l.extend(l)", "line 3: list would hold"),
        ("d = {'k': 'ab'}\nfor i in range(30):\n    d['k'] += d['k']", "line 3: result of"),
        ("a = [1] * 1000\nfor i in range(100):\n    a = [*a, *a]", "line 3: unpacked sequence"),
        ("a = (1,) * 1000\nfor i in range(100):\n    a = (*a, *a)", "line 3: unpacked sequence"),
        ("x = '%0999999999d' % 1", "'%' formatting of text is not allowed"),
        ("x = sum([[1]] * 10, [])", "sum\\(\\) only adds numbers"),
        ("x = round(5, -10**8)", "round\\(\\) to more than 100 digits"),
        ("x = list(range(10**9))", "range\\(\\) of more than 100000 numbers"),
        ("x = range(10**30)", "range\\(\\) of more than 100000 numbers"),
        ("x = str.join('x' * 1000, ['a' * 1000] * 1000)", "must be called on a value"),
    ],
)
def test_oversized_results_are_refused(
    env: SandboxedEnvironment, source: str, message: str
) -> None:
    with pytest.raises(SandboxViolation, match=message):
        env.execute(source, {})


def test_shared_structures_cannot_blow_up_task_data(env: SandboxedEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="task data 'a' would hold more than"):
        env.execute("a = [1]\nfor i in range(80):\n    a = [a, a]", {})


def test_self_referencing_task_data_is_refused(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="task data 'a' contains itself"):
        env.execute("a = [1]\na.append(a)", {})


def test_iterators_cannot_be_left_in_task_data(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="'k' holds a dict_keys object"):
        env.execute("k = d.keys()", {"d": {"a": 1}})


def test_runtime_errors_name_type_message_and_line(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed) as info:
        env.execute("x = 1\ny = x + 1\nz = y / 0", {})
    assert str(info.value) == "line 3: ZeroDivisionError: division by zero"
    assert info.value.extra["line"] == 3
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert not isinstance(info.value, SandboxViolation)


def test_undefined_names_fail_clearly(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="line 1: NameError: name 'missing' is not defined"):
        env.evaluate("missing > 1", {})


def test_script_updates_task_data_in_place(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {
        "count": 1,
        "d": {"n": 1},
        "items": [],
        "tmp": 3,
        "name": "  bob smith ",
        "tags": "a, b ,c",
    }
    script = "\n".join(
        [
            "count = count + 1",
            "d['k'] = 5",
            "d['n'] += 2",
            "d.update({'z': [1, 2]})",
            "items.append(count * 10)",
            "del tmp",
            "name = name.strip().title()",
            "squares = [i * i for i in range(6) if i % 2]",
            "lookup = {k: v for k, v in d.items() if k != 'z'}",
            "parts = [t.strip().upper() for t in tags.split(',')]",
            "label = ', '.join(parts) + '!'",
            "a, b = 1, 2",
            "merged = [*items, *[5]]",
            "total = 0",
            "for i, value in enumerate([3, 4]):",
            "    if i == 0:",
            "        continue",
            "    total += value",
            "n = 0",
            "while n < 5:",
            "    n += 1",
            "    if n == 3:",
            "        break",
            "big = max(squares) if squares else None",
            "ratio = round(7 / 3, 2)",
            "when = (datetime(2024, 5, 1) + timedelta(days=1)).isoformat()",
            "stamp = date.fromisoformat(when[:10]).strftime('%d.%m')",
            "f = len",
        ]
    )
    assert env.execute(script, data) is True
    assert data == {
        "count": 2,
        "d": {"n": 3, "k": 5, "z": [1, 2]},
        "items": [20],
        "name": "Bob Smith",
        "tags": "a, b ,c",
        "squares": [1, 9, 25],
        "lookup": {"n": 3, "k": 5},
        "parts": ["A", "B", "C"],
        "label": "A, B, C!",
        "a": 1,
        "b": 2,
        "merged": [20, 5],
        "total": 4,
        "i": 1,
        "value": 4,
        "n": 3,
        "big": 25,
        "ratio": 2.33,
        "when": "2024-05-02T00:00:00",
        "stamp": "02.05",
    }


def test_conditions_evaluate(env: SandboxedEnvironment) -> None:
    data = {"answer": "yes", "count": 2, "items": [1, 5, 9], "limit": 4}
    assert env.evaluate("answer == 'yes' and count < 3", data) is True
    assert env.evaluate("answer == 'no' or count >= 3", data) is False
    assert env.evaluate("[x for x in items if x > limit]", data) == [5, 9]
    assert env.evaluate("'y' in answer.lower()", data) is True
    assert env.evaluate("f'{count:03d} of {len(items)}'", data) == "002 of 3"
    assert data == {"answer": "yes", "count": 2, "items": [1, 5, 9], "limit": 4}


def test_dates_format_in_f_strings(env: SandboxedEnvironment) -> None:
    assert env.evaluate("f'{d:%d.%m.%Y}'", {"d": date(2024, 1, 2)}) == "02.01.2024"
    assert env.evaluate("datetime.now(timezone.utc).year >= 2024", {}) is True


def test_external_context_is_visible_and_task_data_wins(env: SandboxedEnvironment) -> None:
    assert env.evaluate("a + b", {"a": 1}, {"a": 100, "b": 2}) == 3


def test_execute_leaves_no_helpers_or_external_names(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"x": 1}
    env.execute("y = x + offset\nz = str\nw = abs", data, {"offset": 2})
    assert data == {"x": 1, "y": 3}


def test_subscript_augmented_assignment_evaluates_target_once(
    env: SandboxedEnvironment,
) -> None:
    data: dict[str, Any] = {"rows": [[1], [2]], "order": [0, 1]}
    env.execute("rows[order.pop()] += [7]", data)
    assert data == {"rows": [[1], [2, 7]], "order": [0]}


def test_failed_script_leaves_no_helpers_behind(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"d": {"k": "a"}}
    with pytest.raises(ScriptFailed):
        env.execute("x = 1\nd['k'] += 1", data)
    assert data == {"d": {"k": "a"}, "x": 1}


def test_reserved_helper_names_in_task_data_are_refused(env: SandboxedEnvironment) -> None:
    with pytest.raises(SandboxViolation, match="'__cb_add' is reserved"):
        env.evaluate("x + 1", {"x": 1, "__cb_add": "boom"})


def test_external_context_clash_is_refused(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="overwrites predefined name"):
        env.execute("y = 1", {"x": 1}, {"x": 2})


def test_call_service_needs_a_caller() -> None:
    with pytest.raises(NotImplementedError):
        SandboxedEnvironment().call_service({}, operation_name="x", operation_params={})


def test_call_service_delegates() -> None:
    calls: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def caller(context: dict[str, Any], **kwargs: Any) -> str:
        calls.append((context, kwargs))
        return "{}"

    env = SandboxedEnvironment(service_caller=caller)
    assert env.call_service({"a": 1}, operation_name="lookup") == "{}"
    assert calls == [({"a": 1}, {"operation_name": "lookup"})]


# --------------------------------------------------------------------------- BPMN end to end

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="triage" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="score"/>
    <bpmn:scriptTask id="score">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="score" targetRef="gate"/>
    <bpmn:exclusiveGateway id="gate" default="to_low"/>
    <bpmn:sequenceFlow id="to_high" sourceRef="gate" targetRef="high">
      <bpmn:conditionExpression>priority == 'high' and score &gt;= 10</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_low" sourceRef="gate" targetRef="low"/>
    <bpmn:scriptTask id="high"><bpmn:script>route = 'specialists'</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="low"><bpmn:script>route = 'first_line'</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="high" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="low" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _run(script: str, data: dict[str, Any]) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.replace("{script}", script).encode(), "triage.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("triage"), script_engine=make_script_engine())
    workflow.get_tasks()[0].data.update(data)
    workflow.do_engine_steps()
    return workflow


SCORE = "score = sum(len(w) for w in words)\npriority = 'high' if score &gt; 5 else 'low'"


@pytest.mark.parametrize(
    ("words", "route"),
    [(["refund", "urgent"], "specialists"), (["hi"], "first_line")],
)
def test_diagram_runs_with_the_sandboxed_engine(words: list[str], route: str) -> None:
    workflow = _run(SCORE, {"words": words})
    assert workflow.is_completed()
    assert workflow.data["route"] == route
    assert json.dumps(workflow.data)


def test_malicious_script_task_is_refused() -> None:
    with pytest.raises(WorkflowTaskException) as info:
        _run("x = ().__class__.__bases__[0].__subclasses__()", {})
    assert isinstance(info.value.__cause__, SandboxViolation)
    assert find_cause(info.value, ScriptFailed) is info.value.__cause__
    assert "'__subclasses__'" in str(info.value)


def test_failing_script_task_reports_the_line() -> None:
    with pytest.raises(WorkflowTaskException) as info:
        _run("a = 1\nb = a / 0", {})
    assert info.value.line_number == 2
    cause = info.value.__cause__
    assert isinstance(cause, ScriptFailed)
    assert str(cause) == "line 2: ZeroDivisionError: division by zero"


def test_every_helper_the_rewrite_emits_is_supplied_at_run_time() -> None:
    emitted = {name for pair in BINOP_HELPERS.values() for name in pair}
    emitted |= {"__cb_call", "__cb_sized", "__cb_text", "__cb_fv", "__cb_attr", "__cb_rethrow"}
    emitted |= {"__cb_module", "__cb_member"}
    assert emitted <= set(SAFE_BUILTINS)
    for per_run in ("__cb_tick", "__cb_enter", "__cb_leave"):
        assert per_run not in SAFE_BUILTINS  # one budget per run, set by the environment
