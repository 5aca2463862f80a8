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
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.bpmn.workflow import ScannedWorkflow
from engine.errors import SavedStateUnreadable

STATE_FORMAT = 1
"""The format ``StateCodec.dump`` writes."""

READABLE_FORMATS: tuple[int, ...] = (1,)
"""Every format this build reads: all that any build has written (1 since the first one)."""

_RESTORE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
"""What SpiffWorkflow raises on a state that does not fit the spec or its own shape."""


class _StateConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its spec and subprocess specs.

    The top-level tasks are written by ``_task_dict``, not through the registry: the same
    dictionaries SpiffWorkflow's ``TaskConverter`` writes (keys, order and values; checked
    at every point of every golden by tests/golden/test_golden_states.py), at less than
    half the cost (a state is written on every step). Subprocesses go through the registry.
    """

    def __init__(self, target_class: type, registry: Any, *, own_task_writer: bool) -> None:
        super().__init__(target_class, registry)
        # Only while SpiffWorkflow's own converter is the one registered for its Task.
        typename = registry.typenames.get(Task)
        stock = SPIFF_CONFIG.get(Task) is TaskConverter
        self._task_typename = typename if stock and own_task_writer else None

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        if self._task_typename is None:
            dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        else:
            last = workflow.last_task
            dct = {
                "data": self.registry.convert(self.registry.clean(workflow.data)),
                "correlations": workflow.correlations,
                "last_task": str(last.id) if last is not None else None,
                "success": workflow.success,
                "completed": workflow.completed,
                "tasks": self._tasks_to_dict(workflow.tasks),
                "root": str(workflow.task_tree.id),
            }
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def _tasks_to_dict(self, tasks: dict[UUID, Any]) -> dict[str, Any]:
        ids = {key: str(key) for key in tasks}  # each UUID formatted once, not 3-4 times
        convert = self.registry.convert
        typename = self._task_typename
        out = {}
        for key, task in tasks.items():
            sid = ids[key]
            if type(task) is Task and task.id == key:
                out[sid] = _task_dict(task, sid, tasks, ids, convert, typename)
            else:
                out[sid] = convert(task)
        return out

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


def _task_dict(
    task: Task,
    sid: str,
    tasks: dict[UUID, Any],
    ids: dict[UUID, str],
    convert: Any,
    typename: str | None,
) -> dict[str, Any]:
    """What ``TaskConverter.to_dict`` and the registry write for a task of this workflow:
    its data in full at the root, elsewhere as changes against its parent's."""
    parent = tasks.get(task._parent) if task._parent is not None else None
    data: Any
    if parent is None:
        data, delta = task.data, {}
    else:
        data = {}
        delta = {
            "updates": DeepMerge.get_updated_keys(parent.data, task.data),
            "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
        }
    return {
        "id": sid,
        "parent": ids[task._parent] if parent is not None else None,
        "children": [ids.get(child) or str(child) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task._state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": convert(task.internal_data) if task.internal_data else {},
        "data": data,
        "delta": delta,
        "typename": typename,
    }


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

    def __init__(self, *, stock: bool = False) -> None:
        """``stock``: SpiffWorkflow's own workflow class and task converter, without this
        module's shortcuts (the same state either way; bench/step.py's baseline)."""
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        target = BpmnWorkflow if stock else ScannedWorkflow
        self.workflow_class: type[BpmnWorkflow] = target
        self._converter = _StateConverter(target, registry, own_task_writer=not stock)

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
