"""The UI-schema widgets SpiffArena's form builder writes: the web form renders each, chat
and IVR skip hidden fields and say read-only ones instead of asking them."""

from __future__ import annotations

import json
from typing import Any

from engine.bpmn.compiler import form_validator
from engine.errors import InvalidAnswer
from engine.form_options import form_options, kept_fields
from engine.model import Progress, Step, StepView, VersionRef
from engine.replies import single_field
from engine.sessions.answers import checked_answer
from engine.task_data_forms import resolve_options
from player.forms import fields
from player.renderers import render_chat, render_ivr
from tests.conftest import FIXTURES

REFUND = FIXTURES / "spiffarena" / "support" / "billing" / "refund-request"
DATA = {
    "reasons": ["Double charge", "Service outage", "Wrong tariff"],
    "services": [{"value": "internet", "label": "Internet"}, {"value": "tv", "label": "TV"}],
    "account_id": "ACC-1001",
    "internal_code": "RF-7",
}


def _refund() -> tuple[dict[str, Any], dict[str, Any]]:
    schema = json.loads((REFUND / "refund-form-schema.json").read_text())
    ui = json.loads((REFUND / "refund-form-uischema.json").read_text())
    shown = resolve_options(schema, DATA, "Activity_refund_form")
    for name in ("account_id", "internal_code"):
        shown["properties"][name]["default"] = DATA[name]
    return shown, ui


def test_the_web_form_renders_every_widget_of_the_ui_schema() -> None:
    schema, ui = _refund()
    found = {f.name: f for f in fields(schema, ui)}
    assert list(found) == [
        "account_id",
        "reason",
        "channel",
        "amount",
        "charge_date",
        "services",
        "details",
        "urgent",
        "internal_code",
    ]
    assert found["account_id"].readonly and found["account_id"].value == "ACC-1001"
    assert found["account_id"].help == "From the CRM"
    assert found["reason"].widget == "select"
    assert [c.label for c in found["reason"].choices] == [
        "Double charge",
        "Service outage",
        "Wrong tariff",
    ]
    assert found["channel"].widget == "radio"
    assert [c.label for c in found["channel"].choices] == ["Phone call", "E-mail", "SMS"]
    assert found["amount"].widget == "number" and found["amount"].placeholder == "0.00"
    assert found["charge_date"].widget == "date" and found["charge_date"].input_type == "date"
    assert found["services"].widget == "checkboxes"
    assert [c.value for c in found["services"].choices] == ["internet", "tv"]
    details = found["details"]
    assert details.widget == "textarea" and ("rows", "4") in details.attrs
    assert details.placeholder == "In the customer's words"
    assert details.help == "Two or three sentences are enough"
    assert found["urgent"].widget == "checkbox"
    assert found["internal_code"].widget == "hidden" and found["internal_code"].value == "RF-7"


def test_input_types_and_dates_from_the_ui_schema() -> None:
    schema = {
        "type": "object",
        "properties": {"phone": {"type": "string"}, "day": {"type": "string"}},
    }
    ui = {"phone": {"ui:options": {"inputType": "tel"}}, "day": {"ui:widget": "alt-date"}}
    found = {f.name: f for f in fields(schema, ui)}
    assert found["phone"].input_type == "tel"
    assert found["day"].widget == "date"


def _step(schema: dict[str, Any], ui: dict[str, Any]) -> Step:
    return Step(
        id="Activity_refund_form",
        kind="form",
        title="Refund request",
        text="Ask what was charged.",
        schema=schema,
        ui_schema=ui,
        field_options=form_options(schema, ui),
    )


def _view(step: Step) -> StepView:
    return StepView(
        session_id="s",
        status="waiting",
        step_token="t",
        version=VersionRef("refund", 1),
        step=step,
        channel="chat",
        progress=Progress(0),
        language="en",
    )


def _small() -> Step:
    schema, ui = _refund()
    keep = ("account_id", "internal_code", "reason")
    schema = {
        "type": "object",
        "required": ["reason"],
        "properties": {k: schema["properties"][k] for k in keep},
    }
    return _step(schema, {k: ui[k] for k in keep})


def test_chat_and_ivr_ask_only_the_field_a_person_fills_and_say_the_read_only_one() -> None:
    step = _small()
    assert kept_fields(step.schema, step.ui_schema) == ["account_id", "internal_code"]
    spec = single_field(step)
    assert spec is not None and spec.name == "reason" and spec.kind == "choice"
    chat = render_chat(_view(step))
    assert chat["messages"][0]["text"] == "Ask what was charged.\n\nAccount: ACC-1001"
    assert "RF-7" not in json.dumps(chat["messages"])
    assert [b["label"] for b in chat["buttons"]] == [
        "Double charge",
        "Service outage",
        "Wrong tariff",
    ]
    ivr = render_ivr(_view(step))
    assert "Account: ACC-1001" in ivr["ssml"] and "RF-7" not in ivr["ssml"]
    assert ivr["dtmf"] == {"1": "Double charge", "2": "Service outage", "3": "Wrong tariff"}


class _Spec:
    """What checked_answer reads of a StepSpec."""

    def __init__(self, step: Step) -> None:
        self.id = step.id
        self.kind = step.kind
        self.schema = step.schema
        self.ui_schema = step.ui_schema
        self.validator = form_validator(step.schema or {})
        self.option_vars = ()


def test_fields_nobody_is_asked_keep_their_values_in_the_answer() -> None:
    step = _small()
    assert step.schema is not None
    step.schema["required"] = ["reason", "account_id", "internal_code"]
    spec = _Spec(step)
    answer = checked_answer(spec, {"reason": "Double charge"}, DATA)
    assert answer == {"reason": "Double charge", "account_id": "ACC-1001", "internal_code": "RF-7"}
    try:
        checked_answer(spec, {"reason": "Nope"}, DATA)
    except InvalidAnswer as exc:
        assert exc.details[0].path == "reason"
    else:
        raise AssertionError("an option not offered was accepted")


def test_a_form_of_read_only_fields_is_said_and_acknowledged() -> None:
    schema, ui = _refund()
    step = _step(
        {"type": "object", "properties": {"account_id": schema["properties"]["account_id"]}},
        {"account_id": ui["account_id"]},
    )
    chat = render_chat(_view(step))
    assert chat["messages"][0]["text"].endswith("Account: ACC-1001")
    assert chat["input"]["type"] == "none" and len(chat["buttons"]) == 1
    assert render_ivr(_view(step))["expects"] == "ack"
