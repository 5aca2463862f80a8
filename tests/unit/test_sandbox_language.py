"""What the sandbox runs since it was widened for SpiffArena's scripts: try/except/finally,
def and lambda, map/filter/isinstance/format, str.format, attribute reads on dicts, the
name ``type`` as data, the safe module stand-ins and ``import`` of them; and what task data
keeps afterwards (only what the saved state can hold)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn.sandbox import SandboxedEnvironment, check_code, make_script_engine
from engine.bpmn.state import StateCodec
from engine.errors import SandboxViolation, ScriptFailed
from tests.conftest import BUNDLES


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment()


def run(env: SandboxedEnvironment, script: str, **data: Any) -> dict[str, Any]:
    assert check_code(script, "exec") == []
    env.execute(script, data)
    return data


def test_try_except_else_finally_and_raise(env: SandboxedEnvironment) -> None:
    script = "\n".join(
        [
            "steps = []",
            "try:",
            "    value = int(text)",
            "except (ValueError, TypeError) as err:",
            "    value = 0",
            "    steps.append(str(err)[:7])",
            "else:",
            "    steps.append('else')",
            "finally:",
            "    steps.append('finally')",
            "try:",
            "    raise KeyError('missing')",
            "except LookupError:",
            "    steps.append('lookup')",
            "try:",
            "    json.loads('{')",
            "except json.JSONDecodeError:",
            "    steps.append('json')",
            "try:",
            "    x = 1 / 0",
            "except:",
            "    steps.append('bare')",
        ]
    )
    assert run(env, script, text="x1") == {
        "text": "x1",
        "value": 0,
        "steps": ["invalid", "finally", "lookup", "json", "bare"],
    }


def test_a_script_may_raise_its_own_error(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="line 2: ValueError: amount must be positive"):
        env.execute(
            "if amount < 0:\n    raise ValueError('amount must be positive')", {"amount": -1}
        )


def test_def_lambda_closures_and_recursion_within_the_limit(env: SandboxedEnvironment) -> None:
    script = "\n".join(
        [
            "def factorial(n):",
            "    return 1 if n <= 1 else n * factorial(n - 1)",
            "def scaled(values, *, by=2):",
            "    factor = by",
            "    return [v * factor for v in values]",
            "def total(*values, **extra):",
            "    return sum(values) + len(extra)",
            "f10 = factorial(10)",
            "doubled = scaled([1, 2])",
            "summed = total(1, 2, a=1)",
            "ordered = sorted(people, key=lambda p: (p['age'], p['name']))",
            "names = list(map(lambda p: p['name'], ordered))",
            "adults = [p['name'] for p in filter(lambda p: p['age'] >= 18, people)]",
            "pairs = dict(zip(names, range(len(names))))",
            "firsts = sorted({name[0] for name in names})",
        ]
    )
    people = [{"name": "bo", "age": 30}, {"name": "al", "age": 12}]
    data = run(env, script, people=people)
    assert data["f10"] == 3628800
    assert data["doubled"] == [2, 4]
    assert data["summed"] == 4
    assert data["names"] == ["al", "bo"]
    assert data["adults"] == ["bo"]
    assert data["pairs"] == {"al": 0, "bo": 1}
    assert data["firsts"] == ["a", "b"]
    assert "factorial" not in data and "scaled" not in data  # functions are dropped


def test_attributes_of_dicts_read_their_items(env: SandboxedEnvironment) -> None:
    data = {"invoice": {"invoiceId": 7, "customer": {"name": "Ivanova"}, "items": [1, 2]}}
    assert env.evaluate("invoice.invoiceId == 7", data) is True
    assert env.evaluate("invoice.customer.name", data) == "Ivanova"
    assert env.evaluate("invoice.items", data) == [1, 2]  # a key wins over the method
    assert env.evaluate("len(invoice.items())", data) == 3
    with pytest.raises(ScriptFailed, match="AttributeError: the dict has no key 'total'"):
        env.evaluate("invoice.total", data)


def test_type_is_a_data_name(env: SandboxedEnvironment) -> None:
    assert run(env, "kind = type.upper()\ntype = 'x'", type="billing") == {
        "type": "x",
        "kind": "BILLING",
    }
    assert env.evaluate("type == 'billing'", {"type": "billing"}) is True
    with pytest.raises(ScriptFailed, match="NameError: name 'type' is not defined"):
        env.evaluate("type", {})


def test_str_format_format_map_and_format(env: SandboxedEnvironment) -> None:
    data = {"n": 3, "who": {"name": "Bo"}}
    assert env.evaluate("'{} of {total:>4}'.format(n, total=10)", data) == "3 of   10"
    assert env.evaluate("'{0}-{0}'.format(n)", data) == "3-3"
    assert env.evaluate("'Hi {name}'.format_map(who)", data) == "Hi Bo"
    assert env.evaluate("'{0:{1}}'.format(n, '>3')", data) == "  3"
    assert env.evaluate("format(1234.5, ',.1f')", data) == "1,234.5"
    assert env.evaluate("'{!r}'.format('x')", data) == "'x'"


def test_datetime_as_module_and_as_class(env: SandboxedEnvironment) -> None:
    script = "\n".join(
        [
            "a = datetime.datetime(2024, 5, 1) + datetime.timedelta(days=1)",
            "b = datetime(2024, 5, 1, tzinfo=timezone.utc)",
            "c = datetime.strptime('02.05.2024', '%d.%m.%Y')",
            "same = a == c and isinstance(a, datetime) and isinstance(c, datetime.datetime)",
            "day = datetime.date(2024, 5, 1).isoformat()",
            "now_ok = datetime.now(timezone.utc) > b",
            "a = a.isoformat()",
            "b = b.isoformat()",
            "del c",
        ]
    )
    assert run(env, script) == {
        "a": "2024-05-02T00:00:00",
        "b": "2024-05-01T00:00:00+00:00",
        "same": True,
        "day": "2024-05-01",
        "now_ok": True,
    }


def test_the_other_modules(env: SandboxedEnvironment) -> None:
    script = "\n".join(
        [
            "parsed = json.loads('{\"a\": [1, 2]}')",
            "text = json.dumps(parsed, sort_keys=True, indent=2)",
            "m = re.search(r'(\\d+)-(\\d+)', 'call 12-34')",
            "groups = list(m.groups())",
            "del m",
            "words = re.split(r'\\s+', 'a  b c')",
            "cleaned = re.sub(r'[^0-9]', '', '+7 (900) 1')",
            "shout = re.sub('o', lambda m: m.group(0).upper(), 'foo')",
            "pattern_ok = re.compile(r'^\\w+$', re.I).fullmatch('Abc') is not None",
            "money = str(decimal.Decimal('2.675').quantize(decimal.Decimal('0.01'),"
            " rounding=decimal.ROUND_HALF_UP))",
            "dice = random.randint(1, 6)",
            "pick = random.choice(['a', 'b'])",
            "ident = str(uuid.uuid4())",
            "fixed = str(uuid.uuid5(uuid.NAMESPACE_DNS, 'cuebook.example'))",
            "days = calendar.monthrange(2024, 2)[1]",
            "leap = calendar.isleap(2024)",
            "month = calendar.month_name[2]",
            "epoch = time.time() > 1e9",
            "stamp = time.strftime('%Y', time.gmtime(0))",
        ]
    )
    data = run(env, script)
    assert data["parsed"] == {"a": [1, 2]}
    assert json.loads(data["text"]) == {"a": [1, 2]}
    assert data["groups"] == ["12", "34"]
    assert data["words"] == ["a", "b", "c"]
    assert data["cleaned"] == "79001"
    assert data["shout"] == "fOO"
    assert data["pattern_ok"] is True
    assert data["money"] == "2.68"
    assert 1 <= data["dice"] <= 6 and data["pick"] in ("a", "b")
    assert len(data["ident"]) == 36
    assert data["fixed"] == str(uuid.uuid5(uuid.NAMESPACE_DNS, "cuebook.example"))
    assert (data["days"], data["leap"], data["month"]) == (29, True, "February")
    assert data["epoch"] is True and data["stamp"] == "1970"


def test_imports_bind_the_stand_ins_and_leave_nothing_behind(env: SandboxedEnvironment) -> None:
    script = "\n".join(
        [
            "import json",
            "import re as regex",
            "from datetime import datetime, timedelta",
            "from decimal import Decimal as D",
            "when = (datetime(2024, 1, 1) + timedelta(hours=1)).isoformat()",
            "size = len(json.dumps({'a': 1}))",
            "digits = regex.sub('[^0-9]', '', 'a1b2')",
            "half = float(D('0.5'))",
            "keep = json",
        ]
    )
    assert run(env, script) == {
        "when": "2024-01-01T01:00:00",
        "size": 8,
        "digits": "12",
        "half": 0.5,
    }


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("d = date(2024, 1, 1)", "'d' holds a date value, which cannot be saved: convert it with"),
        ("d = datetime(2024, 1, 1)", "holds a datetime value.*isoformat"),
        ("d = timedelta(days=1)", "holds a timedelta value.*total_seconds"),
        ("d = decimal.Decimal('1.5')", "holds a Decimal value.*str\\(...\\) or float"),
        ("d = uuid.uuid4()", "holds a UUID value.*str\\(...\\)"),
        ("d = {1, 2}", "holds a set object: convert it with list"),
        ("d = map(str, [1])", "holds a map object: convert it with list"),
        ("d = {(1, 2): 'x'}", "has a dict key of type tuple"),
        ("d = [lambda: 1]", "'d' holds a function or module"),
        ("d = {'m': json}", "'d' holds a function or module"),
        ("try:\n    x = 1 / 0\nexcept Exception as e:\n    d = e", "ZeroDivisionError value"),
        ("d = re.match('a', 'a')", "holds a Match value"),
    ],
)
def test_task_data_keeps_only_what_can_be_saved(
    env: SandboxedEnvironment, script: str, message: str
) -> None:
    with pytest.raises(ScriptFailed, match=message):
        env.execute(script, {})


def test_a_condition_cannot_give_a_module(env: SandboxedEnvironment) -> None:
    with pytest.raises(ScriptFailed, match="gives the module <module json>"):
        env.evaluate("json", {})


def test_refused_before_run_with_line_and_alternative() -> None:
    assert check_code("x = 1\nclass A:\n    pass", "exec") == [
        "line 2: class is not allowed (use a dict)"
    ]
    assert check_code("import subprocess", "exec") == [
        "line 1: import of 'subprocess' is not allowed "
        "(available: calendar, datetime, decimal, json, random, re, time, uuid)"
    ]
    assert check_code("from json import load", "exec") == [
        "line 1: 'json' has no 'load' in the sandbox"
    ]
    assert check_code("time.sleep(1)", "exec") == [
        "line 1: method '.sleep' is not allowed "
        "(time offers time, monotonic, gmtime, localtime, mktime, strftime)"
    ]
    assert check_code("x.encode()", "exec") == [
        "line 1: method '.encode' is not allowed "
        "(docs/bundles.md, 'Scripts and conditions', lists what can be called)"
    ]
    assert check_code("exec('x = 1')", "exec") == [
        "line 1: 'exec' is not allowed (write the code itself)"
    ]
    assert check_code("with x:\n    pass", "exec") == [
        "line 1: with is not allowed (call the function directly)"
    ]


def test_saved_state_holds_a_script_with_functions_and_modules() -> None:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BUNDLES / "spiff_scripts" / "spiff_scripts.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("spiff_scripts"), script_engine=make_script_engine())
    invoice = {"invoiceId": 7, "lines": [{"code": "A", "qty": 2, "price": 1.25}]}
    workflow.get_tasks()[0].data.update({"invoice": invoice, "payload": "not json"})
    workflow.do_engine_steps()
    (ready,) = workflow.get_tasks(state=16)  # READY
    assert ready.task_spec.name == "show"
    assert ready.data["label"] == "billing #7: 2.50"
    assert ready.data["parsed"] == {}
    state = json.loads(StateCodec().dump(workflow))
    assert state["format"] == 1
    dumped = json.dumps(state)
    assert "money" not in ready.data and "<module" not in dumped


def test_limits_still_hold_inside_functions() -> None:
    # The iteration budget is set out of reach: on a fast machine a million iterations take
    # less than 0.05 s, and the deadline is what this asserts.
    env = SandboxedEnvironment(deadline_s=0.05, max_iterations=10**12)
    with pytest.raises(SandboxViolation, match=r"line 2: ran longer than 0\.05 s"):
        env.execute("def spin():\n    while True:\n        pass\nspin()", {})
    with pytest.raises(SandboxViolation, match="result of '\\*' would hold"):
        env.execute("f = lambda s: s * 10**9\nx = f('a')", {})
