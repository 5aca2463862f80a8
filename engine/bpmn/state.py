"""Instance state: the workflow's tasks and data, never its spec.

Specs are immutable per script version and cached per process, so the state
of an instance is saved without them (a fraction of the size, no spec
conversion on the step path) and restored against the cached spec.

Every state carries ``format``. Loading checks it first: a state of a format this build
does not read (a newer build wrote it, or it carries none) raises ``SavedStateUnreadable``
naming the format found and the ones this build reads, instead of failing somewhere inside
SpiffWorkflow. A build must keep reading every format any earlier build wrote; the golden
states in tests/golden hold one instance of each and fail CI when that breaks.

The converter below extends SpiffWorkflow's own (``BpmnWorkflowConverter``), checked
against SpiffWorkflow 3.2.0; it leaves out the spec and the subprocess specs.

The JSON text is written by orjson (ten times faster than ``json`` here: a state is written
on every step) in the same shape ``json.dumps(..., separators=(",", ":"),
ensure_ascii=False)`` writes, so the format does not change. What orjson writes otherwise
goes to ``json`` (an integer beyond 64 bits; a datetime or dataclass that reached the data
unconverted, which ``json`` refuses as before); a NaN or infinite number, which is not JSON,
is written as null. Reading stays with ``json``: it reads every state any build wrote
(orjson would read an integer beyond 64 bits as a float), and a step reads state only when
its workflow is not kept live (engine/bpmn/live.py).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import SavedStateUnreadable

STATE_FORMAT = 1
"""The format ``StateCodec.dump`` writes."""

READABLE_FORMATS: tuple[int, ...] = (1,)
"""Every format this build reads: all that any build has written (1 since the first one)."""

_RESTORE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
"""What SpiffWorkflow raises on a state that does not fit the spec or its own shape."""


class _StateConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its spec and subprocess specs."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_with(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
    ) -> BpmnWorkflow:
        _check_task_specs(dct["tasks"], spec)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _check_task_specs(tasks: dict[str, Any], spec: BpmnProcessSpec) -> None:
    """Refuse a state naming elements the process lacks (SpiffWorkflow would guess)."""
    names = spec.task_specs
    missing = sorted({t["task_spec"] for t in tasks.values() if t["task_spec"] not in names})
    if missing:
        raise SavedStateUnreadable(
            f"saved state names element(s) {', '.join(missing[:5])} "
            f"that process {spec.name!r} does not have",
            extra={"format": STATE_FORMAT, "missing": missing},
        )


class StateCodec:
    """Dumps and loads workflow state as JSON text (thread-safe after construction)."""

    def __init__(self) -> None:
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self._converter = _StateConverter(BpmnWorkflow, registry)

    def dump(self, workflow: BpmnWorkflow) -> str:
        dct = self._converter.to_dict(workflow)
        dct["format"] = STATE_FORMAT
        return dump_json(dct)

    def load(
        self,
        text: str,
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
        script_engine: Any,
    ) -> BpmnWorkflow:
        """The workflow saved in ``text``, restored against ``spec``.

        Raises ``SavedStateUnreadable`` if the text is not a state this build reads.
        """
        dct = _state_dict(text)
        check_format(dct.pop("format", None))
        try:
            workflow = self._converter.restore_with(dct, spec, subprocess_specs)
        except _RESTORE_ERRORS as err:
            raise SavedStateUnreadable(
                f"saved state of format {STATE_FORMAT} cannot be restored against "
                f"process {spec.name!r}: {type(err).__name__}: {err}",
                extra={"format": STATE_FORMAT},
            ) from err
        workflow.script_engine = script_engine
        return workflow


_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dump_json(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as it is (``json.dumps`` with ``separators=(",", ":"),
    ensure_ascii=False`` writes the same)."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _state_dict(text: str) -> dict[str, Any]:
    try:
        dct = json.loads(text)
    except (TypeError, ValueError) as err:
        raise SavedStateUnreadable(f"saved state is not JSON: {err}") from err
    if not isinstance(dct, dict):
        raise SavedStateUnreadable(f"saved state is a JSON {type(dct).__name__}, not an object")
    return dct


def check_format(found: Any) -> None:
    """Refuse a saved state's ``format`` unless this build reads it."""
    if type(found) is int and found in READABLE_FORMATS:
        return
    readable = ", ".join(str(f) for f in READABLE_FORMATS)
    what = "carries no format" if found is None else f"has format {found!r}"
    newer = type(found) is int and found > max(READABLE_FORMATS)
    hint = " (written by a newer Cuebook?)" if newer else ""
    plural = "s" if len(READABLE_FORMATS) > 1 else ""
    raise SavedStateUnreadable(
        f"saved state {what}{hint}; this build reads format{plural} {readable}",
        extra={"format": found, "readable_formats": list(READABLE_FORMATS)},
    )
