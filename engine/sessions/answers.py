"""An answer to a human step, checked against the step's form (JSON Schema, compiled once
per version): the steps of sessions and the work items of tickets use the same check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import Detail, InvalidAnswer
from engine.form_options import kept_fields
from engine.task_data_forms import answer_validator, hidden_ui


def checked_answer(spec: Any, answer: Any, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The answer, cut to its form's fields and checked against the step's compiled schema.

    ``data``, the waiting task's, gives the options of a form that takes them from task data
    and the values of fields nobody is asked for (hidden, read-only) that the answer leaves out.
    """
    if not isinstance(answer, dict):
        raise InvalidAnswer("answer must be a JSON object", [Detail("answer", "must be an object")])
    validator = answer_validator(spec, data)
    if validator is None:
        return {} if spec.kind == "message" else answer
    # An answer may set only its form's fields: never other workflow variables.
    props = (spec.schema or {}).get("properties")
    answer = {k: v for k, v in answer.items() if k in props} if isinstance(props, dict) else {}
    ui = hidden_ui(spec.ui_schema, data) if data else spec.ui_schema
    for name in kept_fields(spec.schema, ui):  # hidden or read-only: they keep their values
        if name not in answer and data is not None and name in data:
            answer[name] = data[name]
    errors = sorted(validator.iter_errors(answer), key=lambda e: list(e.absolute_path))
    if errors:
        details = [
            Detail("/".join(str(p) for p in e.absolute_path) or _missing_field(e), e.message)
            for e in errors
        ]
        raise InvalidAnswer(
            f"the answer does not fit the form of step {spec.id}: "
            f"{details[0].path}: {details[0].message}",
            details,
        )
    return answer


def _missing_field(error: Any) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            return str(missing[0])
    return ""
